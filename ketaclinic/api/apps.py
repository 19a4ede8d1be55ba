from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "ketaclinic.api"
    label = "api"
    verbose_name = "REST API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ketaclinic.api import export_jobs  # noqa: F401  (registers the export job)
