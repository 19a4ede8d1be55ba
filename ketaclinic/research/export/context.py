"""What every exported table needs, gathered in a few aggregate queries before any table is
written: each patient's study id and index date, and each protocol version's drug and route.

The index date (the first recorded contact: course start, scale response, screening, or
registration) is never exported; dates leave only as days from it, and the patient's age at it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Min, QuerySet
from django.utils import timezone

from ketaclinic.lib.env import envlist
from ketaclinic.patients.models import Patient
from ketaclinic.research.deid import RESTRICTED_ZIP3, new_study_id
from ketaclinic.research.models import StudyId
from ketaclinic.scales.models import ScaleResponse
from ketaclinic.screening.models import Screening
from ketaclinic.treatment.models import Course, ProtocolVersion, parsed_protocol

CHUNK = 2000


def stream(query: QuerySet[Any, Any], chunk: int = CHUNK) -> Iterator[Any]:
    """The rows of ``query``, fetched ``chunk`` at a time (constant memory).

    On PostgreSQL the rows come through a server-side cursor, for which the planner by default
    optimises the first 10 % of the rows (``cursor_tuple_fraction``): with a join (doses and vitals
    reach their patient through the session) it may then pick a nested loop over the whole table,
    several times slower than the hash join it uses for a plain SELECT. An export reads every row,
    so the cursor is declared in a transaction that asks the planner for all of them; the setting
    is restored afterwards."""
    if connection.vendor != "postgresql":
        yield from query.iterator(chunk_size=chunk)
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SHOW cursor_tuple_fraction")
            (before,) = cursor.fetchone() or ("0.1",)
            cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        yield from query.iterator(chunk_size=chunk)
        with connection.cursor() as cursor:  # (after an error, the rollback restores it)
            cursor.execute("SELECT set_config('cursor_tuple_fraction', %s, true)", [before])


@dataclass(frozen=True)
class VersionFacts:
    protocol_code: str
    drug: str
    route: str


@dataclass
class ExportContext:
    clinic_ids: list[int]
    identified: bool = False
    patient_ids: list[UUID] | None = None  # None: every patient of the clinics
    study_ids: dict[UUID, str] = field(default_factory=dict)
    index_dates: dict[UUID, date] = field(default_factory=dict)
    versions: dict[int, VersionFacts] = field(default_factory=dict)
    restricted_zip3: frozenset[str] = RESTRICTED_ZIP3
    # A per-export secret: record keys (course, session, response) are HMACs of database ids under
    # it, so tables join within one export but no key can be traced to a database row or across
    # exports. Never written anywhere.
    _secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))

    def record_key(self, kind: str, pk: Any) -> str:
        mac = self._mac.copy()  # the keyed state, set up once: HMAC-SHA256 as before, cheaper
        mac.update(f"{kind}:{pk}".encode())
        return mac.hexdigest()[:16]

    @cached_property
    def _mac(self) -> hmac.HMAC:
        return hmac.new(self._secret, digestmod=hashlib.sha256)

    def day(self, patient_id: UUID, when: date | datetime | None) -> int | None:
        if when is None:
            return None
        if isinstance(when, datetime):
            when = when.astimezone(UTC).date()
        return (when - self.index_dates[patient_id]).days

    @property
    def patient_filter(self) -> dict[str, Any]:
        return {} if self.patient_ids is None else {"pk__in": self.patient_ids}

    @property
    def related_filter(self) -> dict[str, Any]:
        return {} if self.patient_ids is None else {"patient_id__in": self.patient_ids}

    @property
    def session_related_filter(self) -> dict[str, Any]:
        return {} if self.patient_ids is None else {"session__patient_id__in": self.patient_ids}

    def patient_key(self, patient_id: UUID) -> str:
        return str(patient_id) if self.identified else self.study_ids[patient_id]


def _restricted_zip3() -> frozenset[str]:
    """The restricted list, replaceable by a deployment with current census data (unverified)."""
    configured = envlist("KETACLINIC_RESTRICTED_ZIP3", [])
    return frozenset(configured) if configured else RESTRICTED_ZIP3


def study_ids_ensure(patients: Iterable[tuple[UUID, int]]) -> dict[UUID, str]:
    """Every patient's study id, new random ones made (in chunks) for patients without one."""
    pairs = list(patients)
    known = (
        dict(
            StudyId.objects.filter(patient_id__in=[p for p, _ in pairs]).values_list(
                "patient_id", "study_id"
            )
        )
        if len(pairs) < 10_000
        else dict(StudyId.objects.values_list("patient_id", "study_id"))
    )
    missing = [(p, c) for p, c in pairs if p not in known]
    now = timezone.now()
    taken = set(known.values())
    for start in range(0, len(missing), CHUNK):
        batch = []
        for patient_id, clinic_id in missing[start : start + CHUNK]:
            study_id = new_study_id()
            while study_id in taken:  # pragma: no cover - 32**10 ids make a clash vanishingly rare
                study_id = new_study_id()
            taken.add(study_id)
            known[patient_id] = study_id
            batch.append(
                StudyId(
                    patient_id=patient_id, clinic_id=clinic_id, study_id=study_id, created_at=now
                )
            )
        StudyId.objects.bulk_create(batch)
    return {p: known[p] for p, _ in pairs}


def _earliest(into: dict[UUID, date], rows: Iterable[tuple[UUID, date | datetime | None]]) -> None:
    for patient_id, value in rows:
        if value is None:
            continue
        when = value.astimezone(UTC).date() if isinstance(value, datetime) else value
        if patient_id not in into or when < into[patient_id]:
            into[patient_id] = when


def build_context(
    *, clinic_ids: list[int], identified: bool = False, patient_ids: list[UUID] | None = None
) -> ExportContext:
    context = ExportContext(
        clinic_ids=clinic_ids,
        identified=identified,
        patient_ids=patient_ids,
        restricted_zip3=_restricted_zip3(),
    )
    patients = Patient.objects.filter(clinic_id__in=clinic_ids, **context.patient_filter)
    pairs = list(patients.values_list("id", "clinic_id"))
    if not identified:
        context.study_ids = study_ids_ensure(pairs)
    index: dict[UUID, date] = {}
    _earliest(
        index,
        Course.objects.filter(clinic_id__in=clinic_ids)
        .values("patient_id")
        .annotate(first=Min("start_date"))
        .values_list("patient_id", "first"),
    )
    _earliest(
        index,
        ScaleResponse.objects.filter(clinic_id__in=clinic_ids)
        .values("patient_id")
        .annotate(first=Min("effective_at"))
        .values_list("patient_id", "first"),
    )
    _earliest(
        index,
        Screening.objects.filter(clinic_id__in=clinic_ids)
        .values("patient_id")
        .annotate(first=Min("recorded_at"))
        .values_list("patient_id", "first"),
    )
    _earliest(index, patients.values_list("id", "created_at"))
    context.index_dates = index
    for pk, data in ProtocolVersion.objects.filter(family__clinic_id__in=clinic_ids).values_list(
        "pk", "data"
    ):
        protocol = parsed_protocol(data)
        context.versions[pk] = VersionFacts(
            protocol_code=protocol.code, drug=str(protocol.drug), route=str(protocol.route)
        )
    return context
