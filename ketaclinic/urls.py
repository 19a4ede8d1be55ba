from django.urls import include, path

from ketaclinic.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("account/", include("ketaclinic.accounts.urls")),
    path("patients/", include("ketaclinic.patients.urls")),
    path("audit/", include("ketaclinic.audit.urls")),
    path("alerts/", include("ketaclinic.alerts.urls")),
    path("scales/", include("ketaclinic.scales.urls")),
    path("treatment/", include("ketaclinic.treatment.urls")),
    path("exposure/", include("ketaclinic.pharmacology.urls")),
]
