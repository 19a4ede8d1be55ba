"""The clinic admin's screening settings and REMS certification pages, and the printable
prior-authorisation summary."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic import testing
from ketaclinic.accounts.models import Clinic
from ketaclinic.audit.models import AuditEvent, EventType
from ketaclinic.screening.demo import screen
from ketaclinic.screening.models import ScreeningPolicy
from ketaclinic.screening.selectors import clinic_ruleset

pytestmark = pytest.mark.django_db


def _policy_data(**levels: str) -> dict[str, str]:
    data = {"valid_days": "60"}
    for rule in clinic_ruleset(clinic_id=0).rules:
        if rule.configurable:
            data[f"rule_{rule.rule_id}"] = levels.get(rule.rule_id, rule.level.value)
    return data


@pytest.mark.parametrize("persona", ["prescriber", "nurse", "inventory_manager", "front_desk"])
def test_only_a_clinic_admin_reaches_the_settings(request, login, persona) -> None:
    client = login(request.getfixturevalue(persona))
    assert client.get(reverse("screening:settings")).status_code == 403
    assert client.post(reverse("screening:settings"), _policy_data()).status_code == 403
    assert client.post(reverse("screening:rems_certification"), {}).status_code == 403


def test_the_admin_makes_psychosis_a_precaution_and_shortens_validity(login, clinic_admin) -> None:
    client = login(clinic_admin)
    page = client.get(reverse("screening:settings")).content.decode()
    assert "Psychosis history" in page and "Intracerebral haemorrhage history" in page
    # Hard rules are listed but have no level to choose.
    assert 'name="rule_intracerebral_haemorrhage_history"' not in page
    response = client.post(
        reverse("screening:settings"), _policy_data(psychosis_history="precaution")
    )
    assert response.status_code == 302
    policy = ScreeningPolicy.objects.get(clinic_id=clinic_admin.clinic_id)
    assert policy.valid_days == 60
    assert policy.rule_levels == {"psychosis_history": "precaution"}
    levels = {r.rule_id: r.level for r in clinic_ruleset(clinic_id=clinic_admin.clinic_id).rules}
    assert levels["psychosis_history"] == "precaution"
    assert AuditEvent.objects.filter(event_type=EventType.SCREENING_POLICY_UPDATED).exists()


def test_implausible_validity_and_a_hard_level_are_refused(login, clinic_admin) -> None:
    client = login(clinic_admin)
    response = client.post(reverse("screening:settings"), {**_policy_data(), "valid_days": "400"})
    assert response.status_code == 400
    assert "less than or equal to 365" in response.content.decode()
    forged = {**_policy_data(), "rule_intracerebral_haemorrhage_history": "off"}
    assert client.post(reverse("screening:settings"), forged).status_code == 302
    levels = {r.rule_id: r.level for r in clinic_ruleset(clinic_id=clinic_admin.clinic_id).rules}
    assert levels["intracerebral_haemorrhage_history"] == "hard"
    assert not ScreeningPolicy.objects.filter(valid_days=400).exists()


def test_the_rems_certification_is_validated_audited_and_shown(login, clinic_admin) -> None:
    client = login(clinic_admin)
    url = reverse("screening:rems_certification")
    today = timezone.localdate(timezone.now(), clinic_admin.clinic.tzinfo)
    future = client.post(
        url,
        {
            "setting_id": "HCS-123",
            "certified_on": (today + dt.timedelta(days=1)).isoformat(),
            "reason": "Certified",
        },
    )
    assert future.status_code == 400 and "in the future" in future.content.decode()
    early = client.post(
        url, {"setting_id": "HCS-123", "certified_on": "2018-12-01", "reason": "Certified"}
    )
    assert "2019-03-05" in early.content.decode()
    no_id = client.post(url, {"certified_on": "2024-05-01", "reason": "Certified"})
    assert "REMS setting ID" in no_id.content.decode()
    no_reason = client.post(url, {"setting_id": "HCS-123"})
    assert no_reason.status_code == 400
    done = client.post(
        url,
        {
            "setting_id": "HCS-123",
            "certified_on": "2024-05-01",
            "pulse_oximeter_on_site": "yes",
            "authorised_representative": "Dr Example Rep",
            "reason": "Certification letter received",
        },
    )
    assert done.status_code == 302
    clinic = Clinic.objects.get(pk=clinic_admin.clinic_id)
    assert clinic.rems_certified_on == dt.date(2024, 5, 1)
    assert clinic.rems_pulse_oximeter_on_site is True
    event = AuditEvent.objects.filter(event_type=EventType.CLINIC_UPDATED).latest("pk")
    assert event.reason == "Certification letter received"
    assert "rems_certified_on" in event.extra["changes"]
    # "Not recorded" stays blank, never "No".
    client.post(url, {"setting_id": "HCS-123", "pulse_oximeter_on_site": "", "reason": "Unsure"})
    assert Clinic.objects.get(pk=clinic.pk).rems_pulse_oximeter_on_site is None


def test_the_prior_authorisation_summary_lists_the_failed_trials(
    login, prescriber, clinic_admin, researcher, make_patient
) -> None:
    version = testing.shipped_protocol(clinic_admin, "esketamine_trd")
    patient = make_patient(prescriber, given_name="Ada", family_name="Summary")
    s = screen(
        by=prescriber,
        patient=patient,
        protocol_code=version.family.code,
        protocol_title=version.family.title,
        drug=str(version.protocol.drug),
        indication=version.protocol.indication,
    )
    client = login(prescriber)
    url = reverse("screening:prior_auth", args=[s.pk])
    assert url in client.get(reverse("screening:detail", args=[s.pk])).content.decode()
    page = client.get(url).content.decode()
    assert "F33.2" in page
    assert "Sertraline" in page and "150 mg/day" in page and "8 weeks" in page
    assert "2 adequate failed antidepressant trials in the current episode" in page
    assert "needs at least 2: met" in page
    assert prescriber.user.display_name in page
    assert login(researcher).get(url).status_code == 403
