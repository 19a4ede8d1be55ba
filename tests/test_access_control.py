"""Access control over every URL of the application (OWASP ASVS 4.1.1, 4.2.1; security checks S1, S2).

The URL list is not written down here: it is read from the URL configuration, so a new view is covered
the day it is added. To build a concrete URL, each route parameter is filled from objects of North
Clinic by a *filler* (``FILLERS``). A parameter without a filler fails the test with a message saying
which filler to add, so nothing is silently skipped. Every filled URL is first shown to reach a real
North object (the North prescriber does not get 404), so an outsider's 404 means "refused", not
"no such object".
"""

from __future__ import annotations

import datetime
import itertools
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import get_converters
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketaclinic.testing import PASSWORD, sign_in
from ketaclinic.treatment.tests.factories import treatment_objects

# --------------------------------------------------------------------------------------------------
# The URL configuration, walked recursively.


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", as reverse() takes it
    route: str  # the full pattern, for messages
    params: tuple[tuple[str, str], ...]  # (keyword, converter name), e.g. ("pk", "uuid")
    callback: Callable[..., Any] = field(compare=False)

    @property
    def is_public(self) -> bool:
        """Reachable without signing in (LoginRequiredMiddleware honours ``login_not_required``)."""
        return getattr(self.callback, "login_required", True) is False

    @property
    def is_two_factor_exempt(self) -> bool:
        return self.is_public or getattr(self.callback, "two_factor_exempt", False)


def _converter_name(converter: object) -> str:
    for name, known in get_converters().items():
        if type(converter) is type(known):
            return name
    return type(converter).__name__


def _params(pattern: Any) -> list[tuple[str, str]]:
    converters = getattr(pattern, "converters", None)
    if converters:
        return [(kw, _converter_name(conv)) for kw, conv in converters.items()]
    # re_path: named groups have no converter; a filler keyed ("name", "regex") is then needed.
    return [(kw, "regex") for kw in pattern.regex.groupindex]


def walk(
    patterns: list[Any], prefix: str = "", namespace: str = "", params: tuple[Any, ...] = ()
) -> Iterator[Route]:
    for entry in patterns:
        here = prefix + str(entry.pattern)
        found = params + tuple(_params(entry.pattern))
        if isinstance(entry, URLResolver):
            ns = namespace
            if entry.namespace:
                ns = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from walk(entry.url_patterns, here, ns, found)
        else:
            assert isinstance(entry, URLPattern)
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name or ""
            yield Route(name=name, route="/" + here, params=found, callback=entry.callback)


# The REST API (/api/v1/) does not use the session: every operation takes a bearer token instead of
# sign-in, second factor and clinic middleware. Its authentication, clinic scoping and roles are
# tested over the OpenAPI document in ketaclinic/api/tests/ (test_tokens, test_endpoints, fuzz).
ROUTES: list[Route] = [
    r for r in walk(get_resolver().url_patterns) if not r.name.startswith("api:")
]
ROUTE_IDS = [r.name or r.route for r in ROUTES]
# The public self-report page (a token, no sign-in) is tested in scales/tests/test_self_report.py.
# Routes whose parameters name shared, non-clinic data (the shipped protocol library): every clinic
# sees the same page, so there is no other clinic's object to refuse.
SHARED_DATA_ROUTES = {"pharmacology:library"}
OBJECT_ROUTES = [
    r for r in ROUTES if r.params and not r.is_public and r.name not in SHARED_DATA_ROUTES
]

# The reviewed allowlist (security check S1): the only pages reachable without signing in. Static files
# are served by WhiteNoise before URL routing, so they are not URL patterns.
PUBLIC_ROUTES = {"accounts:login", "accounts:logout", "scales:self_report"}
# Pages a signed-in user whose second factor is not yet verified may reach: the second step itself,
# enrolment, and signing out (plus the public pages).
TWO_FACTOR_EXEMPT_ROUTES = {*PUBLIC_ROUTES, "accounts:verify", "accounts:enrol"}


