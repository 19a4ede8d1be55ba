from django.apps import AppConfig


class ResearchConfig(AppConfig):
    name = "ketaclinic.research"
    label = "research"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Research and interoperability"

    def ready(self) -> None:
        from ketaclinic.research import summary_jobs  # noqa: F401  (registers the periodic job)
