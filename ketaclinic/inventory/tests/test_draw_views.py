"""The chair's ledger step: after a dose is recorded, the nurse records its draw from stock on
/stock/sessions/<id>/draw/ (reached from the session page), and the stock page lists today's doses
with no draw yet."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ketaclinic import testing
from ketaclinic.inventory import services
from ketaclinic.inventory.models import LedgerEntry
from ketaclinic.inventory.stock import balances_for
from ketaclinic.treatment import services as treatment

pytestmark = pytest.mark.django_db


def _iv_dose(nurse: Any, prescriber: Any, clinic_admin: Any) -> tuple[Any, Any]:
    """An IV racemic ketamine dose of 35 mg (0.5 mg/kg of 70 kg) from a 50 mg/mL vial."""
    version = testing.shipped_protocol(clinic_admin, "iv_racemic_depression")
    session = testing.checked_in_session(nurse=nurse, prescriber=prescriber, version=version)
    dose = treatment.dose_record(
        by=nurse,
        session=session,
        concentration_mg_per_ml=Decimal(50),
        container="bag",
        final_volume_ml=Decimal(100),
        product="Ketamine HCl 50 mg/mL",
        lot_number="LOT-A1",
        expiry_date=timezone.now().date() + dt.timedelta(days=300),
    )
    return session, dose


def _esketamine_dose(nurse: Any, prescriber: Any, clinic_admin: Any, sign: Any) -> tuple[Any, Any]:
    """56 mg of esketamine: two 28 mg devices, witnessed by the prescriber."""
    version = testing.shipped_protocol(clinic_admin, "esketamine_trd")
    session = testing.checked_in_session(nurse=nurse, prescriber=prescriber, version=version)
    first = timezone.now() - dt.timedelta(minutes=6)
    dose = treatment.dose_record(
        by=nurse,
        session=session,
        dose_mg=Decimal(56),
        product="Spravato 84 mg kit",
        lot_number="ESK-1",
        expiry_date=timezone.now().date() + dt.timedelta(days=300),
        device_times=[first, first + dt.timedelta(minutes=5)],
        witness=sign(prescriber),
    )
    return session, dose


def _when(dose: Any) -> str:
    return timezone.localtime(dose.started_at, dose.session.clinic.tzinfo).strftime(
        "%Y-%m-%dT%H:%M"
    )


def _post(client: Client, session: Any, **data: Any) -> Any:
    return client.post(reverse("inventory:draw", args=[session.pk]), data)


def _witness(sign: Any, member: Any) -> dict[str, str]:
    s = sign(member)
    return {
        "witness_username": s.username,
        "witness_password": s.password,
        "witness_token": s.token,
    }


def _draws() -> int:
    return LedgerEntry.objects.filter(kind="administration").count()


def test_after_an_iv_dose_the_nurse_records_the_draw_prefilled_from_the_dose(
    login, nurse, prescriber, clinic_admin, receive
) -> None:
    vial = receive().containers.get()
    session, dose = _iv_dose(nurse, prescriber, clinic_admin)
    client = login(nurse)
    session_url = reverse("treatment:session", args=[session.pk])
    draw_url = reverse("inventory:draw", args=[session.pk])
    page = client.get(session_url).content.decode()
    assert "Record the draw from stock" in page and draw_url in page

    form = client.get(draw_url).context["form"]
    assert form.initial["administered"] == Decimal(35)
    assert form["administered"].help_text.startswith("Filled in from the dose record")
    assert [c for c, _ in form.fields["container"].choices if c] == [str(vial.pk)]

    response = _post(
        client,
        session,
        container=vial.pk,
        administered="35",
        drawn="35",
        wasted="0",
        occurred_at=_when(dose),
    )
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == session_url
    entry = LedgerEntry.objects.get(kind="administration")
    assert (entry.administered, entry.wasted, entry.session_id) == (
        Decimal(35),
        Decimal(0),
        session.pk,
    )
    assert entry.patient_id == session.patient_id and entry.recorded_by_id == nurse.user_id
    assert balances_for([vial.pk])[vial.pk] == Decimal(465)

    after = client.get(session_url).content.decode()
    assert "Record the draw from stock" not in after
    assert f"ledger entry {entry.sequence}" in after
    again = client.get(draw_url)
    assert again.context["form"] is None and "Already recorded" in again.content.decode()


def test_after_an_esketamine_dose_the_unused_device_of_the_kit_is_wasted_with_a_witness(
    login, nurse, prescriber, clinic_admin, receive, sign, time_machine
) -> None:
    kit = receive(product="esk84", lot_number="ESK-1").containers.get()
    time_machine.shift(dt.timedelta(minutes=10))  # received before the first device is given
    session, dose = _esketamine_dose(nurse, prescriber, clinic_admin, sign)
    client = login(nurse)
    form = client.get(reverse("inventory:draw", args=[session.pk])).context["form"]
    assert form.initial["administered"] == Decimal(2)  # devices, not mg
    assert "devices" in form["administered"].label

    data = {
        "container": kit.pk,
        "administered": "2",
        "drawn": "3",
        "wasted": "1",
        "occurred_at": _when(dose),
    }
    unwitnessed = _post(client, session, **data)
    assert unwitnessed.status_code == 200
    assert (
        "a second person witnesses it" in unwitnessed.context["form"].errors["witness_username"][0]
    )
    assert _draws() == 0

    response = _post(client, session, **data, **_witness(sign, prescriber))
    assert response.status_code == 302, response.context["form"].errors
    entry = LedgerEntry.objects.get(kind="administration")
    assert (entry.administered, entry.wasted, entry.witness_id) == (
        Decimal(2),
        Decimal(1),
        prescriber.user_id,
    )
    assert balances_for([kit.pk])[kit.pk] == Decimal(0)


def test_a_wrong_witness_password_records_nothing_and_says_so(
    login, nurse, prescriber, clinic_admin, receive, sign, time_machine
) -> None:
    kit = receive(product="esk84", lot_number="ESK-1").containers.get()
    time_machine.shift(dt.timedelta(minutes=10))  # received before the first device is given
    session, dose = _esketamine_dose(nurse, prescriber, clinic_admin, sign)
    witness = _witness(sign, prescriber) | {"witness_password": "not the password"}
    response = _post(
        login(nurse),
        session,
        container=kit.pk,
        administered="2",
        drawn="3",
        wasted="1",
        occurred_at=_when(dose),
        **witness,
    )
    assert response.status_code == 200, response
    assert "could not be confirmed" in response.context["form"].errors["witness_password"][0]
    assert _draws() == 0


def test_the_ledger_refuses_an_amount_the_dose_record_does_not_show(
    login, nurse, prescriber, clinic_admin, receive
) -> None:
    vial = receive().containers.get()
    session, dose = _iv_dose(nurse, prescriber, clinic_admin)
    response = _post(
        login(nurse),
        session,
        container=vial.pk,
        administered="40",
        drawn="40",
        wasted="0",
        occurred_at=_when(dose),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["administered"] == ["The dose record says 35 mg given."]
    assert _draws() == 0


def test_amounts_that_do_not_add_up_or_exceed_a_container_are_refused_by_field(
    login, nurse, prescriber, clinic_admin, receive
) -> None:
    vial = receive().containers.get()
    session, dose = _iv_dose(nurse, prescriber, clinic_admin)
    client = login(nurse)
    base = {"container": vial.pk, "administered": "35", "occurred_at": _when(dose)}
    short = _post(client, session, **base, drawn="36", wasted="0").context["form"]
    assert "must add up to the 36 mg drawn" in short.errors["wasted"][0]
    huge = _post(client, session, **base, drawn="5000", wasted="4965").context["form"]
    assert "At most 500 mg" in huge.errors["drawn"][0]
    absurd = _post(client, session, **base, drawn="9999", wasted="0").context["form"]
    assert "less than or equal to 5000" in absurd.errors["drawn"][0]
    assert _draws() == 0


def test_the_time_is_checked_against_the_dose_and_now(
    login, nurse, prescriber, clinic_admin, receive
) -> None:
    vial = receive().containers.get()
    session, dose = _iv_dose(nurse, prescriber, clinic_admin)
    client = login(nurse)
    base = {"container": vial.pk, "administered": "35", "drawn": "35", "wasted": "0"}
    tz = session.clinic.tzinfo
    before = timezone.localtime(dose.started_at - dt.timedelta(minutes=10), tz)
    later = timezone.localtime(timezone.now() + dt.timedelta(hours=1), tz)
    early = _post(client, session, **base, occurred_at=before.strftime("%Y-%m-%dT%H:%M"))
    assert "before the dose started" in early.context["form"].errors["occurred_at"][0]
    future = _post(client, session, **base, occurred_at=later.strftime("%Y-%m-%dT%H:%M"))
    assert "in the future" in future.context["form"].errors["occurred_at"][0]
    assert _draws() == 0


def test_another_drugs_container_is_not_offered_and_not_accepted(
    login, nurse, prescriber, clinic_admin, receive
) -> None:
    kit = receive(product="esk84", lot_number="ESK-1").containers.get()
    session, dose = _iv_dose(nurse, prescriber, clinic_admin)
    client = login(nurse)
    page = client.get(reverse("inventory:draw", args=[session.pk]))
    assert "No container of this protocol" in page.content.decode()
    response = _post(
        client,
        session,
        container=kit.pk,
        administered="35",
        drawn="35",
        wasted="0",
        occurred_at=_when(dose),
    )
    assert "Choose one of the containers" in response.context["form"].errors["container"][0]
    with pytest.raises(Exception, match="another drug"):
        services.administration_record(
            by=nurse,
            session=session,
            container=kit,
            drawn=Decimal(1),
            administered=Decimal(1),
            dose=None,
        )
    assert _draws() == 0


def test_an_expired_vial_is_not_offered_and_the_ledger_refuses_it(
    login, nurse, prescriber, clinic_admin, receive, time_machine
) -> None:
    today = timezone.localdate(timezone.now(), nurse.clinic.tzinfo)
    vial = receive(expiry_date=today + dt.timedelta(days=1)).containers.get()
    time_machine.shift(dt.timedelta(days=2))
    session, dose = _iv_dose(nurse, prescriber, clinic_admin)
    client = login(nurse)
    page = client.get(reverse("inventory:draw", args=[session.pk]))
    assert [c for c, _ in page.context["form"].fields["container"].choices if c] == []
    response = _post(
        client,
        session,
        container=vial.pk,
        administered="35",
        drawn="35",
        wasted="0",
        occurred_at=_when(dose),
    )
    assert "Choose one of the containers" in response.context["form"].errors["container"][0]
    with pytest.raises(Exception, match="expired"):
        services.administration_record(
            by=nurse,
            session=session,
            container=vial,
            drawn=Decimal(35),
            administered=Decimal(35),
            dose=dose,
        )
    assert _draws() == 0


def test_a_dose_is_drawn_once_and_a_reversal_makes_it_undrawn_again(
    login, nurse, prescriber, clinic_admin, inventory_manager, receive
) -> None:
    vial = receive().containers.get()
    session, dose = _iv_dose(nurse, prescriber, clinic_admin)
    args = {"session": session, "container": vial, "drawn": Decimal(35)}
    first = services.administration_record(by=nurse, administered=Decimal(35), dose=dose, **args)
    with pytest.raises(Exception, match="already drawn from stock"):
        services.administration_record(by=nurse, administered=Decimal(35), dose=dose, **args)
    services.entry_reverse(by=inventory_manager, entry=first, reason="Wrong vial chosen")
    page = login(nurse).get(reverse("treatment:session", args=[session.pk])).content.decode()
    assert "Record the draw from stock" in page
    services.administration_record(by=nurse, administered=Decimal(35), dose=dose, **args)
    assert balances_for([vial.pk])[vial.pk] == Decimal(465)


def test_a_double_submitted_draw_is_recorded_once(
    login, nurse, prescriber, clinic_admin, receive
) -> None:
    vial = receive().containers.get()
    session, dose = _iv_dose(nurse, prescriber, clinic_admin)
    client = login(nurse)
    page = client.get(reverse("inventory:draw", args=[session.pk])).content.decode()
    assert 'name="form_token"' in page
    token = page.split('name="form_token" value="')[1].split('"')[0]
    data = {
        "container": vial.pk,
        "administered": "35",
        "drawn": "35",
        "wasted": "0",
        "occurred_at": _when(dose),
        "form_token": token,
    }
    assert _post(client, session, **data).status_code == 302
    assert _post(client, session, **data).status_code == 302
    assert _draws() == 1


def test_only_who_runs_sessions_and_handles_stock_may_draw(
    login, nurse, prescriber, clinic_admin, inventory_manager, front_desk, outsider, receive
) -> None:
    vial = receive().containers.get()
    session, _ = _iv_dose(nurse, prescriber, clinic_admin)
    url = reverse("inventory:draw", args=[session.pk])
    data = {"container": vial.pk, "administered": "35", "drawn": "35", "wasted": "0"}
    for member in (inventory_manager, front_desk):
        client = login(member)
        assert client.get(url).status_code == 403
        assert client.post(url, data).status_code == 403
    foreign = login(outsider)
    assert foreign.get(url).status_code == 404
    assert foreign.post(url, data).status_code == 404
    assert _draws() == 0


def test_the_session_page_shows_no_draw_link_to_who_cannot_draw(
    login, nurse, prescriber, clinic_admin, receive
) -> None:
    receive()
    session, _ = _iv_dose(nurse, prescriber, clinic_admin)
    # A session without a dose: no link yet; its draw page says the dose comes first.
    other = testing.checked_in_session(
        nurse=nurse, prescriber=prescriber, version=session.protocol_version
    )
    client = login(nurse)
    page = client.get(reverse("treatment:session", args=[other.pk])).content.decode()
    assert "Record the draw from stock" not in page
    draw = client.get(reverse("inventory:draw", args=[other.pk])).content.decode()
    assert "No dose is recorded for this session yet" in draw


def test_the_stock_page_lists_todays_doses_not_drawn_from_stock(
    login, nurse, prescriber, clinic_admin, inventory_manager, receive
) -> None:
    vial = receive().containers.get()
    session, dose = _iv_dose(nurse, prescriber, clinic_admin)
    manager = login(inventory_manager)
    rows = manager.get(reverse("inventory:stock")).context["undrawn"]
    assert [d.pk for d in rows] == [dose.pk]
    page = manager.get(reverse("inventory:stock")).content.decode()
    assert f'data-session="{session.pk}"' in page
    assert reverse("inventory:draw", args=[session.pk]) not in page  # the manager cannot draw
    assert session.patient.family_name not in page  # ids and doses, not the patient's name
    nurse_page = login(nurse).get(reverse("inventory:stock")).content.decode()
    assert reverse("inventory:draw", args=[session.pk]) in nurse_page

    services.administration_record(
        by=nurse,
        session=session,
        container=vial,
        drawn=Decimal(35),
        administered=Decimal(35),
        dose=dose,
    )
    after = login(inventory_manager).get(reverse("inventory:stock"))
    assert after.context["undrawn"] == []
    assert "every dose recorded today has its draw" in after.content.decode()
