from django.apps import AppConfig


class PharmacologyConfig(AppConfig):
    name = "ketaclinic.pharmacology"
    label = "pharmacology"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Pharmacology (exposure simulator)"
