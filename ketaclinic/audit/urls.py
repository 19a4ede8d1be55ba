from django.urls import path

from ketaclinic.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_list, name="list"),
    path("export.csv", views.audit_export, name="export"),
    path("report/", views.audit_report_page, name="report"),
]