def test_the_url_configuration_is_walked_into_every_namespace() -> None:
    names = {r.name for r in ROUTES}
    # One route from each include(), so a broken walk cannot pass with an empty list.
    assert {"home", "accounts:login", "patients:detail", "audit:list"} <= names
    assert len(ROUTES) >= 15


def test_every_url_pattern_is_named() -> None:
    unnamed = [r.route for r in ROUTES if not r.name]
    assert not unnamed, f"name these URL patterns so access tests can reverse them: {unnamed}"


def test_the_public_allowlist_is_exactly_login_and_logout() -> None:
    public = {r.name for r in ROUTES if r.is_public}
    assert public == PUBLIC_ROUTES, (
        "a view was marked login_not_required; public pages are a security decision: review it "
        f"and update PUBLIC_ROUTES (public now: {sorted(public)})"
    )
    # scales:self_report: a patient's single-use questionnaire link (issue 3), rate-limited, no PHI.
    assert PUBLIC_ROUTES == {"accounts:login", "accounts:logout", "scales:self_report"}


def test_only_the_sign_in_steps_are_exempt_from_the_second_factor() -> None:
    exempt = {r.name for r in ROUTES if r.is_two_factor_exempt}
    assert exempt == TWO_FACTOR_EXEMPT_ROUTES, f"two-factor exempt now: {sorted(exempt)}"


# --------------------------------------------------------------------------------------------------
# North Clinic's objects and the fillers that turn route parameters into them.


@dataclass
class North:
    patient: Any
    entries: dict[str, Any]  # kind -> one chart entry of that kind
    alert: Any


@pytest.fixture
def north(prescriber, make_patient) -> North:
    return build_north(prescriber, make_patient)


def build_north(prescriber: Any, make_patient: Any) -> North:
    """North Clinic's patient with one chart entry of each kind and an alert (also used by
    tests/test_access_error_paths.py)."""
    from ketaclinic.alerts import services as alerts
    from ketaclinic.alerts.models import AlertKind, Severity
    from ketaclinic.patients import services

    patient = make_patient(prescriber, given_name="Nora", family_name="Northway")
    when = timezone.now() - datetime.timedelta(days=1)
    entries = {
        "weight": services.weight_record(
            by=prescriber, patient=patient, value=Decimal("70"), unit="kg", measured_at=when
        ),
        "height": services.height_record(
            by=prescriber, patient=patient, value=Decimal("170"), unit="cm", measured_at=when
        ),
        "diagnosis": services.diagnosis_record(
            by=prescriber, patient=patient, icd10_code="F33.2", text="Recurrent depression"
        ),
        "allergy": services.allergy_record(
            by=prescriber, patient=patient, substance="Latex", severity="unknown"
        ),
        "medication": services.medication_record(
            by=prescriber, patient=patient, name="Sertraline", dose_text="100 mg daily"
        ),
    }
    alert = alerts.alert_raise(
        by=prescriber,
        clinic_id=prescriber.clinic_id,
        kind=AlertKind.OTHER,
        severity=Severity.WARNING,
        title="Check blood pressure log",
        patient=patient,
    )
    return North(patient=patient, entries=entries, alert=alert)


