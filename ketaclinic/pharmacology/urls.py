from django.urls import URLPattern, URLResolver, path

from ketaclinic.pharmacology import views

app_name = "pharmacology"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.index, name="index"),
    path("library/<str:key>/", views.library, name="library"),
    path("patient/<uuid:pk>/", views.patient, name="patient"),
    path("version/<int:pk>/", views.version, name="version"),
]
