from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks


class AuditConfig(AppConfig):
    name = "ketaclinic.audit"
    label = "audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        checks.register(check_seal_keys, checks.Tags.security)
        checks.register(check_seal_keys_deploy, checks.Tags.security, deploy=True)


def check_seal_keys(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """A malformed ``KETACLINIC_AUDIT_SEAL_KEYS`` stops start-up; the message names no key."""
    from ketaclinic.audit.chain import SealKeyError, parse_seal_keys

    try:
        parse_seal_keys(str(getattr(settings, "AUDIT_SEAL_KEYS", "") or ""))
    except SealKeyError as exc:
        return [checks.Error(f"KETACLINIC_AUDIT_SEAL_KEYS: {exc}", id="audit.E001")]
    return []


def check_seal_keys_deploy(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if getattr(settings, "AUDIT_SEAL_KEYS", ""):
        return []
    return [
        checks.Warning(
            "No audit seal key: chain heads are not sealed, so a rewritten audit chain is caught "
            "only by anchors. Set KETACLINIC_AUDIT_SEAL_KEYS_FILE (docs/deployment.md).",
            id="audit.W001",
        )
    ]