# (keyword, converter) -> candidate values from North Clinic. The first combination of candidates that
# reaches a North object (the North prescriber gets anything but 404) is used.
FILLERS: dict[tuple[str, str], Callable[[North], list[Any]]] = {
    ("pk", "uuid"): lambda n: [n.patient.pk],
    ("entry_id", "int"): lambda n: [entry.pk for entry in n.entries.values()],
    ("kind", "str"): lambda n: list(n.entries),
    ("response_id", "int"): lambda n: [_scale_response(n).pk],  # scales:detail, fhir, amend
    ("token", "str"): lambda n: [_self_report_token(n)],  # scales:self_report (public)
    ("protocol_id", "int"): lambda n: [treatment_objects(n.patient)["protocol"].pk],
    ("course_id", "int"): lambda n: [treatment_objects(n.patient)["course"].pk],
    ("session_id", "int"): lambda n: [treatment_objects(n.patient)["session"].pk],
    ("form_id", "int"): lambda n: [treatment_objects(n.patient)["rems_form"].pk],
    ("membership_id", "int"): lambda n: [_north_prescriber(n).pk],  # accounts:staff_* (admin)
    ("closure_id", "int"): lambda n: [treatment_objects(n.patient)["closure"].pk],
    ("screening_id", "int"): lambda n: [_screening(n).pk],  # screening:detail, override
    # inventory (issue 12)
    ("container_id", "int"): lambda n: [_stock(n)["container"].pk],
    ("ledger_entry_id", "int"): lambda n: [_stock(n)["entry"].pk],
    ("location_id", "int"): lambda n: [_stock(n)["location"].pk],
    ("count_id", "int"): lambda n: [_stock(n)["count"].pk],
    ("line_id", "int"): lambda n: [_stock(n)["line"].pk],
    ("inventory_id", "int"): lambda n: [_stock(n)["inventory"].pk],
    ("loss_report_id", "int"): lambda n: [_stock(n)["loss_report"].pk],
    ("record_id", "int"): lambda n: [_surveillance_record(n).pk],  # surveillance (issue 11)
}
# Parameters whose meaning depends on the route (an ``<int:pk>`` names a different model in each app):
# (route name, keyword) -> candidates. Looked up before FILLERS.
ROUTE_FILLERS: dict[tuple[str, str], Callable[[North], list[Any]]] = {
    ("alerts:acknowledge", "pk"): lambda n: [n.alert.pk],
    ("pharmacology:library", "key"): lambda n: ["iv_racemic_depression"],
    ("pharmacology:version", "pk"): lambda n: [_north_protocol_version(n).pk],
}


def filler_for(route: Route, param: tuple[str, str]) -> Callable[[North], list[Any]] | None:
    return ROUTE_FILLERS.get((route.name, param[0])) or FILLERS.get(param)


def _north_prescriber(n: North) -> Any:
    from ketaclinic.accounts.models import Membership

    return Membership.objects.get(clinic_id=n.patient.clinic_id, role="prescriber")


def _north_protocol_version(n: North) -> Any:
    """North's copy of a shipped protocol (copied by a North clinic admin, made if needed)."""
    from ketaclinic.accounts.models import Membership
    from ketaclinic.accounts.permissions import Role
    from ketaclinic.accounts.services import membership_grant, user_create
    from ketaclinic.treatment.services import protocol_copy_from_library

    admin = Membership.objects.filter(clinic_id=n.patient.clinic_id, role=Role.CLINIC_ADMIN).first()
    if admin is None:
        user = user_create(
            by=None, username="north-protocols", password=PASSWORD, first_name="P", last_name="M"
        )
        admin = membership_grant(
            by=None, user=user, clinic=n.patient.clinic, role=Role.CLINIC_ADMIN
        )
    return protocol_copy_from_library(by=admin, library_code="iv_racemic_depression")


def _stock(n: North) -> dict[str, Any]:
    """North's ledger (made once per North): see ``stock_objects``."""
    cached: dict[str, Any] | None = n.__dict__.get("_stock")
    if cached is None:
        from ketaclinic.inventory.tests.factories import stock_objects

        cached = n.__dict__["_stock"] = stock_objects(n.patient.clinic, _north_prescriber(n))
    return cached


def _scale_response(n: North) -> Any:
    from ketaclinic.scales.services import scale_response_record

    return scale_response_record(
        by=_north_prescriber(n),
        patient=n.patient,
        code="gad7",
        answers=[1] * 7,
        effective_at=timezone.now(),
    )


def _screening(n: North) -> Any:
    from ketaclinic.screening.models import Screening

    treatment_objects(n.patient)  # enrols the patient, after an eligible screening
    return Screening.objects.filter(patient=n.patient).first()


