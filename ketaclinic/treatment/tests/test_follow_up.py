"""Follow-up ratings: the OCD protocol's Y-BOCS one week after the infusion (Rodriguez 2013) is
an item on the patient's chart, due, overdue, done or missed; before, it was only in the
protocol's notes."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from ketaclinic import testing
from ketaclinic.scales import get_definition
from ketaclinic.scales.services import scale_response_record
from ketaclinic.treatment.domain import follow_up as fu
from ketaclinic.treatment.domain.library import SHIPPED_PROTOCOLS
from ketaclinic.treatment.domain.protocol import FollowUpRating
from ketaclinic.treatment.domain.protocol_json import protocol_from_dict, protocol_to_dict
from ketaclinic.treatment.domain.validation import validate_protocol
from ketaclinic.treatment.selectors.follow_up import follow_ups_for_patient, follow_ups_open

UTC = dt.UTC
NY = ZoneInfo("America/New_York")
WEEK = FollowUpRating(scale="ybocs", days_after_dose=7, early_days=1, late_days=3)
DOSED = dt.datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 10:00 in New York, Monday 2 March


def _dose(at: dt.datetime = DOSED, n: int = 1) -> fu.Dose:
    return fu.Dose(session_id=n, number=n, dosed_at=at, rules=(WEEK,))


def _rating(at: dt.datetime, rid: int = 1) -> fu.Rating:
    return fu.Rating(scale="ybocs", response_id=rid, effective_at=at)


def _status(today: dt.date, *ratings: fu.Rating, doses: tuple[fu.Dose, ...] = ()) -> str:
    items = fu.follow_up_items(doses or (_dose(),), ratings, today=today, tz=NY)
    return items[0].status.value


# ---------------------------------------------------------------------------------------------
# The pure rule


def test_due_from_day_six_to_day_ten_in_the_clinics_days() -> None:
    assert _status(dt.date(2026, 3, 7)) == "upcoming"  # day 5
    assert _status(dt.date(2026, 3, 8)) == "due"  # day 6
    assert _status(dt.date(2026, 3, 12)) == "due"  # day 10
    assert _status(dt.date(2026, 3, 13)) == "overdue"  # day 11
    item = fu.follow_up_items([_dose()], [], today=dt.date(2026, 3, 9), tz=NY)[0]
    assert (item.due_on, item.window_from, item.window_to) == (
        dt.date(2026, 3, 9),
        dt.date(2026, 3, 8),
        dt.date(2026, 3, 12),
    )


def test_a_rating_in_the_window_closes_it_and_a_later_one_closes_it_late() -> None:
    on_time = _rating(dt.datetime(2026, 3, 9, 16, 0, tzinfo=UTC))
    late = _rating(dt.datetime(2026, 3, 16, 16, 0, tzinfo=UTC))
    assert _status(dt.date(2026, 3, 20), on_time) == "done"
    assert _status(dt.date(2026, 3, 20), late) == "done_late"


def test_a_rating_before_the_window_or_before_the_dose_does_not_count() -> None:
    pre_dose = _rating(DOSED - dt.timedelta(hours=1))
    next_day = _rating(DOSED + dt.timedelta(days=1))
    assert _status(dt.date(2026, 3, 9), pre_dose, next_day) == "due"


def test_the_next_dose_ends_the_interval() -> None:
    doses = (_dose(), _dose(DOSED + dt.timedelta(days=8), n=2))
    items = fu.follow_up_items(doses, [], today=dt.date(2026, 3, 11), tz=NY)
    assert [i.status.value for i in items] == ["missed", "upcoming"]
    # A rating after the second dose belongs to the second dose's follow-up, not the first.
    after = _rating(DOSED + dt.timedelta(days=15))
    items = fu.follow_up_items(doses, [after], today=dt.date(2026, 3, 17), tz=NY)
    assert [i.status.value for i in items] == ["missed", "done"]


def test_the_local_day_decides_not_the_utc_day() -> None:
    # Dosed 21:00 in New York on 2 March = 02:00 UTC on 3 March: day 7 is 9 March, local.
    late_evening = fu.Dose(
        session_id=1, number=1, dosed_at=dt.datetime(2026, 3, 3, 2, 0, tzinfo=UTC), rules=(WEEK,)
    )
    item = fu.follow_up_items([late_evening], [], today=dt.date(2026, 3, 9), tz=NY)[0]
    assert item.due_on == dt.date(2026, 3, 9)


@settings(deadline=None)  # a loaded CI machine is not a slow function
@given(
    days=st.integers(min_value=1, max_value=fu.MAX_DAYS_AFTER_DOSE),
    early=st.integers(min_value=0, max_value=10),
    late=st.integers(min_value=0, max_value=fu.MAX_WINDOW_DAYS),
    offset=st.integers(min_value=-5, max_value=120),
)
def test_an_unrated_follow_up_is_open_exactly_inside_its_window(
    days: int, early: int, late: int, offset: int
) -> None:
    rule = FollowUpRating(scale="ybocs", days_after_dose=days, early_days=early, late_days=late)
    dose = fu.Dose(session_id=1, number=1, dosed_at=DOSED, rules=(rule,))
    today = DOSED.astimezone(NY).date() + dt.timedelta(days=offset)
    item = fu.follow_up_items([dose], [], today=today, tz=NY)[0]
    assert item.window_from <= item.due_on <= item.window_to
    inside = item.window_from <= today <= item.window_to
    assert (item.status is fu.FollowUpStatus.DUE) == inside
    assert (item.status is fu.FollowUpStatus.OVERDUE) == (today > item.window_to)


def test_impossible_rules_are_refused_naming_the_field() -> None:
    ocd = SHIPPED_PROTOCOLS["iv_racemic_ocd"]
    bad = ocd.__class__(
        **{
            **{f: getattr(ocd, f) for f in ocd.__dataclass_fields__},
            "follow_up_ratings": (
                FollowUpRating(scale="ybocs", days_after_dose=0),
                FollowUpRating(scale="ybocs", days_after_dose=7, early_days=7, late_days=40),
            ),
        }
    )
    fields = {e.field for e in validate_protocol(bad)}
    assert {
        "follow_up_ratings[0].days_after_dose",
        "follow_up_ratings[1].early_days",
        "follow_up_ratings[1].late_days",
    } <= fields


def test_the_ocd_protocol_asks_for_the_ybocs_at_one_week_and_round_trips() -> None:
    ocd = SHIPPED_PROTOCOLS["iv_racemic_ocd"]
    assert ocd.follow_up_ratings == (WEEK,)
    assert validate_protocol(ocd) == []
    assert protocol_from_dict(protocol_to_dict(ocd)) == ocd
    # A protocol without follow-ups stores exactly as before (no new key).
    assert "follow_up_ratings" not in protocol_to_dict(SHIPPED_PROTOCOLS["esketamine_trd"])


# ---------------------------------------------------------------------------------------------
# The chart


def _dosed_ocd_session(clinic_admin: Any, nurse: Any, prescriber: Any) -> Any:
    version = testing.shipped_protocol(clinic_admin, "iv_racemic_ocd")
    session = testing.checked_in_session(nurse=nurse, prescriber=prescriber, version=version)
    testing.dose_iv_syringe(nurse, session)
    return session


def _ybocs(nurse: Any, patient: Any, at: dt.datetime) -> Any:
    definition = get_definition("ybocs")
    answers = [None if item.asked_when else item.max for item in definition.items]
    return scale_response_record(
        by=nurse, patient=patient, code="ybocs", answers=answers, effective_at=at
    )


@pytest.mark.django_db
def test_the_chart_lists_the_one_week_ybocs_then_marks_it_done(
    clinic_admin, nurse, prescriber, login
) -> None:
    session = _dosed_ocd_session(clinic_admin, nurse, prescriber)
    patient = session.patient
    url = reverse("patients:detail", kwargs={"pk": patient.pk})
    client = login(prescriber)
    html = client.get(url).content.decode()
    assert "Follow-up ratings" in html
    assert "Y-BOCS" in html and "Upcoming" in html
    rows = follow_ups_for_patient(membership=prescriber, patient=patient)
    assert [r.item.status.value for r in rows] == ["upcoming"]

    with time_machine.travel(timezone.now() + dt.timedelta(days=7), tick=False):
        client = login(prescriber)
        html = client.get(url).content.decode()
        assert "state-due" in html
        assert f"{reverse('scales:enter', kwargs={'pk': patient.pk})}?code=ybocs" in html
        response = _ybocs(nurse, patient, timezone.now())
        html = client.get(url).content.decode()
        assert reverse("scales:detail", kwargs={"response_id": response.pk}) in html
        rows = follow_ups_for_patient(membership=prescriber, patient=patient)
        assert [r.item.status.value for r in rows] == ["done"]


@pytest.mark.django_db
def test_other_clinics_and_the_front_desk_see_no_follow_ups(
    clinic_admin, nurse, prescriber, outsider, front_desk
) -> None:
    session = _dosed_ocd_session(clinic_admin, nurse, prescriber)
    assert follow_ups_for_patient(membership=outsider, patient=session.patient) == []
    assert follow_ups_for_patient(membership=front_desk, patient=session.patient) == []


@pytest.mark.django_db
def test_the_worklist_and_home_panel_show_what_is_due_and_drop_it_once_rated(
    clinic_admin, nurse, prescriber, front_desk, login, django_assert_max_num_queries
) -> None:
    session = _dosed_ocd_session(clinic_admin, nurse, prescriber)
    patient = session.patient
    url = reverse("treatment:follow_ups")
    assert follow_ups_open(membership=nurse) == []  # day 0: not yet due
    with time_machine.travel(timezone.now() + dt.timedelta(days=11), tick=False):
        client = login(nurse)
        with django_assert_max_num_queries(4):
            rows = follow_ups_open(membership=nurse)
        assert [(r.session.patient_id, r.item.status.value) for r in rows] == [
            (patient.pk, "overdue")
        ]
        html = client.get(url).content.decode()
        assert patient.family_name in html and "Overdue" in html
        home = client.get(reverse("home")).content.decode()
        assert "Follow-up ratings due: 1" in home
        _ybocs(nurse, patient, timezone.now())
        assert "No follow-up rating is due." in client.get(url).content.decode()
        assert "Follow-up ratings due" not in client.get(reverse("home")).content.decode()
        assert login(front_desk).get(url).status_code == 403
