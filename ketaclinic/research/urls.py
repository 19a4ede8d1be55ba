from django.urls import URLPattern, URLResolver, path

from ketaclinic.research import views

app_name = "research"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.cohort_page, name="cohort"),
]
