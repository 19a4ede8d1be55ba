from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from ketaclinic.alerts.models import AlertKind, Severity
from ketaclinic.alerts.services import alert_acknowledge, alert_raise
from ketaclinic.audit.models import AuditEvent, EventType


@pytest.fixture
def alert(nurse, make_patient):
    patient = make_patient(nurse)
    return alert_raise(
        by=nurse,
        clinic_id=nurse.clinic_id,
        patient=patient,
        kind=AlertKind.SUICIDAL_IDEATION,
        severity=Severity.CRITICAL,
        title="PHQ-9 item 9 answered 2",
        source_type="scales.scaleresponse",
        source_id="1",
    )


def test_raising_the_same_source_twice_keeps_one_alert(alert, nurse) -> None:
    again = alert_raise(
        by=nurse,
        clinic_id=nurse.clinic_id,
        patient=alert.patient,
        kind=AlertKind.SUICIDAL_IDEATION,
        severity=Severity.CRITICAL,
        title="PHQ-9 item 9 answered 2",
        source_type="scales.scaleresponse",
        source_id="1",
    )
    assert again.pk == alert.pk
    assert AuditEvent.objects.filter(event_type=EventType.ALERT_RAISED).count() == 1


def test_an_alert_shows_on_the_chart_and_the_home_page_until_acknowledged(
    alert, prescriber, login
) -> None:
    client = login(prescriber)
    chart = client.get(reverse("patients:detail", args=[alert.patient_id])).content.decode()
    assert "PHQ-9 item 9 answered 2" in chart
    assert "Open alerts: 1" in client.get(reverse("home")).content.decode()

    response = client.post(
        reverse("alerts:acknowledge", args=[alert.pk]), {"note": "Called patient; safety plan."}
    )
    assert response.status_code == 302
    chart = client.get(reverse("patients:detail", args=[alert.patient_id])).content.decode()
    assert "PHQ-9 item 9 answered 2" not in chart
    assert "Open alerts: 0" in client.get(reverse("home")).content.decode()
    event = AuditEvent.objects.get(event_type=EventType.ALERT_ACKNOWLEDGED)
    assert event.reason == "Called patient; safety plan."


def test_acknowledging_needs_a_note(alert, prescriber) -> None:
    with pytest.raises(ValidationError) as excinfo:
        alert_acknowledge(by=prescriber, alert=alert, note="  ")
    assert "note" in excinfo.value.message_dict
    alert.refresh_from_db()
    assert alert.is_open


def test_only_a_prescriber_acknowledges(alert, nurse, login) -> None:
    with pytest.raises(PermissionDenied):
        alert_acknowledge(by=nurse, alert=alert, note="seen")
    response = login(nurse).post(reverse("alerts:acknowledge", args=[alert.pk]), {"note": "x"})
    assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.is_open


def test_an_alert_cannot_be_acknowledged_twice(alert, prescriber) -> None:
    alert_acknowledge(by=prescriber, alert=alert, note="Reviewed")
    with pytest.raises(ValidationError, match="Already acknowledged"):
        alert_acknowledge(by=prescriber, alert=alert, note="Again")


def test_another_clinic_cannot_see_or_acknowledge_the_alert(alert, outsider, login) -> None:
    client = login(outsider)
    assert client.get(reverse("alerts:acknowledge", args=[alert.pk])).status_code == 404
    assert "PHQ-9 item 9" not in client.get(reverse("alerts:list")).content.decode()
