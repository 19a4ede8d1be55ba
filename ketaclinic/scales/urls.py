from django.urls import URLPattern, URLResolver, path

from ketaclinic.research import views as research_views
from ketaclinic.scales import views

app_name = "scales"

urlpatterns: list[URLPattern | URLResolver] = [
    path("patients/<uuid:pk>/enter/", views.response_enter, name="enter"),
    path("patients/<uuid:pk>/self-report/", views.link_send, name="link_send"),
    path("responses/<int:response_id>/", views.response_detail, name="detail"),
    path("responses/<int:response_id>/fhir.json", research_views.scale_response_fhir, name="fhir"),
    path("responses/<int:response_id>/correct/", views.response_amend, name="amend"),
    path("r/<str:token>/", views.self_report, name="self_report"),
    path("outcomes/", views.outcomes, name="outcomes"),
    path("licensed-text/", views.text_load, name="text_load"),
]
