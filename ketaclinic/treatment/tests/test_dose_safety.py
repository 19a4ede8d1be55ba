"""Safe by construction at the chair, the dose half: the protocol form and its templates, IV
preparation, the CRPS rate cap, spacing on moving and dosing, hepatic impairment, MDSI."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ketaclinic import testing
from ketaclinic.patients.services import patient_update
from ketaclinic.treatment import services
from ketaclinic.treatment.domain.library import IV_RACEMIC_DEPRESSION, SHIPPED_PROTOCOLS
from ketaclinic.treatment.models import DoseAdministration, Protocol, TreatmentSession
from ketaclinic.treatment.protocol_forms import ProtocolForm
from ketaclinic.treatment.selectors.calendar import clinic_calendar
from ketaclinic.treatment.tests.conftest import esk_dose

D = Decimal
EXPIRY = dt.timedelta(days=100)


def _form_data(code: str, **changes: str) -> dict[str, str]:
    data = {
        k: str(v)
        for k, v in ProtocolForm.initial_from(SHIPPED_PROTOCOLS[code]).items()
        if v is not None
    }
    data.update(start_from=code, loaded_from=code, code=f"{code}_local", change_note="ours")
    data.update(changes)
    return data


def _iv(nurse: Any, session: Any, **kwargs: Any) -> Any:
    params: dict[str, Any] = {
        "by": nurse,
        "session": session,
        "concentration_mg_per_ml": D("10"),
        "container": "syringe",
        "final_concentration_mg_per_ml": D("1"),
        "product": "Ketamine HCl 10 mg/mL",
        "lot_number": "K-1",
        "expiry_date": timezone.now().date() + EXPIRY,
    }
    params.update(kwargs)
    return services.dose_record(**params)


# ---------------------------------------------------------------------------------------------
# The protocol form: "Start from" fills every field


def test_start_from_fills_every_field_from_the_chosen_template(clinic_admin, login) -> None:
    client = login(clinic_admin)
    url = reverse("treatment:protocol_create")
    form = client.get(url, {"start_from": "iv_racemic_crps"}).context["form"]
    crps = SHIPPED_PROTOCOLS["iv_racemic_crps"]
    expected = ProtocolForm.initial_from(crps)
    for name in ProtocolForm.FILLED:
        if name != "code":
            assert form.initial[name] == expected[name], name
    assert form.initial["dose__cap_rate_mg_per_h"] == D("25")
    assert form.initial["loaded_from"] == "iv_racemic_crps"


def test_a_template_changed_without_loading_its_values_is_not_saved(clinic_admin, login) -> None:
    # The first release: IV chosen in "Start from", the fields still holding esketamine's numbers.
    client = login(clinic_admin)
    data = _form_data("esketamine_trd", start_from="iv_racemic_depression")
    response = client.post(reverse("treatment:protocol_create"), data)
    assert response.status_code == 200
    assert not Protocol.objects.exists()
    form = response.context["form"]
    assert not form.is_bound
    assert form.initial["dose__usual"] == D("0.5") and form.initial["dose__cap"] == D("1.0")
    assert "every field now holds its values" in response.content.decode()


def test_the_56_mg_per_kg_iv_protocol_is_refused_naming_the_field_and_the_limit(
    clinic_admin, login
) -> None:
    client = login(clinic_admin)
    data = _form_data(
        "iv_racemic_depression",
        dose__usual="56",
        dose__minimum="56",
        dose__maximum="84",
        dose__cap="84",
    )
    response = client.post(reverse("treatment:protocol_create"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "at most 1.0 mg/kg per session" in errors["dose__cap"][0]
    assert errors["dose__usual"] and errors["dose__maximum"]
    assert not Protocol.objects.exists()


def test_a_new_version_keeps_every_value_of_the_current_one(clinic_admin, iv_version, login):
    client = login(clinic_admin)
    url = reverse("treatment:protocol_version_new", kwargs={"protocol_id": iv_version.family_id})
    form = client.get(url).context["form"]
    assert "start_from" not in form.fields
    assert form.initial["dose__maximum"] == D("0.75")
    data = {k: str(v) for k, v in ProtocolForm.initial_from(iv_version.protocol).items() if v} | {
        "dose__cap": "1.2",
        "change_note": "try",
    }
    response = client.post(url, data)
    assert "at most 1.0 mg/kg per session" in response.context["form"].errors["dose__cap"][0]


def test_the_protocol_page_shows_the_rate_cap_and_the_studied_range(clinic_admin, login):
    crps = testing.shipped_protocol(clinic_admin, "iv_racemic_crps")
    html = (
        login(clinic_admin)
        .get(reverse("treatment:protocol", kwargs={"protocol_id": crps.family_id}))
        .content.decode()
    )
    assert "rate capped at 25 mg/h" in html


# ---------------------------------------------------------------------------------------------
# IV preparation


def test_100_mg_per_ml_is_never_accepted_as_an_iv_final_concentration(nurse, iv_version, checked):
    session = checked(iv_version)
    with pytest.raises(ValidationError) as exc:
        _iv(
            nurse, session, concentration_mg_per_ml=D("100"), final_concentration_mg_per_ml=D("100")
        )
    assert "at most 50 mg/mL" in exc.value.message_dict["final_concentration_mg_per_ml"][0]
    assert not DoseAdministration.objects.exists()


def test_an_iv_dose_names_its_stock_container_and_final_concentration(nurse, iv_version, checked):
    session = checked(iv_version)
    with pytest.raises(ValidationError) as exc:
        _iv(nurse, session, container="", final_concentration_mg_per_ml=None)
    assert {"container", "final_concentration_mg_per_ml"} <= set(exc.value.message_dict)


def test_the_page_refuses_an_undiluted_vial_beside_the_field(nurse, iv_version, checked, login):
    session = checked(iv_version)
    client = login(nurse)
    url = reverse("treatment:dose", kwargs={"session_id": session.pk})
    response = client.post(
        url,
        {
            "action": "record",
            "amount": "0.5",
            "concentration_mg_per_ml": "100",
            "iv_container": "syringe",
            "iv_final_concentration_mg_per_ml": "100",
            "product": "Ketalar 100 mg/mL",
            "lot_number": "K-2",
            "expiry_date": (timezone.now().date() + EXPIRY).isoformat(),
        },
    )
    errors = response.context["dose_form"].errors
    assert "at most 50 mg/mL" in errors["iv_final_concentration_mg_per_ml"][0]


def test_rounding_that_changes_the_dose_shows_requested_and_delivered_side_by_side(
    nurse, iv_version, checked, login
) -> None:
    session = checked(iv_version)
    client = login(nurse)
    url = reverse("treatment:dose", kwargs={"session_id": session.pk})
    form = {
        "amount": "0.5",
        "concentration_mg_per_ml": "100",  # 35 mg = 0.35 mL -> 0.4 mL = 40 mg
        "iv_container": "bag",
        "iv_final_volume_ml": "100",
        "product": "Ketalar 100 mg/mL",
        "lot_number": "K-3",
        "expiry_date": (timezone.now().date() + EXPIRY).isoformat(),
    }
    html = client.post(url, {**form, "action": "preview"}).content.decode()
    assert "requested 35 mg · delivered 40 mg" in html
    assert "Bag: 100 mL at 0.4 mg/mL" in html
    assert "150 mL/h (60 mg/h)" in html
    assert "decision support: check before use" in html
    assert client.post(url, {**form, "action": "record"}).status_code == 302
    dose = DoseAdministration.objects.get(session=session)
    assert (dose.requested_dose_mg, dose.dose_mg) == (D("35"), D("40"))
    page = client.get(reverse("treatment:session", kwargs={"session_id": session.pk}))
    assert "requested 35 mg · delivered 40 mg" in page.content.decode()


def test_the_crps_rate_shows_its_cap_beside_it(nurse, prescriber, clinic_admin, make_patient):
    crps = testing.shipped_protocol(clinic_admin, "iv_racemic_crps")
    patient = make_patient(prescriber, mrn="C1")
    testing.weigh(prescriber, patient, "100", days_ago=1)
    session = testing.checked_in_session(
        nurse=nurse, prescriber=prescriber, version=crps, patient=patient
    )
    dose = _iv(nurse, session)
    # 0.35 mg/kg/h x 100 kg = 35 mg/h, capped at 25 mg/h for 4 h: 100 mg in 100 mL at 1 mg/mL.
    assert (dose.rate_mg_per_h, dose.dose_mg, dose.rate_ml_per_h) == (D("25"), D("100"), D("25"))


def test_the_crps_preview_says_the_rate_was_lowered_to_the_cap(
    nurse, prescriber, clinic_admin, make_patient, login
) -> None:
    crps = testing.shipped_protocol(clinic_admin, "iv_racemic_crps")
    patient = make_patient(prescriber, mrn="C2")
    testing.weigh(prescriber, patient, "100", days_ago=1)
    session = testing.checked_in_session(
        nurse=nurse, prescriber=prescriber, version=crps, patient=patient
    )
    html = login(nurse).get(reverse("treatment:session", kwargs={"session_id": session.pk}))
    text = html.content.decode()
    assert "25 mg/h" in text and "(cap 25 mg/h: 35 mg/h lowered to the cap)" in text


# ---------------------------------------------------------------------------------------------
# Ceilings and overrides at the chair


def test_no_override_passes_the_iv_ceiling(prescriber, iv_version, checked) -> None:
    session = checked(iv_version)
    with pytest.raises(ValidationError, match="no override can allow it"):
        _iv(prescriber, session, amount=D("1.1"), override_reason="Non-responder, I insist")
    assert not DoseAdministration.objects.exists()


def test_above_the_studied_range_a_prescriber_overrides_with_a_reason(
    nurse, prescriber, iv_version, checked
) -> None:
    session = checked(iv_version)
    with pytest.raises(ValidationError, match="override"):
        _iv(nurse, session, amount=D("0.8"))
    dose = _iv(prescriber, session, amount=D("0.8"), override_reason="Three non-responses at 0.5")
    assert dose.dose_mg == D("56")


def test_a_stored_version_from_before_the_ceilings_cannot_be_dosed(nurse, iv_version, checked):
    # The first release saved 56 mg/kg IV: its stored version still exists in some databases.
    data = dict(iv_version.data)
    data["dose"] = {**data["dose"], "usual": "56", "minimum": "56", "maximum": "84", "cap": "84"}
    type(iv_version).objects.filter(pk=iv_version.pk).update(data=data)
    iv_version.refresh_from_db()
    session = checked(iv_version)
    with pytest.raises(ValidationError, match=r"at most 1\.0 mg/kg per session"):
        _iv(nurse, session, override_reason="none can")


# ---------------------------------------------------------------------------------------------
# Hepatic impairment


def _hepatic(prescriber: Any, patient: Any, level: str) -> None:
    patient_update(
        by=prescriber, patient=patient, reason="Child-Pugh from the hepatology letter",
        hepatic_impairment=level,
    )  # fmt: skip


def test_severe_hepatic_impairment_needs_a_prescribers_override_for_esketamine(
    nurse, prescriber, esk_version, checked, weighed_patient
) -> None:
    _hepatic(prescriber, weighed_patient, "severe")
    session = checked(esk_version)
    with pytest.raises(ValidationError, match="Severe hepatic impairment"):
        esk_dose(nurse, session)
    services.prescriber_decision_record(
        by=prescriber,
        session=session,
        kind="dose_override",
        outcome="proceed",
        reason="Benefit outweighs risk after hepatology review",
        subject="dose:56",
    )
    # The devices are sprayed after the decision (treatment/domain/timing.py).
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=10)):
        dose = esk_dose(nurse, session)
    assert dose.override_reason == "Benefit outweighs risk after hepatology review"


def test_moderate_hepatic_impairment_shows_the_longer_observation(
    nurse, prescriber, esk_version, checked, weighed_patient, login
) -> None:
    _hepatic(prescriber, weighed_patient, "moderate")
    session = checked(esk_version)
    html = login(nurse).get(reverse("treatment:session", kwargs={"session_id": session.pk}))
    assert "observe for at least 180 minutes" in html.content.decode()


def test_hepatic_impairment_is_edited_on_the_patient_with_a_reason(prescriber, weighed_patient):
    with pytest.raises(ValidationError, match="reason"):
        patient_update(by=prescriber, patient=weighed_patient, reason="", hepatic_impairment="mild")
    _hepatic(prescriber, weighed_patient, "mild")
    weighed_patient.refresh_from_db()
    assert weighed_patient.hepatic_impairment == "mild"


# ---------------------------------------------------------------------------------------------
# Spacing between sessions


def test_esketamine_is_not_dosed_the_day_after_a_dose(
    nurse, prescriber, esk_version, checked, weighed_patient
) -> None:
    esk_dose(nurse, checked(esk_version))
    with time_machine.travel(timezone.now() + dt.timedelta(days=1)):
        # A second active course of the protocol needs the prescriber's confirmation.
        later = testing.checked_in_session(
            nurse=nurse,
            prescriber=prescriber,
            patient=weighed_patient,
            version=esk_version,
            confirm_another_course=True,
            another_course_reason="A session placed the next day (spacing rule under test)",
        )
        with pytest.raises(ValidationError, match="at least 2 days between sessions"):
            esk_dose(nurse, later)
    assert DoseAdministration.objects.count() == 1


def test_moving_an_esketamine_session_to_the_day_after_another_is_refused(
    prescriber, esk_version, enrol
) -> None:
    course = enrol(esk_version)
    cal = clinic_calendar(prescriber)
    tz = prescriber.clinic.tzinfo
    sessions = list(course.sessions.order_by("number"))
    taken = {s.scheduled_at.astimezone(tz).date() for s in sessions}
    # A session of the course moved to an open, free day right after the one before it.
    day, moving = next(
        (d, later)
        for before, later in itertools.pairwise(sessions)
        if (d := before.scheduled_at.astimezone(tz).date() + dt.timedelta(days=1)) not in taken
        and cal.is_open(d)
    )
    with pytest.raises(ValidationError, match="at least 2 days between sessions"):
        services.session_move(by=prescriber, session=moving, new_date=day, reason="Patient asked")
    assert TreatmentSession.objects.get(pk=moving.pk).scheduled_at == moving.scheduled_at


# ---------------------------------------------------------------------------------------------
# MDSI: the concomitant oral antidepressant


def test_an_mdsi_course_records_its_oral_antidepressant(clinic_admin, enrol) -> None:
    mdsi = testing.shipped_protocol(clinic_admin, "esketamine_mdsi")
    with pytest.raises(ValidationError, match="oral antidepressant"):
        enrol(mdsi)
    course = enrol(mdsi, concomitant_antidepressant="Escitalopram 10 mg daily")
    assert course.concomitant_antidepressant == "Escitalopram 10 mg daily"


def test_a_trd_course_needs_no_antidepressant(esk_version, enrol) -> None:
    assert enrol(esk_version).concomitant_antidepressant == ""


def test_iv_depression_protocol_is_shipped_with_the_studied_range() -> None:
    assert (IV_RACEMIC_DEPRESSION.dose.maximum, IV_RACEMIC_DEPRESSION.dose.cap) == (
        D("0.75"),
        D("1.0"),
    )
