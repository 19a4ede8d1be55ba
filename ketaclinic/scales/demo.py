"""This app's part of the demo clinic (called by `ketaclinic demo` after the foundation step).

Synthetic PHQ-9 trajectories for the demo clinic's patients (MADRS for about half, GAD-7 for those
with an anxiety picture): responders, partial responders, non-responders and one relapse; exactly one
response has a positive PHQ-9 item 9, which leaves one open suicidal-ideation alert. Deterministic (a
fixed seed) and idempotent: a patient who already has responses is left alone.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import Clinic, Membership
from ketaclinic.accounts.permissions import Role
from ketaclinic.patients.models import Patient
from ketaclinic.scales import get_definition
from ketaclinic.scales.models import ScaleResponse
from ketaclinic.scales.services import scale_response_record

SEED = 20261127 + 3
CLINIC_CODE = "demo"
# Days before today of each response: twice weekly for three weeks (induction), then weekly.
SCHEDULE_DAYS = (56, 53, 49, 46, 42, 39, 35, 28, 21, 14, 7, 1)
SI_PATIENT_INDEX = 7  # the one patient whose latest PHQ-9 has item 9 positive


def _answers(code: str, total: int, rng: random.Random, keep_zero: set[str]) -> list[int | None]:
    """Item answers adding up to ``total``, spread at random over the items not in ``keep_zero``."""
    definition = get_definition(code)
    answers: list[int | None] = [item.min for item in definition.items]
    free = [i for i, item in enumerate(definition.items) if item.id not in keep_zero]
    remaining = total - sum(item.min for item in definition.items)
    capacity = sum(definition.items[i].max - definition.items[i].min for i in free)
    remaining = max(0, min(remaining, capacity))
    while remaining:
        i = rng.choice(free)
        current = answers[i]
        if current is not None and current < definition.items[i].max:
            answers[i] = current + 1
            remaining -= 1
    return answers


def _pattern(index: int, rng: random.Random) -> tuple[str, list[float]]:
    """A named shape and, per scheduled response, the fraction of the baseline remaining."""
    n = len(SCHEDULE_DAYS)
    if index == 3:  # relapse: remission by week 4, then back up
        fractions = [1.0, 0.8, 0.6, 0.45, 0.3, 0.2, 0.18, 0.2, 0.35, 0.55, 0.7, 0.8]
        return "relapse", fractions
    kind = ("responder", "responder", "partial", "non_responder", "responder")[index % 5]
    floor = {"responder": rng.uniform(0.1, 0.3), "partial": 0.55, "non_responder": 0.88}[kind]
    speed = rng.uniform(0.25, 0.6)
    fractions = []
    for step in range(n):
        fraction = floor + (1 - floor) * (1 - speed) ** step
        fractions.append(min(1.1, max(0.0, fraction + rng.uniform(-0.06, 0.06))))
    fractions[0] = 1.0
    return kind, fractions


def _at(clinic: Clinic, days_ago: int, hour: int) -> datetime:
    day = timezone.now().astimezone(clinic.tzinfo).date() - timedelta(days=days_ago)
    when = datetime.combine(day, time(hour, 0), tzinfo=clinic.tzinfo)
    return min(when, timezone.now() - timedelta(minutes=10))


def record_history(
    *,
    by: Membership,
    patient: Patient,
    code: str,
    totals_by_days_ago: Sequence[tuple[int, int]],
    seed: int,
) -> int:
    """Synthetic responses of ``code`` for ``patient``: ``(days before today, total)`` pairs,
    answered at 09:00 clinic time; items spread at random (fixed ``seed``). Used by the
    treatment demo for the patients on the PTSD, OCD, anxiety and intranasal protocols. Item 9
    of the PHQ-9 stays 0 (no suicidal-ideation alert). Returns the number recorded."""
    rng = random.Random(seed)  # noqa: S311  (synthetic demo data, not security)
    keep_zero = {"9"} if code == "phq9" else set()
    for days_ago, total in totals_by_days_ago:
        scale_response_record(
            by=by,
            patient=patient,
            code=code,
            answers=_answers(code, total, rng, keep_zero),
            effective_at=_at(patient.clinic, days_ago, 9),
        )
    return len(totals_by_days_ago)


def seed(out: Callable[[str], None]) -> None:
    clinic = Clinic.objects.filter(code=CLINIC_CODE).first()
    if clinic is None:
        return
    nurse = Membership.objects.filter(clinic=clinic, role=Role.NURSE).first()
    prescriber = Membership.objects.filter(clinic=clinic, role=Role.PRESCRIBER).first()
    if nurse is None or prescriber is None:
        return
    rng = random.Random(SEED)  # noqa: S311  (synthetic demo data, not security)
    patients = list(Patient.objects.filter(clinic=clinic).order_by("mrn")[:40])
    created = 0
    for index, patient in enumerate(patients):
        _shape, fractions = _pattern(index, rng)
        phq_baseline = rng.randint(15, 24)
        madrs_baseline = rng.randint(26, 42)
        gad_baseline = rng.randint(10, 19)
        with_madrs = index % 2 == 0
        with_gad = index % 3 == 0
        if ScaleResponse.objects.filter(patient=patient).exists():
            continue
        with transaction.atomic():
            for step, (days_ago, fraction) in enumerate(zip(SCHEDULE_DAYS, fractions, strict=True)):
                latest = step == len(SCHEDULE_DAYS) - 1
                phq_total = round(min(24, phq_baseline * fraction))
                si = index == SI_PATIENT_INDEX and latest
                answers = _answers("phq9", phq_total - (1 if si else 0), rng, {"9"})
                if si:
                    answers[8] = 1
                scale_response_record(
                    by=nurse,
                    patient=patient,
                    code="phq9",
                    answers=answers,
                    effective_at=_at(clinic, days_ago, 9),
                )
                created += 1
                if with_madrs and step % 3 == 0:
                    scale_response_record(
                        by=prescriber,
                        patient=patient,
                        code="madrs",
                        answers=_answers("madrs", round(madrs_baseline * fraction), rng, {"10"}),
                        effective_at=_at(clinic, days_ago, 10),
                    )
                    created += 1
                if with_gad and step % 2 == 0:
                    scale_response_record(
                        by=nurse,
                        patient=patient,
                        code="gad7",
                        answers=_answers("gad7", round(gad_baseline * fraction), rng, set()),
                        effective_at=_at(clinic, days_ago, 9),
                    )
                    created += 1
    out(
        f"Rating scales: {created} responses created, "
        f"{ScaleResponse.objects.filter(clinic=clinic).count()} in all."
    )
