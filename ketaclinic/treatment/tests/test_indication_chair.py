"""Issue 16 at the chair: intranasal racemic sprays timed one by one like the esketamine
devices, and the ascending-dose step of a subcutaneous anxiety session, through the services
and selectors on the real database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ketaclinic import testing
from ketaclinic.treatment import services
from ketaclinic.treatment.selectors.dose import dose_preview, session_step

pytestmark = pytest.mark.django_db


def _spray(nurse: Any, session: Any, times: list[dt.datetime]) -> Any:
    return services.dose_record(
        by=nurse,
        session=session,
        dose_mg=Decimal("50"),
        product="Ketamine HCl 100 mg/mL nasal solution (compounded)",
        lot_number="IN-LOT-7",
        expiry_date=timezone.now().date() + dt.timedelta(days=60),
        device_times=times,
    )


def test_intranasal_50_mg_is_recorded_as_five_sprays_with_their_times(
    clinic_admin: Any, checked: Any, nurse: Any
) -> None:
    session = checked(
        testing.shipped_protocol(clinic_admin, "in_racemic_depression"), vitals_minutes_ago=30
    )
    preview = dose_preview(session=session)
    assert (preview.dose_mg, preview.device_count, preview.verdict) == (
        Decimal("50"),
        5,
        "within_range",
    )
    first = timezone.now() - dt.timedelta(minutes=21)
    dose = _spray(nurse, session, [first + dt.timedelta(minutes=5 * i) for i in range(5)])
    assert dose.dose_mg == Decimal("50")
    assert dose.device_count == 5
    assert len(dose.device_times) == 5


def test_intranasal_sprays_need_each_time_and_five_minutes_between_them(
    clinic_admin: Any, checked: Any, nurse: Any
) -> None:
    session = checked(
        testing.shipped_protocol(clinic_admin, "in_racemic_depression"), vitals_minutes_ago=30
    )
    first = timezone.now() - dt.timedelta(minutes=21)
    with pytest.raises(ValidationError) as missing:
        _spray(nurse, session, [first + dt.timedelta(minutes=5 * i) for i in range(4)])
    assert "50 mg is 5 sprays of 10 mg: give the time of each spray." in str(missing.value)
    close = [first + dt.timedelta(minutes=5 * i) for i in range(4)]
    close.append(close[-1] + dt.timedelta(minutes=2))
    with pytest.raises(ValidationError) as too_soon:
        _spray(nurse, session, close)
    assert "Spray 5 was given 2.0 min after spray 4" in str(too_soon.value)
    session.refresh_from_db()
    assert not hasattr(session, "dose") or session.dose is None  # nothing half-written


def test_the_first_anxiety_session_is_dosed_at_the_first_step_and_the_next_at_the_second(
    clinic_admin: Any, checked: Any, nurse: Any
) -> None:
    session = checked(testing.shipped_protocol(clinic_admin, "sc_racemic_anxiety"))
    assert session.phase_code == "titration"
    assert session_step(session) == (1, Decimal("0.25"))
    preview = dose_preview(session=session)
    assert preview.dose_mg == Decimal("17.5")  # 0.25 mg/kg x 70 kg
    assert preview.verdict == "within_range"
    wrong = dose_preview(session=session, amount=Decimal("1.0"))
    assert wrong.verdict == "needs_override"
    assert "step 0.25 mg/kg" in wrong.message
    services.dose_record(
        by=nurse,
        session=session,
        concentration_mg_per_ml=Decimal("10"),
        product="Ketamine HCl 10 mg/mL",
        lot_number="SC-1",
        expiry_date=timezone.now().date() + dt.timedelta(days=200),
        started_at=timezone.now() - dt.timedelta(minutes=1),
    )
    second = session.course.sessions.get(number=2)
    assert second.phase_code == "titration"
    assert session_step(second) == (2, Decimal("0.5"))
    third = session.course.sessions.get(number=3)
    # Session 2 is not dosed yet: session 3 would be the second dose, so its step is 0.5 too.
    assert session_step(third) == (2, Decimal("0.5"))


def test_the_session_page_offers_one_time_field_per_spray(
    client: Any, clinic_admin: Any, checked: Any, nurse: Any
) -> None:
    session = checked(testing.shipped_protocol(clinic_admin, "in_racemic_depression"))
    testing.sign_in(client, nurse)
    html = client.get(reverse("treatment:session", args=[session.pk])).content.decode()
    for i in range(1, 6):
        assert f"Spray {i} given at" in html
    assert "Spray 6 given at" not in html
    assert "50 mg (5 sprays)" in html
    # Like the esketamine devices, the dose is fixed: no "Calculate" step before the times.
    assert 'value="preview"' not in html


def test_the_protocol_page_shows_the_steps_the_sprays_and_the_off_label_marks(
    client: Any, clinic_admin: Any, prescriber: Any
) -> None:
    anxiety = testing.shipped_protocol(clinic_admin, "sc_racemic_anxiety")
    nasal = testing.shipped_protocol(clinic_admin, "in_racemic_depression")
    testing.sign_in(client, prescriber)
    html = client.get(reverse("treatment:protocol", args=[anxiety.family.pk])).content.decode()
    assert (
        "Ascending doses, one step per session: session 1 0.25 mg/kg, session 2 0.5 mg/kg, "
        "session 3 1.0 mg/kg" in html
    )
    assert "the step that worked in the titration phase, chosen by the prescriber" in html
    assert "Off-label, experimental" in html
    assert "Glue 2017" in html
    html = client.get(reverse("treatment:protocol", args=[nasal.family.pk])).content.decode()
    assert "10 mg each from a 100 mg/mL solution, 5 min apart, each timed at the chair" in html
    assert "Lapidus 2014" in html


def test_a_nurse_cannot_skip_a_titration_step_without_the_prescribers_decision(
    clinic_admin: Any, checked: Any, nurse: Any
) -> None:
    session = checked(testing.shipped_protocol(clinic_admin, "sc_racemic_anxiety"))
    with pytest.raises(ValidationError) as refused:
        services.dose_record(
            by=nurse,
            session=session,
            amount=Decimal("1.0"),
            concentration_mg_per_ml=Decimal("10"),
            product="Ketamine HCl 10 mg/mL",
            lot_number="SC-2",
            expiry_date=timezone.now().date() + dt.timedelta(days=200),
            started_at=timezone.now() - dt.timedelta(minutes=1),
        )
    assert "step 0.25 mg/kg" in str(refused.value)
    assert "Ask the prescriber to record it." in str(refused.value)
    session.refresh_from_db()
    assert not hasattr(session, "dose") or session.dose is None
