from django.urls import path

from ketaclinic.ops import views

app_name = "ops"

urlpatterns = [
    path("jobs/", views.job_list, name="jobs"),
]
