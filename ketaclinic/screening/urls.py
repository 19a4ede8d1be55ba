from django.urls import path

from ketaclinic.screening import views

app_name = "screening"

urlpatterns = [
    path("patient/<uuid:pk>/", views.patient_screenings, name="patient"),
    path("patient/<uuid:pk>/new/", views.screening_new, name="new"),
    path("patient/<uuid:pk>/rems/", views.rems_enrol, name="rems_enrol"),
    path("<int:screening_id>/", views.screening_detail, name="detail"),
    path("<int:screening_id>/override/", views.screening_override, name="override"),
    path("<int:screening_id>/prior-authorisation/", views.prior_auth, name="prior_auth"),
    path("settings/", views.screening_settings, name="settings"),
    path("settings/rems/", views.rems_certification, name="rems_certification"),
]