def _surveillance_record(n: North) -> Any:
    from ketaclinic.surveillance.services import surveillance_record

    return surveillance_record(
        by=_north_prescriber(n),
        patient=n.patient,
        kind="urinary",
        done_on=timezone.now().date() - datetime.timedelta(days=2),
        result="normal",
    )


def _self_report_token(n: North) -> str:
    from ketaclinic.scales.services import self_report_link_create

    return self_report_link_create(by=_north_prescriber(n), patient=n.patient, codes=["phq9"])[1]


def test_every_url_parameter_has_a_filler() -> None:
    missing = sorted({(r.name, p) for r in ROUTES for p in r.params if not filler_for(r, p)})
    assert not missing, (
        "add a filler to FILLERS or ROUTE_FILLERS in tests/test_access_control.py for these "
        f"(route, (keyword, converter)) pairs, so the new view's access control is tested: {missing}"
    )


def _status(client: Client, method: str, url: str) -> int:
    response = client.get(url) if method == "get" else client.post(url, {})
    return response.status_code


def concrete_url(route: Route, north: North, insider: Client) -> str:
    """A URL for ``route`` naming a North object the North prescriber can reach."""
    if not route.params:
        return reverse(route.name)
    choices = []
    for param in route.params:
        filler = filler_for(route, param)
        if filler is None:
            pytest.fail(
                f"{route.name} ({route.route}) has parameter {param!r} with no filler: add one "
                "to FILLERS or ROUTE_FILLERS in tests/test_access_control.py"
            )
        choices.append(filler(north))
    keywords = [kw for kw, _ in route.params]
    for values in itertools.product(*choices):
        url = reverse(route.name, kwargs=dict(zip(keywords, values, strict=True)))
        status = _status(insider, "get", url)
        if status == 405:  # POST-only; an empty form changes nothing
            status = _status(insider, "post", url)
        if status != 404:
            return url
    pytest.fail(
        f"no combination of filler values for {route.name} reaches a North object as the North "
        "prescriber; fix the filler"
    )


@pytest.fixture
def insider(prescriber) -> Client:
    return sign_in(Client(), prescriber)


def _redirect_target(response: Any) -> str:
    return str(response.get("Location", "")).split("?")[0]


# --------------------------------------------------------------------------------------------------
# (a) Anonymous requests are sent to the login page.


@pytest.mark.parametrize("route", [r for r in ROUTES if not r.is_public], ids=lambda r: r.name)
@pytest.mark.django_db
def test_an_anonymous_request_is_sent_to_login(route: Route, north: North, insider: Client) -> None:
    url = concrete_url(route, north, insider)
    login_url = reverse("accounts:login")
    anonymous = Client()
    for method in ("get", "post"):
        response = getattr(anonymous, method)(url)
        assert response.status_code == 302, f"{method.upper()} {url}: {response.status_code}"
        assert _redirect_target(response) == login_url, f"{method.upper()} {url}"
        assert "next=" in response["Location"]


@pytest.mark.django_db
def test_the_public_pages_behave_as_reviewed(prescriber) -> None:
    anonymous = Client()
    login_url = reverse("accounts:login")
    assert anonymous.get(login_url).status_code == 200
    assert anonymous.post(login_url, {"username": "nobody", "password": "x"}).status_code == 200
    logout_url = reverse("accounts:logout")
    assert anonymous.get(logout_url).status_code == 405  # logout only by POST
    response = anonymous.post(logout_url)
    assert response.status_code == 302
    assert _redirect_target(response) == login_url


# --------------------------------------------------------------------------------------------------
# (b) The outsider (a prescriber of South Clinic, fully signed in) gets 404 for every North object.


