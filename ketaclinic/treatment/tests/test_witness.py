"""The dose's witness signs off at the chair: their own username, password and TOTP code on the
same device, re-authenticated on their membership; a witness e-signature bound to the dose."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ketaclinic.audit.models import AuditEvent, SignatureMeaning
from ketaclinic.audit.signatures import signature_matches
from ketaclinic.testing import PASSWORD, totp_code
from ketaclinic.treatment import services
from ketaclinic.treatment.models import DoseAdministration, SessionPhase
from ketaclinic.treatment.selectors.signing import dose_content

pytestmark = pytest.mark.django_db


def _dose(nurse: Any, session: Any, witness: services.WitnessSignOff | None, **kw: Any) -> Any:
    first = timezone.now() - dt.timedelta(minutes=6)
    params: dict[str, Any] = {
        "by": nurse,
        "session": session,
        "dose_mg": Decimal("56"),
        "product": "Spravato 56 mg kit",
        "lot_number": "LOT123",
        "expiry_date": timezone.now().date() + dt.timedelta(days=300),
        "device_times": [first, first + dt.timedelta(minutes=5)],
        "witness": witness,
    }
    params.update(kw)
    return services.dose_record(**params)


def _sign_off(
    member: Any, password: str = PASSWORD, token: str | None = None
) -> services.WitnessSignOff:
    return services.WitnessSignOff(
        username=member.user.username,
        password=password,
        token=totp_code(member.user) if token is None else token,
    )


def test_a_witness_who_re_authenticates_signs_the_dose(
    nurse, prescriber, esk_version, checked
) -> None:
    session = checked(esk_version)
    dose = _dose(nurse, session, _sign_off(prescriber))
    dose.refresh_from_db()
    assert dose.given_by_id == nurse.user_id
    assert dose.witnessed_by_id == prescriber.user_id
    signature = dose.witness_signature
    assert signature is not None
    assert signature.meaning == SignatureMeaning.WITNESS
    assert signature.signer_id == prescriber.user_id
    assert signature.printed_name == prescriber.user.display_name
    assert signature.object_type == "treatment.doseadministration"
    assert signature.object_id == str(dose.pk)
    assert signature_matches(signature, dose_content(dose))
    # Bound to the content: another lot number would not match what was witnessed.
    dose.lot_number = "OTHER"
    assert not signature_matches(signature, dose_content(dose))
    applied = AuditEvent.objects.get(event_type="audit.signature_applied")
    assert applied.actor_id == prescriber.user_id
    recorded = AuditEvent.objects.get(event_type="treatment.dose_recorded")
    assert recorded.extra["witnessed_by"] == prescriber.user_id


@pytest.mark.parametrize(
    "case", ["wrong_password", "wrong_code", "unknown_user", "same_person", "not_clinical"]
)
def test_a_witness_who_cannot_be_confirmed_is_refused_clearly_and_audited(
    case, nurse, prescriber, front_desk, esk_version, checked
) -> None:
    session = checked(esk_version)
    witness: services.WitnessSignOff
    if case == "wrong_password":
        witness = _sign_off(prescriber, password="not-the-password")
    elif case == "wrong_code":
        witness = _sign_off(prescriber, token="000000")
    elif case == "unknown_user":
        witness = services.WitnessSignOff("nobody", PASSWORD, "123456")
    elif case == "same_person":
        witness = _sign_off(nurse)
    else:
        witness = _sign_off(front_desk)
    with pytest.raises(ValidationError) as exc:
        _dose(nurse, session, witness)
    message = " ".join(exc.value.message_dict["witness_password"])
    if case == "same_person":
        assert "another person" in message
    else:
        assert "witness could not be confirmed" in message
        assert "not recorded" in message
    assert not DoseAdministration.objects.filter(session=session).exists()
    session.refresh_from_db()
    assert session.phase == SessionPhase.PRE_DOSE
    failed = AuditEvent.objects.get(event_type="treatment.dose_witness_failed")
    assert failed.actor_id == nurse.user_id
    assert failed.object_id == str(session.pk)
    why = {"unknown_user": "unknown_witness", "not_clinical": "unknown_witness"}
    assert failed.extra["why"] == why.get(
        case, "same_person" if case == "same_person" else "credentials"
    )
    reauth = AuditEvent.objects.filter(event_type="auth.reauth_failed")
    if case in ("wrong_password", "wrong_code"):
        (event,) = reauth
        assert event.actor_id == prescriber.user_id
    else:
        assert not reauth.exists()


def test_another_clinics_staff_cannot_witness(nurse, outsider, esk_version, checked) -> None:
    session = checked(esk_version)
    with pytest.raises(ValidationError, match="witness could not be confirmed"):
        _dose(nurse, session, _sign_off(outsider))


def test_a_form_error_does_not_spend_the_witness_code(
    nurse, prescriber, esk_version, checked
) -> None:
    session = checked(esk_version)
    witness = _sign_off(prescriber)
    with pytest.raises(ValidationError) as exc:
        _dose(nurse, session, witness, device_times=[timezone.now()])
    assert "device_times" in exc.value.message_dict
    assert not AuditEvent.objects.filter(event_type="auth.reauth_failed").exists()
    dose = _dose(nurse, session, witness)  # the same code, still unused
    assert dose.witnessed_by_id == prescriber.user_id


def test_a_dose_without_a_witness_is_recorded_without_one(nurse, esk_version, checked) -> None:
    dose = _dose(nurse, checked(esk_version), None)
    assert dose.witnessed_by_id is None and dose.witness_signature_id is None


def test_the_dose_form_takes_the_witness_credentials_at_the_chair(
    nurse, prescriber, esk_version, checked, login
) -> None:
    session = checked(esk_version)
    client = login(nurse)
    url = reverse("treatment:session", kwargs={"session_id": session.pk})
    page = client.get(url).content.decode()
    assert 'name="witness_username"' in page and 'name="witness_password"' in page
    assert "<select" not in page.split('name="witness_username"')[0].rsplit("<fieldset", 1)[1]
    tz = nurse.clinic.tzinfo
    first = timezone.now() - dt.timedelta(minutes=6)
    data = {
        "action": "record",
        "dose_mg": "56",
        "device_1_at": first.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
        "device_2_at": (first + dt.timedelta(minutes=5)).astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
        "product": "Spravato",
        "lot_number": "L1",
        "expiry_date": (timezone.now().date() + dt.timedelta(days=100)).isoformat(),
        "witness_username": prescriber.user.username,
    }
    dose_url = reverse("treatment:dose", kwargs={"session_id": session.pk})
    response = client.post(dose_url, data)
    assert "The witness enters their password." in response.content.decode()
    response = client.post(
        dose_url, {**data, "witness_password": "wrong", "witness_token": "000000"}
    )
    assert "witness could not be confirmed" in response.content.decode()
    assert not DoseAdministration.objects.filter(session=session).exists()
    response = client.post(
        dose_url,
        {**data, "witness_password": PASSWORD, "witness_token": totp_code(prescriber.user)},
    )
    assert response.status_code == 302
    html = client.get(url).content.decode()
    assert prescriber.user.display_name in html.split('id="dose-witness"')[1][:400]
    assert "Witness: I witnessed this" in html
