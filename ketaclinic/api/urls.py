"""``/api/v1/``: the API's URL patterns. Every operation authenticates with its own bearer token,
not the session, so the web's sign-in, second-factor and clinic middleware leave them alone
(``login_required = False``, as Django's ``login_not_required`` marks a view)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

from ketaclinic.api.api import api

patterns, _, _ = api.urls
app_name = "api"  # the namespace ninja reverses its own URLs in (urls_namespace)


def _exempt(items: list[URLPattern | URLResolver]) -> None:
    for item in items:
        if isinstance(item, URLPattern):
            item.callback.login_required = False  # type: ignore[attr-defined]  # middleware marker
        else:
            _exempt(item.url_patterns)


_exempt(list(patterns))
urlpatterns = list(patterns)
