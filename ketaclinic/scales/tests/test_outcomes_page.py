"""Issue 14, "The clinic outcomes page": rates drawn as charts with the table kept, PCL-5, Y-BOCS and
GAD-7 included with their own rules, filters by indication, protocol and period that refuse bad
values with a message, and the table as an audited, formula-safe CSV."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.audit.models import AuditEvent, EventType
from ketaclinic.scales import outcome_chart, outcomes, services
from ketaclinic.scales.tests.helpers import answers_for_total
from ketaclinic.testing import session_now, shipped_protocol

pytestmark = pytest.mark.django_db


def _series(nurse, patient, code: str, totals: tuple[int, ...], first_days_ago: int = 30) -> None:
    now = timezone.now()
    for n, total in enumerate(totals):
        services.scale_response_record(
            by=nurse,
            patient=patient,
            code=code,
            answers=answers_for_total(code, total),
            effective_at=now - datetime.timedelta(days=first_days_ago - 7 * n),
        )


@pytest.fixture
def two_phq9_patients(nurse, prescriber, make_patient):
    first = make_patient(prescriber, given_name="Ada")
    second = make_patient(prescriber, given_name="Bea")
    _series(nurse, first, "phq9", (20, 15, 9, 4))
    _series(nurse, second, "phq9", (18, 17, 16, 15))
    return first, second


def test_the_rates_are_drawn_as_bars_with_the_table_kept(two_phq9_patients, prescriber, login):
    page = login(prescriber).get(reverse("scales:outcomes"))
    html = page.content.decode()
    assert page.status_code == 200
    assert '<rect class="bar response"' in html
    assert '<rect class="bar remission"' in html
    assert "Session 2: response 50% (1 of 2)" in html
    assert '<table class="list outcomes">' in html
    assert "remission: a total of 4 or less" in html  # PHQ-9's rule, read from its definition


@pytest.mark.parametrize(
    ("code", "totals", "remission"),
    # PCL-5 has no remission threshold; Y-BOCS remits at 12 or less (issue 16, scales.md).
    [("pcl5", (60, 40, 25), False), ("ybocs", (30, 25, 18), True)],
)
def test_pcl5_and_ybocs_are_reported_by_their_own_response_rule(
    nurse, prescriber, make_patient, login, code: str, totals: tuple[int, ...], remission: bool
) -> None:
    _series(nurse, make_patient(prescriber), code, totals)
    page = login(prescriber).get(reverse("scales:outcomes"))
    tables = {t["code"]: t for t in page.context["tables"]}
    assert code in tables
    session2 = tables[code]["rows"][0].cells[0]
    assert (session2.n, session2.responders) == (1, 1)  # 50 % and 40 % falls
    assert tables[code]["show_remission"] is remission
    if not remission:
        assert "no remission threshold" in tables[code]["rule"]
    else:
        assert "remission: a total of 12 or less" in tables[code]["rule"]


def test_gad7_is_reported(nurse, prescriber, make_patient, login) -> None:
    _series(nurse, make_patient(prescriber), "gad7", (15, 10, 4))
    page = login(prescriber).get(reverse("scales:outcomes"))
    assert "gad7" in {t["code"] for t in page.context["tables"]}


@pytest.mark.parametrize(
    ("params", "field", "words"),
    [
        ({"indication": "zzz"}, "indication", "not an indication"),
        ({"protocol": "<script>"}, "protocol", "not a protocol"),
        ({"start": "2024-02-30"}, "start", "YYYY-MM-DD"),
        ({"start": "1999-12-31"}, "start", "2000-01-01"),
        ({"end": "2999-01-01"}, "end", "to today"),
        ({"start": "2024-05-01", "end": "2024-04-01"}, "end", "before its start"),
    ],
)
def test_a_bad_filter_is_refused_with_a_message_not_a_500(
    two_phq9_patients, prescriber, login, params, field, words
) -> None:
    client = login(prescriber)
    for name in ("scales:outcomes", "scales:outcomes_export"):
        response = client.get(reverse(name), params)
        assert response.status_code == 400
        assert words in response.context["form"].errors[field][0]
        assert response.context["tables"] == []
    assert not AuditEvent.objects.filter(event_type=EventType.OUTCOMES_EXPORTED).exists()


def test_the_indication_and_protocol_filters_keep_only_matching_courses(
    two_phq9_patients, prescriber, clinic_admin, login
) -> None:
    first, _ = two_phq9_patients
    session_now(prescriber=prescriber, patient=first, version=shipped_protocol(clinic_admin))
    client = login(prescriber)
    form = client.get(reverse("scales:outcomes")).context["form"]
    assert ("trd", "Treatment-resistant depression") in form.fields["indication"].choices
    for params in ({"indication": "trd"}, {"protocol": "esketamine_trd"}):
        page = client.get(reverse("scales:outcomes"), params)
        (phq,) = page.context["tables"]
        everyone = phq["rows"][0]
        assert everyone.group == "All patients matching the filters"
        assert everyone.patients == 1


def test_the_period_filter_keeps_patients_who_started_in_it(
    two_phq9_patients, nurse, prescriber, make_patient, login
) -> None:
    late = make_patient(prescriber, given_name="Late")
    _series(nurse, late, "phq9", (20, 8), first_days_ago=8)
    today = timezone.now().astimezone(prescriber.clinic.tzinfo).date()
    client = login(prescriber)
    recent = {"start": (today - datetime.timedelta(days=10)).isoformat()}
    (phq,) = client.get(reverse("scales:outcomes"), recent).context["tables"]
    assert phq["rows"][0].patients == 1
    earlier = {"end": (today - datetime.timedelta(days=20)).isoformat()}
    (phq,) = client.get(reverse("scales:outcomes"), earlier).context["tables"]
    assert phq["rows"][0].patients == 2


def test_the_table_exports_as_csv_and_is_audited(two_phq9_patients, prescriber, login) -> None:
    response = login(prescriber).get(reverse("scales:outcomes_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["Scale", "Group"]
    session2 = next(r for r in rows if r[1] == "All patients" and r[4] == "Session 2")
    assert session2[5:8] == ["2", "1", "50.0"]
    event = AuditEvent.objects.get(event_type=EventType.OUTCOMES_EXPORTED)
    assert event.actor_id == prescriber.user_id


def test_a_time_point_without_patients_is_no_data_never_zero() -> None:
    cells = (outcomes.Cell("Session 2", 0, 0, 0), outcomes.Cell("Week 1", 4, 1, 0))
    chart = outcome_chart.outcome_chart(cells)
    assert [s.empty for s in chart.slots] == [True, False]
    assert {b.title for b in chart.bars} == {
        "Week 1: response 25% (1 of 4)",
        "Week 1: remission 0% (0 of 4)",
    }
    (response,) = [b for b in chart.bars if b.kind == "response"]
    assert response.height == pytest.approx((chart.plot_bottom - chart.plot_top) / 4, abs=0.2)
