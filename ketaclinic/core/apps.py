from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Cross-cutting web plumbing: middleware, the base layout, static files. No models."""

    name = "ketaclinic.core"
    label = "core"
