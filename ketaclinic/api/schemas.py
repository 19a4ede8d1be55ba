"""Input and output schemas, one per operation (HackSoft "APIs & Serializers")."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from ninja import Schema
from pydantic import Field

MAX_LIMIT = 100
MAX_OFFSET = 100_000


class Message(Schema):
    message: str


class ValidationMessage(Schema):
    message: str
    errors: dict[str, list[str]] = Field(
        description="Field name -> what is wrong with it and what is allowed"
    )


class PatientOut(Schema):
    id: UUID
    mrn: str
    given_name: str
    family_name: str
    preferred_name: str
    date_of_birth: dt.date
    sex: str
    is_archived: bool


class PatientPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[PatientOut]


class ScaleResponseOut(Schema):
    id: int
    code: str
    scale_version: str
    effective_at: dt.datetime
    recorded_at: dt.datetime
    source: str
    status: str
    amends_id: int | None
    # Answers and scores only for roles that see them on the web (rating-scale recorders); for the
    # others (front desk, clinic admin) they are null: withheld, not unanswered.
    answers: list[int | None] | None
    total: float | None
    band: str | None
    flags: list[str] | None


class ScaleResponsePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[ScaleResponseOut]


class ScaleResponseIn(Schema):
    code: str = Field(max_length=32, description="Scale code, e.g. PHQ-9")
    answers: list[int | None] = Field(
        max_length=200, description="Every item's answer in item order; null = not answered"
    )
    effective_at: dt.datetime = Field(
        description="The time the answers refer to, with a time zone; not in the future"
    )


class SessionOut(Schema):
    id: int
    patient_id: UUID
    course_id: int
    number: int
    scheduled_at: dt.datetime
    chair: str
    phase: str
    checked_in_at: dt.datetime | None
    dose_started_at: dt.datetime | None
    discharged_at: dt.datetime | None
    signed_at: dt.datetime | None


class ExportIn(Schema):
    kind: Literal["csv", "parquet", "fhir"] = Field(
        description="De-identified export format: csv or parquet tables, or FHIR R4 NDJSON"
    )


class ExportOut(Schema):
    id: UUID
    kind: str
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    files: dict[str, int]
    error: str


class PatientQuery(Schema):
    q: str = Field("", max_length=100, description="Name, MRN or date of birth (YYYY-MM-DD)")
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class ScaleResponseQuery(Schema):
    code: str | None = Field(None, max_length=32, description="Only this scale, e.g. PHQ-9")
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class SessionQuery(Schema):
    date: dt.date | None = Field(
        None, description="The clinic's local day, YYYY-MM-DD (default: today)"
    )
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)
