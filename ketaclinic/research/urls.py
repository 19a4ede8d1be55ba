from django.urls import URLPattern, URLResolver, path

from ketaclinic.api import export_pages
from ketaclinic.research import views

app_name = "research"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.cohort_page, name="cohort"),
    path("refresh/", views.cohort_refresh, name="cohort_refresh"),
    path("exports/", export_pages.exports_page, name="exports"),
    path("exports/list/", export_pages.export_rows, name="export_rows"),
    path("exports/cancel/", export_pages.export_cancel_view, name="export_cancel"),
    path("exports/download/", export_pages.export_file, name="export_file"),
]
