"""Reads of the clinic's protocols and their versions."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, QuerySet
from django.http import Http404

from ketaclinic.accounts.models import Membership
from ketaclinic.treatment.models import Protocol, ProtocolVersion
from ketaclinic.treatment.selectors.access import can_read_protocols


def protocols_for_clinic(*, membership: Membership) -> QuerySet[Protocol]:
    if not can_read_protocols(membership):
        raise PermissionDenied
    return Protocol.objects.filter(clinic_id=membership.clinic_id).prefetch_related(
        Prefetch("versions", queryset=ProtocolVersion.objects.order_by("-number"))
    )


def protocol_versions(protocol: Protocol) -> list[ProtocolVersion]:
    """Every version of a protocol, newest first (the protocol page)."""
    return list(protocol.versions.order_by("-number"))


def latest_version(protocol: Protocol) -> ProtocolVersion:
    version = protocol.versions.order_by("-number").first()
    if version is None:  # a protocol is always created with its first version
        raise Http404
    return version


def active_versions(*, membership: Membership) -> list[ProtocolVersion]:
    """The newest version of each active protocol of the clinic (what a course can use)."""
    result = []
    for protocol in Protocol.objects.filter(
        clinic_id=membership.clinic_id, is_active=True
    ).prefetch_related("versions"):
        versions = sorted(protocol.versions.all(), key=lambda v: -v.number)
        if versions:
            result.append(versions[0])
    return result
