from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "ketaclinic.screening"
    label = "screening"
    verbose_name = "Screening and surveillance"
    default_auto_field = "django.db.models.BigAutoField"
