from django.apps import AppConfig


class ResearchConfig(AppConfig):
    name = "ketaclinic.research"
    label = "research"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Research and interoperability"
