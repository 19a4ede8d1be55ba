from django.apps import AppConfig


class ScalesConfig(AppConfig):
    name = "ketaclinic.scales"
    label = "scales"
    default_auto_field = "django.db.models.BigAutoField"
