"""The cohort page's figures equal those computed by hand for a small synthetic cohort (run on
SQLite and, with TEST_DATABASE_URL, on PostgreSQL: the aggregation is SQL)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic import testing
from ketaclinic.research.analytics import MIN_CELL
from ketaclinic.research.stats import wilson
from ketaclinic.research.summary import rebuild
from ketaclinic.scales.models import ScaleResponse
from ketaclinic.treatment.models import (
    AdverseEvent,
    Course,
    DoseAdministration,
    ProtocolVersion,
    TreatmentSession,
)

# PHQ-9 before sessions 1, 2, 3 (days 0, 3.5 and 8): baseline 20 for all twelve women;
# session 2: six at 10 (a 50 % fall: response), six at 12; session 3: three at 4 (response and
# remission, PHQ-9 <= 4), nine at 15.
SCORES = [(20, 10, 4)] * 3 + [(20, 10, 15)] * 3 + [(20, 12, 15)] * 6
DAYS = (0.0, 3.5, 8.0)


def _response(patient: Any, by: Any, at: dt.datetime, total: int, **extra: Any) -> None:
    answers = [min(3, max(0, total - 3 * i)) for i in range(9)]
    ScaleResponse.objects.create(
        patient=patient, clinic_id=patient.clinic_id, code=extra.pop("code", "phq9"),
        scale_version="1", answers=answers, total=float(total), effective_at=at,
        recorded_at=at, recorded_by=by, source="clinic", **extra,
    )  # fmt: skip


def _course(patient: Any, version: ProtocolVersion, by: Any, start: dt.datetime, mg: list[int],
            indication: str) -> list[TreatmentSession]:  # fmt: skip
    course = Course.objects.create(
        clinic_id=patient.clinic_id, patient=patient, protocol_version=version,
        indication=indication, decision_note="synthetic", enrolled_by=by, enrolled_at=start,
        start_date=start.date(), session_time=dt.time(9),
    )  # fmt: skip
    sessions = []
    for n, (days, dose) in enumerate(zip(DAYS, mg, strict=False), start=1):
        at = start + dt.timedelta(days=days)
        session = TreatmentSession.objects.create(
            clinic_id=patient.clinic_id, patient=patient, course=course,
            protocol_version=version, number=n, phase_code="induction", scheduled_at=at,
            phase="done", checked_in_at=at, dose_started_at=at, discharged_at=at,
        )  # fmt: skip
        DoseAdministration.objects.create(
            session=session, dose_mg=Decimal(dose), product="Synthetic", lot_number="L1",
            expiry_date=at.date() + dt.timedelta(days=300), started_at=at, given_by=by,
            recorded_at=at,
        )  # fmt: skip
        sessions.append(session)
    return sessions


def _at(session: TreatmentSession) -> dt.datetime:
    assert session.dose_started_at is not None
    return session.dose_started_at


@pytest.fixture(params=["live", "summary"])
def cohort(
    request: pytest.FixtureRequest,
    clinic_admin: Any,
    nurse: Any,
    make_patient: Any,
    prescriber: Any,
) -> dict[str, Any]:
    """The hand-computed cohort; each test runs on the live statements and on the summary."""
    esk = testing.shipped_protocol(clinic_admin, "esketamine_trd")
    iv = testing.shipped_protocol(clinic_admin, "iv_racemic_depression")
    by = nurse.user
    start = (timezone.now() - dt.timedelta(days=60)).replace(microsecond=0)
    sessions = []
    for i, scores in enumerate(SCORES):
        woman = make_patient(prescriber, mrn=f"SYN-{i:03d}", sex="female",
                             date_of_birth=dt.date(1975, 5, 5))  # fmt: skip
        found = _course(woman, esk, by, start, [56, 84, 84], "trd")
        sessions += found
        for session, total in zip(found, scores, strict=True):
            _response(woman, by, _at(session) - dt.timedelta(minutes=30), total)
        # After the last dose: belongs to no session; a GAD-7 is another scale.
        _response(woman, by, _at(found[-1]) + dt.timedelta(hours=1), 0)
        _response(woman, by, _at(found[1]) - dt.timedelta(minutes=5), 0, code="gad7")
    # Patient 0's session-3 score was corrected: the amended (superseded) version never counts.
    first = sessions[2]
    _response(first.patient, by, _at(first) - dt.timedelta(minutes=40), 27,
              status="amended")  # fmt: skip
    for session in (sessions[1], sessions[4]):
        AdverseEvent.objects.create(
            session=session, event_type="dizziness", onset_at=_at(session),
            severity="mild", serious=False, action_taken="Observed", outcome="resolved",
            recorded_by=by, recorded_at=_at(session),
        )  # fmt: skip
    # One man on IV racemic ketamine (0.5 mg/kg of 80 kg), no baseline score.
    man = make_patient(prescriber, mrn="SYN-M", sex="male", date_of_birth=dt.date(1990, 1, 1))
    _course(man, iv, by, start, [40, 40], "mdd")
    if request.param == "summary":
        rebuild(clinic_admin.clinic_id)
    return {"start": start, "summary": request.param == "summary"}


def _get(client: Any, **params: str) -> Any:
    page = client.get(reverse("research:cohort"), params)
    assert page.status_code == 200
    return page


def test_figures_equal_the_hand_computed_cohort(
    researcher: Any, cohort: dict[str, Any], login: Any
) -> None:
    client = login(researcher)
    women = _get(client, sex="female")
    result = women.context["result"]
    assert (result.patients, result.courses, result.dosed_sessions) == (12, 12, 36)
    by_session = [(p.label, p.n, p.responders, p.remitters, p.patients) for p in result.by_session]
    assert by_session == [(2, 12, 6, 0, 12), (3, 12, 3, 3, 12)]
    by_week = [(p.label, p.n, p.responders, p.remitters) for p in result.by_week]
    assert by_week == [(1, 12, 6, 0), (2, 12, 3, 3)]  # days 3.5 and 8 after the first dose
    assert result.adverse_events == 2 and result.ae_per_100 == pytest.approx(200 / 36)
    assert result.ae_by_type == [("dizziness", 2, pytest.approx(200 / 36))]
    (esketamine,) = result.exposure
    assert (esketamine.drug, esketamine.patients, esketamine.sessions) == ("esketamine", 12, 36)
    assert esketamine.mg == 12 * (56 + 84 + 84) and esketamine.mg_per_patient == 224
    # The intervals on the page are the pure Wilson intervals of these counts.
    low, high = wilson(6, 12)
    text = women.content.decode()
    assert f"50% ({low:.0%}-{high:.0%})" in text
    assert "Esketamine" in text and "Dizziness" in text
    said = "Figures as of" if cohort["summary"] else "Figures computed now"
    assert said in text


def test_filters_by_drug_route_indication_protocol_age_and_period(
    researcher: Any, cohort: dict[str, Any], login: Any
) -> None:
    client = login(researcher)
    everyone = _get(client).context["result"]
    assert (everyone.patients, everyone.dosed_sessions) == (13, 38)
    assert [(e.drug, e.sessions) for e in everyone.exposure] == [
        ("esketamine", 36),
        ("racemic_ketamine", 2),
    ]
    for params in ({"drug": "esketamine"}, {"route": "esketamine_nasal"},
                   {"indication": "trd"}, {"protocol": "esketamine_trd"},
                   {"age_band": "45-64"}):  # fmt: skip
        assert _get(client, **params).context["result"].patients == 12, params
    assert _get(client, age_band="30-44").context["result"].patients == 1
    start = cohort["start"].date()
    later = _get(client, start_from=(start + dt.timedelta(days=1)).isoformat())
    assert later.context["result"].patients == 0
    within = _get(client, start_from=start.isoformat(), start_to=start.isoformat())
    assert within.context["result"].patients == 13


def test_a_group_under_eleven_patients_shows_no_figures(
    researcher: Any, cohort: dict[str, Any], login: Any
) -> None:
    client = login(researcher)
    men = _get(client, sex="male")
    assert men.context["result"].patients == 1 < MIN_CELL
    text = men.content.decode()
    assert f"Fewer than {MIN_CELL} patients match these filters" in text
    assert "Dosed sessions" not in text and "SYN-M" not in text
    women = _get(client, sex="female").content.decode()
    assert "SYN-0" not in women  # no medical record number, name or id on the page
    # Two dizziness events: a count under 11 is not shown.
    assert f"Fewer than {MIN_CELL}: not shown" in women


def test_labels_are_words(researcher: Any, cohort: dict[str, Any], login: Any) -> None:
    text = _get(login(researcher)).content.decode()
    for words in ("Treatment-resistant depression", "Major depression", "Racemic ketamine",
                  "IV infusion", "Esketamine nasal spray", "45 to 64", "Outcome scale",
                  "Period: course started on or after"):  # fmt: skip
        assert words in text, words
