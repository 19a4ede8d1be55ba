from django.apps import AppConfig


class SurveillanceConfig(AppConfig):
    name = "ketaclinic.surveillance"
    label = "surveillance"
    verbose_name = "Long-term safety surveillance"
    default_auto_field = "django.db.models.BigAutoField"
