from __future__ import annotations

from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ketaclinic.ops"
    label = "ops"
    verbose_name = "Operations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ketaclinic.ops import jobs  # noqa: F401  (registers the periodic jobs)