@pytest.mark.parametrize("route", OBJECT_ROUTES, ids=lambda r: r.name)
@pytest.mark.django_db
def test_the_outsider_gets_404_for_every_north_object(
    route: Route, north: North, insider: Client, outsider, login
) -> None:
    url = concrete_url(route, north, insider)
    client = login(outsider)
    checked = []
    for method in ("get", "post"):
        status = getattr(client, method)(url, {}).status_code
        if status == 405 and _status(insider, method, url) == 405:
            continue  # the method is refused for everyone before any object lookup
        assert status == 404, f"{method.upper()} {url}: {status}"
        checked.append(method)
    assert checked, f"neither GET nor POST is allowed on {url}"


def test_there_are_object_routes_to_check() -> None:
    assert {r.name for r in OBJECT_ROUTES} >= {
        "patients:detail",
        "patients:edit",
        "patients:measurement_correct",
        "patients:in_error",
        "patients:medication_stop",
    }


# --------------------------------------------------------------------------------------------------
# (c) Signed in with a password only: every page but the sign-in steps sends to the second factor.


@pytest.mark.parametrize(
    "route", [r for r in ROUTES if not r.is_two_factor_exempt], ids=lambda r: r.name
)
@pytest.mark.django_db
def test_without_a_verified_second_factor_every_page_sends_to_verify(
    route: Route, north: North, insider: Client, nurse
) -> None:
    url = concrete_url(route, north, insider)
    half = Client()
    half.force_login(nurse.user)  # password step done, no TOTP yet
    verify_url = reverse("accounts:verify")
    assert half.get(verify_url).status_code == 200
    for method in ("get", "post"):
        response = getattr(half, method)(url, {})
        assert response.status_code == 302, f"{method.upper()} {url}: {response.status_code}"
        assert _redirect_target(response) == verify_url, f"{method.upper()} {url}"


# --------------------------------------------------------------------------------------------------
# (d) The role matrix for patient pages.

VIEW, REGISTER, CLINICAL = "view", "register", "clinical"
PATIENT_ROUTE_NEEDS = {
    "patients:list": VIEW,
    "patients:detail": VIEW,
    "patients:create": REGISTER,
    "patients:edit": REGISTER,
    "patients:weight_add": CLINICAL,
    "patients:height_add": CLINICAL,
    "patients:diagnosis_add": CLINICAL,
    "patients:allergy_add": CLINICAL,
    "patients:medication_add": CLINICAL,
    "patients:measurement_correct": CLINICAL,
    "patients:in_error": CLINICAL,
    "patients:medication_stop": CLINICAL,
}
ROLE_MAY = {
    "prescriber": {VIEW, REGISTER, CLINICAL},
    "nurse": {VIEW, REGISTER, CLINICAL},
    "front_desk": {VIEW, REGISTER},
    "clinic_admin": {VIEW, REGISTER},
    "inventory_manager": set(),
    "researcher": set(),
}
PATIENT_ROUTES = [r for r in ROUTES if r.name.startswith("patients:")]


def test_every_patient_page_is_in_the_role_matrix() -> None:
    assert {r.name for r in PATIENT_ROUTES} == set(PATIENT_ROUTE_NEEDS), (
        "add the new patient page to PATIENT_ROUTE_NEEDS in tests/test_access_control.py"
    )


@pytest.mark.parametrize("role", sorted(ROLE_MAY))
@pytest.mark.django_db
def test_each_role_reaches_exactly_the_patient_pages_it_may(
    role: str, request: pytest.FixtureRequest, north: North, insider: Client, login
) -> None:
    client = login(request.getfixturevalue(role))
    for route in PATIENT_ROUTES:
        url = concrete_url(route, north, insider)
        allowed = PATIENT_ROUTE_NEEDS[route.name] in ROLE_MAY[role]
        for method in ("get", "post"):
            status = getattr(client, method)(url, {}).status_code
            if status == 405 and _status(insider, method, url) == 405:
                continue  # the method is refused for everyone (a POST-only or GET-only page)
            if allowed:
                # An empty POST re-shows the form (200) or redirects with an error message (302).
                assert status in (200, 302), f"{role} {method.upper()} {url}: {status}"
            else:
                assert status == 403, f"{role} {method.upper()} {url}: {status}"


