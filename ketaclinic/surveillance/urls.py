from django.urls import path

from ketaclinic.surveillance import views

app_name = "surveillance"

urlpatterns = [
    path("", views.safety, name="safety"),
    path("settings/", views.settings_page, name="settings"),
    path("patient/<uuid:pk>/", views.patient, name="patient"),
    path("record/<int:record_id>/in-error/", views.record_in_error, name="record_in_error"),
]
