"""No patient data, password, token or TOTP secret in any log line (issue 15): the flows that
log (failed sign-in and second factor, searches, refusals, a failing background job whose
exception quotes a patient) are run with every logger at DEBUG, and every record, as raw as the
handlers would receive it (before the scrubbing filter), is searched for the secrets."""

from __future__ import annotations

import logging

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.ops import registry
from ketaclinic.ops.models import JobRun
from ketaclinic.ops.runner import execute, job_enqueue

pytestmark = pytest.mark.django_db

WRONG_PASSWORD = "Quokka-Wrong-Password-7781"


def test_no_log_line_carries_patient_data_passwords_or_secrets(
    caplog, client, nurse, front_desk, make_patient, login
) -> None:
    caplog.set_level(logging.DEBUG)
    patient = make_patient(nurse, given_name="Zebulon", family_name="Quixotic-Vance")
    secret_key = TOTPDevice.objects.get(user=nurse.user, confirmed=True).key

    client.post(
        reverse("accounts:login"), {"username": nurse.user.username, "password": WRONG_PASSWORD}
    )
    login(front_desk)
    client.get(reverse("patients:list") + "?q=Quixotic-Vance")
    client.get(reverse("audit:list"))  # 403: logged by django.request
    client.get(reverse("patients:detail", kwargs={"pk": "00000000-0000-0000-0000-000000000000"}))

    def leaks(run: JobRun) -> str:
        raise ValueError(f"could not process {patient.given_name} {patient.family_name}")

    registry.register(registry.Job(name="test_leaky", label="Leaky", run=leaks))
    try:
        run = job_enqueue(name="test_leaky", key="1")
        assert run is not None
        execute(run.pk)
    finally:
        registry._JOBS.pop("test_leaky", None)

    assert caplog.records, "the flows above log something (a refusal, a failed job)"
    text = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    for secret in ("Zebulon", "Quixotic", WRONG_PASSWORD, secret_key, str(patient.mrn)):
        assert secret not in text, f"{secret!r} appears in a log line"
    assert "job test_leaky run" in text and "ValueError" in text  # the failure is still logged
