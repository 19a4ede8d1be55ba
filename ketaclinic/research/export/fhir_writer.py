"""FHIR R4 NDJSON export: one file per resource type, one validated resource per line.

De-identified (the default): patients under their study id, resources under per-export keys,
every date reduced to its year, no free text. Identified (``identified=True``, for moving a
patient to another clinic's system; clinic admins only, checked by the caller): database ids,
full instants, names and contact details."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any
from uuid import UUID

from tqdm import tqdm

from ketaclinic.patients.models import Diagnosis, Patient, RecordStatus
from ketaclinic.research.deid import age_at
from ketaclinic.research.export.context import CHUNK, ExportContext
from ketaclinic.research.fhir import (
    adverse_event,
    condition,
    encounter,
    medication_administration,
    observations,
    patient,
    questionnaire_response,
    vital_observation,
)
from ketaclinic.scales import score
from ketaclinic.scales.models import ScaleResponse
from ketaclinic.treatment.models import (
    OBSERVATION_CODING,
    AdverseEvent,
    DoseAdministration,
    Observation,
    TreatmentSession,
)

RESOURCE_TYPES = (
    "Patient",
    "Encounter",
    "Observation",
    "QuestionnaireResponse",
    "MedicationAdministration",
    "AdverseEvent",
    "Condition",
)
UPDATE_BATCH = 1000  # resources between two calls of ``update``
_IDENTIFIERS = (
    "mrn", "given_name", "family_name", "email", "phone", "address_line", "city", "postal_code",
)  # fmt: skip


class _Out:
    def __init__(self, ctx: ExportContext) -> None:
        self.ctx = ctx

    def when(self, value: date | datetime | None) -> str | None:
        """A FHIR date: the year only when de-identified, else the full instant or date."""
        if value is None:
            return None
        return value.isoformat() if self.ctx.identified else str(value.year)

    def patient(self, pk: UUID) -> str:
        return self.ctx.patient_key(pk)

    def key(self, kind: str, pk: Any) -> str:
        return f"{kind}-{pk}" if self.ctx.identified else self.ctx.record_key(kind, pk)


def _patients(out: _Out, ctx: ExportContext) -> Iterator[dict[str, Any]]:
    fields = ("id", "date_of_birth", "sex", "state", *_IDENTIFIERS)
    query = Patient.objects.filter(clinic_id__in=ctx.clinic_ids, **ctx.patient_filter)
    for row in query.order_by("pk").values(*fields).iterator(chunk_size=CHUNK):
        born = row["date_of_birth"]
        if ctx.identified:
            birth: str | None = born.isoformat()
        else:  # year of birth, withheld above 89 (164.514(b)(2)(i)(C))
            old = age_at(born, ctx.index_dates[row["id"]]) > 89 if born else True
            birth = None if old else str(born.year)
        yield patient(
            out.patient(row["id"]),
            gender=row["sex"],
            birth_date=birth,
            state=row["state"],
            identified={f: row[f] for f in _IDENTIFIERS} if ctx.identified else None,
        )


def _sessions(out: _Out, ctx: ExportContext) -> Iterator[dict[str, Any]]:
    query = TreatmentSession.objects.filter(
        clinic_id__in=ctx.clinic_ids, **ctx.related_filter
    ).order_by("pk")
    for pk, patient_id, phase, start, end in query.values_list(
        "pk", "patient_id", "phase", "dose_started_at", "discharged_at"
    ).iterator(chunk_size=CHUNK):
        yield encounter(
            out.key("session", pk),
            patient_key=out.patient(patient_id),
            phase=phase,
            start=out.when(start),
            end=out.when(end),
        )


def _vitals(out: _Out, ctx: ExportContext) -> Iterator[dict[str, Any]]:
    query = (
        Observation.objects.filter(
            session__clinic_id__in=ctx.clinic_ids, **ctx.session_related_filter
        )
        .exclude(code__in=["note", "iv_site"])
        .order_by("pk")
        .values_list(
            "pk", "session_id", "session__patient_id", "code", "value", "systolic_mmhg",
            "diastolic_mmhg", "measured_at",
        )
    )  # fmt: skip
    for pk, session, patient_id, code, value, systolic, diastolic, measured in query.iterator(
        chunk_size=CHUNK
    ):
        unit, loinc = OBSERVATION_CODING.get(code, ("", ""))
        yield vital_observation(
            out.key("observation", pk),
            patient_key=out.patient(patient_id),
            encounter_key=out.key("session", session),
            code=code,
            loinc=loinc,
            unit=unit,
            value=value,
            systolic=systolic,
            diastolic=diastolic,
            effective=out.when(measured) or "",
        )


def _responses(
    out: _Out, ctx: ExportContext, observation_file: IO[str], tick: Any
) -> Iterator[dict[str, Any]]:
    query = (
        ScaleResponse.objects.filter(clinic_id__in=ctx.clinic_ids, **ctx.related_filter)
        .order_by("pk")
        .values_list(
            "pk", "patient_id", "code", "answers", "status", "effective_at"
        )
    )  # fmt: skip
    for pk, patient_id, code, answers, status, when in query.iterator(chunk_size=CHUNK):
        key = out.key("response", pk)
        subject = f"Patient/{out.patient(patient_id)}"
        yield _deid_year(
            questionnaire_response(
                code,
                answers,
                subject=subject,
                authored=when,
                resource_id=key,
                status="completed" if status == "final" else "amended",
            ),
            "authored",
            out.when(when),
        )
        for observation in observations(
            code,
            answers,
            score(code, answers),
            subject=subject,
            authored=when,
            questionnaire_response_ref=f"QuestionnaireResponse/{key}",
        ):
            _deid_year(observation, "effectiveDateTime", out.when(when))
            observation_file.write(json.dumps(observation, separators=(",", ":")) + "\n")
            tick(1)


def _deid_year(resource: dict[str, Any], field: str, value: str | None) -> dict[str, Any]:
    if value is not None:
        resource[field] = value
    return resource


def _doses(out: _Out, ctx: ExportContext) -> Iterator[dict[str, Any]]:
    query = (
        DoseAdministration.objects.filter(
            session__clinic_id__in=ctx.clinic_ids, **ctx.session_related_filter
        )
        .order_by("pk")
        .values_list(
            "pk", "session_id", "session__patient_id", "session__protocol_version_id", "dose_mg",
            "started_at",
        )
    )  # fmt: skip
    for pk, session, patient_id, version, mg, started in query.iterator(chunk_size=CHUNK):
        facts = ctx.versions[version]
        yield medication_administration(
            out.key("dose", pk),
            patient_key=out.patient(patient_id),
            encounter_key=out.key("session", session),
            drug=facts.drug,
            route=facts.route,
            dose_mg=mg,
            effective=out.when(started) or "",
        )


def _adverse_events(out: _Out, ctx: ExportContext) -> Iterator[dict[str, Any]]:
    query = (
        AdverseEvent.objects.filter(
            session__clinic_id__in=ctx.clinic_ids, **ctx.session_related_filter
        )
        .order_by("pk")
        .values_list(
            "pk", "session_id", "session__patient_id", "event_type", "severity", "serious",
            "outcome", "onset_at",
        )
    )  # fmt: skip
    for pk, session, patient_id, kind, severity, serious, outcome, onset in query.iterator(
        chunk_size=CHUNK
    ):
        yield adverse_event(
            out.key("adverse-event", pk),
            patient_key=out.patient(patient_id),
            encounter_key=out.key("session", session),
            event_type=kind,
            severity=severity,
            serious=serious,
            outcome=outcome,
            date=out.when(onset) or "",
        )


def _conditions(out: _Out, ctx: ExportContext) -> Iterator[dict[str, Any]]:
    query = (
        Diagnosis.objects.filter(
            patient__clinic_id__in=ctx.clinic_ids,
            status=RecordStatus.ACTIVE,
            **ctx.related_filter,
        )
        .order_by("pk")
        .values_list("pk", "patient_id", "icd10_code", "text", "diagnosed_on", "resolved_on")
    )
    for pk, patient_id, icd10, text, onset, resolved in query.iterator(chunk_size=CHUNK):
        yield condition(
            out.key("condition", pk),
            patient_key=out.patient(patient_id),
            icd10=icd10,
            text=text if ctx.identified else None,
            resolved=resolved is not None,
            onset=out.when(onset),
        )


def write_fhir(
    ctx: ExportContext,
    folder: Path,
    *,
    show: bool = False,
    update: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Write ``<ResourceType>.ndjson`` files into ``folder``; the count of resources per file."""
    out = _Out(ctx)
    counts: dict[str, int] = {}
    files = {
        kind: (folder / f"{kind}.ndjson").open("w", encoding="utf-8") for kind in RESOURCE_TYPES
    }
    try:
        with tqdm(desc="FHIR", unit=" resources", disable=not show, file=sys.stderr) as bar:
            observation_count = [0]
            done, told = [0], [0]  # resources written; of which ``update`` has heard

            def advance(n: int) -> None:
                bar.update(n)
                done[0] += n
                if update is not None and done[0] - told[0] >= UPDATE_BATCH:
                    update(done[0] - told[0])
                    told[0] = done[0]

            def tick_observation(n: int) -> None:
                observation_count[0] += n
                advance(n)

            sources: list[tuple[str, Iterator[dict[str, Any]]]] = [
                ("Patient", _patients(out, ctx)),
                ("Encounter", _sessions(out, ctx)),
                ("Observation", _vitals(out, ctx)),
                (
                    "QuestionnaireResponse",
                    _responses(out, ctx, files["Observation"], tick_observation),
                ),
                ("MedicationAdministration", _doses(out, ctx)),
                ("AdverseEvent", _adverse_events(out, ctx)),
                ("Condition", _conditions(out, ctx)),
            ]
            for kind, resources in sources:
                handle = files[kind]
                for resource in resources:
                    handle.write(json.dumps(resource, separators=(",", ":")) + "\n")
                    counts[kind] = counts.get(kind, 0) + 1
                    advance(1)
            if update is not None:
                update(done[0] - told[0])
            counts["Observation"] = counts.get("Observation", 0) + observation_count[0]
    finally:
        for handle in files.values():
            handle.close()
    return {f"{kind}.ndjson": counts.get(kind, 0) for kind in RESOURCE_TYPES}
