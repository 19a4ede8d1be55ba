"""The REST API of issue 13 (django-ninja): per-user tokens, the same roles and clinic scoping as the
web pages, an OpenAPI document at ``/api/v1/openapi.json``. Nothing but the URL configuration
imports this app."""
