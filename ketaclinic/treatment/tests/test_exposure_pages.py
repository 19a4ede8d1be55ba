"""The exposure pages: who may see them, what they show, and how bad input is answered."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.pharmacology.presentation import DECISION_SUPPORT
from ketaclinic.treatment.domain.library import SHIPPED_PROTOCOLS

pytestmark = pytest.mark.django_db

WEIGHT_ERROR = "Enter a weight between 20 and 250 kg"


def _library(key: str, **query: str) -> str:
    url = reverse("pharmacology:library", kwargs={"key": key})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _text(response) -> str:
    return str(response.content.decode())


def _weigh(patient, membership, kg: str, days_ago: int = 1):
    from ketaclinic.patients import services

    return services.weight_record(
        by=membership,
        patient=patient,
        value=Decimal(kg),
        unit="kg",
        measured_at=timezone.now() - datetime.timedelta(days=days_ago),
    )


# --- the library page -------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(SHIPPED_PROTOCOLS))
def test_every_library_protocol_renders_its_chart(key, nurse, login):
    response = login(nurse).get(_library(key, weight="70"))
    assert response.status_code == 200
    html = _text(response)
    assert DECISION_SUPPORT in html
    assert "<svg" in html and "<polyline" in html and '<path d="M' in html
    assert "Plasma concentration (ng/mL)" in html and "(minutes)" in html
    assert "5th percentile (ng/mL)" in html  # the data table fallback
    assert "Cmax (ng/mL)" in html and "Time above 100 ng/mL (min)" in html
    assert "Zanos et al., Pharmacol Rev 2018" in html  # reference bands keep their sources
    assert SHIPPED_PROTOCOLS[key].title in html
    assert ' style="' not in html and "<script>" not in html  # CSP: no inline style or script


def test_racemic_iv_shows_the_model_spread_and_hijazis_warning(prescriber, login):
    html = _text(login(prescriber).get(_library("iv_racemic_depression", weight="70")))
    for label in ("Domino 1982", "Clements 1981", "Hijazi 2003"):
        assert label in html
    assert "Population warnings" in html
    assert "intensive-care patients" in html
    assert "35 mg IV over 40 min (0.5 mg/kg x 70 kg)" in html


def test_esketamine_shows_devices_and_says_the_ranges_are_racemic(prescriber, login):
    html = _text(login(prescriber).get(_library("esketamine_trd", weight="70")))
    assert "56 mg esketamine: 2 devices of 28 mg, 5 min apart" in html
    assert "Perez-Ruixo" in html
    assert "no established concentration-efficacy relationship" in html
    assert "Domino 1982" not in html


def test_the_data_table_has_a_row_every_ten_minutes(prescriber, login):
    html = _text(login(prescriber).get(_library("iv_racemic_depression", weight="70")))
    rows = re.findall(r'<tr><th scope="row">(\d+)</th>', html)
    assert rows[:4] == ["0", "10", "20", "30"] and rows[-1] == "240"


@pytest.mark.parametrize("weight", ["19", "251", "300", "abc", "-5"])
def test_a_weight_outside_20_to_250_kg_is_an_error_next_to_the_field(weight, nurse, login):
    response = login(nurse).get(_library("iv_racemic_depression", weight=weight))
    assert response.status_code == 200
    html = _text(response)
    assert WEIGHT_ERROR in html
    assert 'aria-invalid="true"' in html
    assert "<polyline" not in html


def test_without_a_weight_the_library_page_asks_for_one(nurse, login):
    response = login(nurse).get(_library("iv_racemic_depression"))
    assert response.status_code == 200
    assert "<polyline" not in _text(response)
    assert 'name="weight"' in _text(response)


def test_dose_and_levels_can_be_chosen(prescriber, login):
    html = _text(
        login(prescriber).get(_library("esketamine_trd", weight="70", dose="84", levels="50,150"))
    )
    assert "84 mg esketamine: 3 devices" in html
    assert "Time above 50 ng/mL (min)" in html and "Time above 150 ng/mL (min)" in html


def test_a_dose_the_protocol_does_not_allow_is_an_error(prescriber, login):
    html = _text(login(prescriber).get(_library("esketamine_trd", weight="70", dose="70")))
    assert "This protocol&#x27;s doses are 56 mg, 84 mg." in html
    assert "<polyline" not in html


def test_an_unknown_protocol_key_is_404(prescriber, login):
    assert login(prescriber).get(_library("no_such_protocol", weight="70")).status_code == 404


# --- access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["prescriber", "nurse", "clinic_admin"])
def test_staff_roles_may_use_the_library_pages(role, request, login):
    client = login(request.getfixturevalue(role))
    assert client.get(reverse("pharmacology:index")).status_code == 200
    assert client.get(_library("iv_racemic_depression", weight="70")).status_code == 200


@pytest.mark.parametrize("role", ["researcher", "inventory_manager", "front_desk"])
def test_researcher_inventory_and_front_desk_roles_are_refused(
    role, request, login, prescriber, make_patient
):
    patient = make_patient(prescriber)
    _weigh(patient, prescriber, "70")
    client = login(request.getfixturevalue(role))
    assert client.get(reverse("pharmacology:index")).status_code == 403
    assert client.get(_library("iv_racemic_depression", weight="70")).status_code == 403
    url = reverse("pharmacology:patient", kwargs={"pk": patient.pk})
    assert client.get(url + "?protocol=iv_racemic_depression").status_code == 403


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(_library("iv_racemic_depression", weight="70"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_pages_are_not_cached(prescriber, login):
    response = login(prescriber).get(_library("iv_racemic_depression", weight="70"))
    assert "no-store" in response["Cache-Control"]


# --- /exposure/ -------------------------------------------------------------------------------


def test_the_index_redirects_to_the_library_page(nurse, login):
    response = login(nurse).get(
        reverse("pharmacology:index"), {"protocol": "iv_racemic_crps", "weight": "82.5"}
    )
    assert response.status_code == 302
    assert response["Location"] == _library("iv_racemic_crps", weight="82.5")


def test_the_index_shows_a_weight_error_next_to_the_field(nurse, login):
    response = login(nurse).get(
        reverse("pharmacology:index"), {"protocol": "iv_racemic_crps", "weight": "400"}
    )
    assert response.status_code == 200
    html = _text(response)
    assert WEIGHT_ERROR in html
    assert re.search(
        r'id="lib_weight"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="lib_weight"', html
    )


def test_the_index_finds_a_patient_and_goes_to_their_page(nurse, login, make_patient):
    patient = make_patient(nurse, family_name="Quillfeather")
    response = login(nurse).get(
        reverse("pharmacology:index"), {"protocol": "esketamine_trd", "q": "Quillfeather"}
    )
    assert response.status_code == 302
    url = reverse("pharmacology:patient", kwargs={"pk": patient.pk})
    assert response["Location"] == f"{url}?protocol=esketamine_trd"


def test_the_index_lists_several_matches(nurse, login, make_patient):
    make_patient(nurse, given_name="Ada", family_name="Twin")
    make_patient(nurse, given_name="Bea", family_name="Twin")
    html = _text(
        login(nurse).get(reverse("pharmacology:index"), {"protocol": "esketamine_trd", "q": "Twin"})
    )
    assert html.count("?protocol=esketamine_trd") == 2


def test_the_index_never_lists_another_clinics_patient(nurse, outsider, login, make_patient):
    make_patient(outsider, family_name="Southerly")
    html = _text(
        login(nurse).get(
            reverse("pharmacology:index"), {"protocol": "esketamine_trd", "q": "Southerly"}
        )
    )
    assert "No patient matches." in html


def test_the_index_offers_no_patient_search_without_patient_view(clinic, make_member, login):
    from ketaclinic.accounts.permissions import Perm, Role, role_can

    # Every role that reaches the page today has PATIENT_VIEW; guard the template branch anyway.
    assert all(
        role_can(r, Perm.PATIENT_VIEW)
        for r in Role
        if any(role_can(r, p) for p in (Perm.TREATMENT_ADMINISTER, Perm.PROTOCOL_MANAGE))
    )
    admin = make_member(clinic, "ada", Role.CLINIC_ADMIN)
    assert "A patient" in _text(login(admin).get(reverse("pharmacology:index")))


# --- the patient page -------------------------------------------------------------------------


def _patient_url(patient, protocol: str | None = "iv_racemic_depression") -> str:
    url = reverse("pharmacology:patient", kwargs={"pk": patient.pk})
    return f"{url}?protocol={protocol}" if protocol else url


def test_the_patient_page_uses_the_latest_weight(prescriber, login, make_patient):
    patient = make_patient(prescriber, date_of_birth=datetime.date(1950, 1, 1))
    _weigh(patient, prescriber, "90", days_ago=10)
    _weigh(patient, prescriber, "80", days_ago=2)
    response = login(prescriber).get(_patient_url(patient))
    assert response.status_code == 200
    html = _text(response)
    assert "40 mg IV over 40 min (0.5 mg/kg x 80 kg)" in html
    assert patient.mrn in html
    assert DECISION_SUPPORT in html


def test_the_patient_page_records_the_chart_read(prescriber, login, make_patient):
    from ketaclinic.audit.models import AuditEvent

    patient = make_patient(prescriber)
    _weigh(patient, prescriber, "70")
    before = AuditEvent.objects.filter(patient_id=patient.pk).count()
    login(prescriber).get(_patient_url(patient))
    assert AuditEvent.objects.filter(patient_id=patient.pk).count() == before + 1


def test_a_patient_of_another_clinic_is_404(prescriber, outsider, login, make_patient):
    patient = make_patient(outsider)
    _weigh(patient, outsider, "70")
    assert login(prescriber).get(_patient_url(patient)).status_code == 404


def test_a_patient_without_a_weight_is_told_so(prescriber, login, make_patient):
    patient = make_patient(prescriber)
    html = _text(login(prescriber).get(_patient_url(patient)))
    assert "No weight is recorded for this patient" in html
    assert "<polyline" not in html


def test_a_patient_weight_beyond_the_models_is_said_plainly(prescriber, login, make_patient):
    patient = make_patient(prescriber)
    _weigh(patient, prescriber, "300")
    html = _text(login(prescriber).get(_patient_url(patient)))
    assert "300.0 kg, is outside the 20-250 kg" in html
    assert "<polyline" not in html


def test_an_old_weight_is_flagged(prescriber, login, make_patient):
    patient = make_patient(prescriber)
    _weigh(patient, prescriber, "70", days_ago=45)
    html = _text(login(prescriber).get(_patient_url(patient)))
    assert "Weigh the patient again before dosing" in html
    assert "<polyline" in html


def test_the_patient_page_without_a_protocol_asks_for_one(prescriber, login, make_patient):
    patient = make_patient(prescriber)
    _weigh(patient, prescriber, "70")
    response = login(prescriber).get(_patient_url(patient, protocol=None))
    assert response.status_code == 200
    assert 'name="protocol"' in _text(response) and "<polyline" not in _text(response)


def test_an_unknown_protocol_on_the_patient_page_is_a_form_error(prescriber, login, make_patient):
    patient = make_patient(prescriber)
    _weigh(patient, prescriber, "70")
    response = login(prescriber).get(_patient_url(patient, protocol="bogus"))
    assert response.status_code == 200
    assert "Select a valid choice" in _text(response)


def test_front_desk_may_not_see_the_patient_page(front_desk, prescriber, login, make_patient):
    patient = make_patient(prescriber)
    _weigh(patient, prescriber, "70")
    assert login(front_desk).get(_patient_url(patient)).status_code == 403


# --- a stored protocol version ----------------------------------------------------------------


def _version(membership, code: str = "esketamine_trd"):
    from ketaclinic.treatment.services import protocol_copy_from_library

    return protocol_copy_from_library(by=membership, library_code=code)


def _version_url(version, **query: str) -> str:
    url = reverse("pharmacology:version", kwargs={"pk": version.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.mark.parametrize("role", ["clinic_admin", "prescriber", "nurse"])
def test_a_clinics_stored_protocol_version_renders(role, request, clinic_admin, login):
    version = _version(clinic_admin)
    response = login(request.getfixturevalue(role)).get(_version_url(version, weight="70"))
    assert response.status_code == 200
    html = _text(response)
    assert DECISION_SUPPORT in html
    assert "56 mg esketamine: 2 devices of 28 mg, 5 min apart" in html
    assert f"v{version.number}" in html
    assert "<polyline" in html


def test_a_stored_version_checks_the_weight(clinic_admin, login):
    html = _text(login(clinic_admin).get(_version_url(_version(clinic_admin), weight="260")))
    assert WEIGHT_ERROR in html and "<polyline" not in html


def test_another_clinics_version_is_404(clinic_admin, outsider, login):
    version = _version(clinic_admin, "iv_racemic_depression")
    assert login(outsider).get(_version_url(version, weight="70")).status_code == 404


def test_the_version_page_refuses_researchers(clinic_admin, researcher, login):
    version = _version(clinic_admin)
    assert login(researcher).get(_version_url(version, weight="70")).status_code == 403


def test_an_unknown_version_is_404(prescriber, login):
    url = reverse("pharmacology:version", kwargs={"pk": 987654}) + "?weight=70"
    assert login(prescriber).get(url).status_code == 404


def test_the_main_nav_links_the_exposure_page_for_the_roles_that_may_use_it(
    nurse, researcher, login
):
    link = f'href="{reverse("pharmacology:index")}"'
    assert link in _text(login(nurse).get(reverse("home")))
    assert link not in _text(login(researcher).get(reverse("home")))
