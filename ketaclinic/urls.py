from django.urls import include, path

from ketaclinic.core import views as core_views
from ketaclinic.treatment.views import exposure as exposure_views

# The exposure pages live with treatment (protocols, patients) but keep their /exposure/ paths
# and their "pharmacology:*" URL names.
exposure_patterns = (
    [
        path("", exposure_views.index, name="index"),
        path("library/<str:key>/", exposure_views.library, name="library"),
        path("patient/<uuid:pk>/", exposure_views.patient, name="patient"),
        path("version/<int:pk>/", exposure_views.version, name="version"),
    ],
    "pharmacology",
)

urlpatterns = [
    path("", core_views.home, name="home"),
    path("account/", include("ketaclinic.accounts.urls")),
    path("patients/", include("ketaclinic.patients.urls")),
    path("audit/", include("ketaclinic.audit.urls")),
    path("ops/", include("ketaclinic.ops.urls")),
    path("alerts/", include("ketaclinic.alerts.urls")),
    path("scales/", include("ketaclinic.scales.urls")),
    path("screening/", include("ketaclinic.screening.urls")),
    path("treatment/", include("ketaclinic.treatment.urls")),
    path("stock/", include("ketaclinic.inventory.urls")),
    path("exposure/", include(exposure_patterns)),
    path("research/", include("ketaclinic.research.urls")),
    path("api/v1/", include("ketaclinic.api.urls")),
    path("account/api-tokens/", include("ketaclinic.api.page_urls")),
    path("surveillance/", include("ketaclinic.surveillance.urls")),
]