@pytest.mark.django_db
def test_front_desk_registers_and_edits_demographics(front_desk, login) -> None:
    from ketaclinic.patients.models import Patient

    client = login(front_desk)
    data = {
        "mrn": "FD-1",
        "given_name": "Rosa",
        "family_name": "Desk",
        "date_of_birth": "1975-03-04",
        "sex": "female",
    }
    response = client.post(reverse("patients:create"), data)
    assert response.status_code == 302
    patient = Patient.objects.get(mrn="FD-1", clinic_id=front_desk.clinic_id)

    edit = {**data, "family_name": "Deskova", "reason": "Name changed after marriage"}
    response = client.post(reverse("patients:edit", kwargs={"pk": patient.pk}), edit)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.family_name == "Deskova"


@pytest.mark.django_db
def test_front_desk_cannot_add_clinical_entries(front_desk, north: North, login) -> None:
    from ketaclinic.patients.models import Diagnosis, WeightMeasurement

    client = login(front_desk)
    pk = north.patient.pk
    weight = {"value": "80", "unit": "kg", "measured_at": "2024-01-02T10:00"}
    assert client.post(reverse("patients:weight_add", kwargs={"pk": pk}), weight).status_code == 403
    diagnosis = {"icd10_code": "F32.9", "text": "Depression"}
    url = reverse("patients:diagnosis_add", kwargs={"pk": pk})
    assert client.post(url, diagnosis).status_code == 403
    assert WeightMeasurement.objects.filter(patient=north.patient).count() == 1
    assert Diagnosis.objects.filter(patient=north.patient).count() == 1


# --------------------------------------------------------------------------------------------------
# (e) Random patient ids: 404 for everyone, whatever their role or clinic.

UUID_ROUTES = [r for r in ROUTES if ("pk", "uuid") in r.params and len(r.params) == 1]
PERSONAS = [
    "prescriber",
    "nurse",
    "front_desk",
    "inventory_manager",
    "researcher",
    "clinic_admin",
    "outsider",
]


@pytest.fixture
def persona_clients(request: pytest.FixtureRequest) -> dict[str, Client]:
    return {p: sign_in(Client(), request.getfixturevalue(p)) for p in PERSONAS}


@pytest.mark.django_db
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pk=st.uuids())
def test_a_random_patient_id_is_404_for_everyone(
    north: North, persona_clients: dict[str, Client], pk: uuid.UUID
) -> None:
    assert len(UUID_ROUTES) >= 7
    if pk == north.patient.pk:
        return
    for route in UUID_ROUTES:
        url = reverse(route.name, kwargs={"pk": pk})
        for persona, client in persona_clients.items():
            status = client.get(url).status_code
            assert status == 404, f"{persona} GET {url}: {status}"


# --------------------------------------------------------------------------------------------------
# Pages with patient data are never cached.


@pytest.mark.django_db
def test_every_page_a_signed_in_user_gets_is_marked_no_store(
    north: North, insider: Client, clinic_admin
) -> None:
    admin = sign_in(Client(), clinic_admin)
    seen_ok = []
    for route in ROUTES:
        url = concrete_url(route, north, insider)
        for who, client in (("prescriber", insider), ("clinic_admin", admin)):
            response = client.get(url)
            if response.status_code != 200:
                continue
            seen_ok.append(route.name)
            assert "no-store" in response.get("Cache-Control", ""), f"{who} GET {url}"
    # Not vacuous: the list, the chart, the forms and the audit pages were all fetched with 200.
    assert {"home", "patients:list", "patients:detail", "patients:edit", "audit:list"} <= set(
        seen_ok
    )
    assert {"patients:weight_add", "audit:export", "alerts:list", "alerts:acknowledge"} <= set(
        seen_ok
    )
