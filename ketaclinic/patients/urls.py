from django.urls import path

from ketaclinic.patients import views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("new/", views.patient_create, name="create"),
    path("<uuid:pk>/", views.patient_detail, name="detail"),
    path("<uuid:pk>/edit/", views.patient_edit, name="edit"),
    path("<uuid:pk>/weight/", views.weight_add, name="weight_add"),
    path("<uuid:pk>/height/", views.height_add, name="height_add"),
    path("<uuid:pk>/diagnosis/", views.diagnosis_add, name="diagnosis_add"),
    path("<uuid:pk>/allergy/", views.allergy_add, name="allergy_add"),
    path("<uuid:pk>/medication/", views.medication_add, name="medication_add"),
    path(
        "entries/<str:kind>/<int:entry_id>/correct/",
        views.measurement_correct,
        name="measurement_correct",
    ),
    path("entries/<str:kind>/<int:entry_id>/in-error/", views.entry_in_error, name="in_error"),
    path("medications/<int:entry_id>/stop/", views.medication_stop, name="medication_stop"),
]
