"""Exposure pages: predicted plasma concentrations for a protocol and a weight (issue 5).

Thin: read the query string with a form, fetch the protocol (shipped library, a patient's weight,
or a clinic's stored protocol version) through a selector, and let the pure
:mod:`ketaclinic.treatment.domain.exposure` (the protocol-to-doses adapter over
:mod:`ketaclinic.pharmacology`) compute everything shown. GET only; nothing is written except the
audit record of a patient's chart being read, and nothing is cached. Served under /exposure/ with
the URL names ``pharmacology:*`` (wired in ``ketaclinic/urls.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from ketaclinic.accounts.http import ClinicRequest, membership_of
from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.patients import selectors as patient_selectors
from ketaclinic.pharmacology.presentation import DECISION_SUPPORT, WEIGHT_MAX_KG, WEIGHT_MIN_KG
from ketaclinic.treatment import exposure_forms as forms
from ketaclinic.treatment.domain.dosing import check_weight_age
from ketaclinic.treatment.domain.exposure import ExposureView, build_exposure, ceiling_problem
from ketaclinic.treatment.domain.library import SHIPPED_PROTOCOLS
from ketaclinic.treatment.domain.protocol import Protocol
from ketaclinic.treatment.safety import CHECK_BEFORE_USE
from ketaclinic.treatment.selectors import get_protocol_version_for_user

#: Roles with any of these may use the exposure pages (researchers and inventory do not).
# Clinical decision support: those who run or plan sessions, and the clinic admin who manages
# protocols; not the front desk (no clinical view). The nav (core/navigation.py) agrees.
EXPOSURE_PERMS = (Perm.TREATMENT_ADMINISTER, Perm.TREATMENT_PLAN, Perm.PROTOCOL_MANAGE)
MAX_PATIENT_MATCHES = 20
TEMPLATE = "pharmacology/exposure.html"


def _require_exposure_access(membership: Membership) -> None:
    if not any(membership.can(perm) for perm in EXPOSURE_PERMS):
        raise PermissionDenied


def _age_years(date_of_birth: date, today: date) -> float:
    return (today - date_of_birth).days / 365.25


@dataclass(frozen=True)
class Subject:
    """Whose numbers these are, shown above the chart."""

    kind: str  # "library", "patient" or "version"
    title: str
    detail: str = ""


def _render(
    request: ClinicRequest,
    *,
    subject: Subject,
    form: Any,
    view: ExposureView | None,
    problem: str = "",
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    context: dict[str, Any] = {
        "subject": subject,
        "form": form,
        "view": view,
        "problem": problem,
        "decision_support": DECISION_SUPPORT,
        "check_before_use": CHECK_BEFORE_USE,
        **(extra or {}),
    }
    return render(request, TEMPLATE, context)


# ---------------------------------------------------------------------------------------------
# /exposure/


@require_GET
def index(request: ClinicRequest) -> HttpResponse:
    """Choose a shipped protocol and a weight, or a patient (whose latest weight is then used)."""
    membership = membership_of(request)
    _require_exposure_access(membership)
    can_view_patients = membership.can(Perm.PATIENT_VIEW)
    library_form = forms.LibraryChoiceForm(
        request.GET if "weight" in request.GET else None,
        auto_id="lib_%s",
        initial={"weight": Decimal(70)},
    )
    find_form = forms.PatientFindForm(
        request.GET if "q" in request.GET and can_view_patients else None, auto_id="pat_%s"
    )
    if library_form.is_bound and library_form.is_valid():
        data = library_form.cleaned_data
        url = reverse("pharmacology:library", kwargs={"key": data["protocol"]})
        return redirect(f"{url}?weight={data['weight']}")
    matches: list[Any] = []
    if find_form.is_bound and find_form.is_valid():
        found = patient_selectors.patient_search(
            membership=membership, query=find_form.cleaned_data["q"]
        )
        matches = list(found[: MAX_PATIENT_MATCHES + 1])
        protocol_key = find_form.cleaned_data["protocol"]
        if len(matches) == 1:
            url = reverse("pharmacology:patient", kwargs={"pk": matches[0].pk})
            return redirect(f"{url}?protocol={protocol_key}")
    context = {
        "library_form": library_form,
        "find_form": find_form,
        "can_view_patients": can_view_patients,
        "matches": matches[:MAX_PATIENT_MATCHES],
        "more_matches": len(matches) > MAX_PATIENT_MATCHES,
        "protocol_key": find_form.cleaned_data.get("protocol", "")
        if find_form.is_bound and find_form.is_valid()
        else "",
        "decision_support": DECISION_SUPPORT,
        "weight_range": f"{WEIGHT_MIN_KG:g}-{WEIGHT_MAX_KG:g} kg",
    }
    return render(request, "pharmacology/index.html", context)


# ---------------------------------------------------------------------------------------------
# A protocol with a typed-in weight: shipped library or a clinic's stored version


def _weight_page(request: ClinicRequest, protocol: Protocol, subject: Subject) -> HttpResponse:
    form = forms.WeightScenarioForm(
        request.GET if "weight" in request.GET else None,
        protocol=protocol,
        initial={"weight": Decimal(70)},
    )
    view = None
    problem = ""
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        problem = _refused(protocol, float(data["weight"]), data["dose"])
        if not problem:
            view = build_exposure(
                protocol, float(data["weight"]), amount=data["dose"], levels=data["levels"]
            )
    return _render(request, subject=subject, form=form, view=view, problem=problem)


def _refused(protocol: Protocol, weight_kg: float, amount: Decimal | None) -> str:
    """A dose above a drug-and-route ceiling is not simulated: the page says why instead."""
    problem = ceiling_problem(protocol, weight_kg, amount)
    return f"Not simulated: {problem}" if problem else ""


@require_GET
def library(request: ClinicRequest, key: str) -> HttpResponse:
    membership = membership_of(request)
    _require_exposure_access(membership)
    protocol = SHIPPED_PROTOCOLS.get(key)
    if protocol is None:
        raise Http404("no shipped protocol with this key")
    subject = Subject("library", protocol.title, "Shipped protocol library")
    return _weight_page(request, protocol, subject)


@require_GET
def version(request: ClinicRequest, pk: int) -> HttpResponse:
    """A clinic's stored protocol version at a typed-in weight.

    The version is fetched with ``get_protocol_version_for_user`` (clinic-scoped: another
    clinic's version is 404).
    """
    membership = membership_of(request)
    _require_exposure_access(membership)
    stored = get_protocol_version_for_user(membership=membership, pk=pk)
    protocol = stored.protocol
    label = str(stored)
    subject = Subject("version", protocol.title, label if label != protocol.title else "")
    return _weight_page(request, protocol, subject)


# ---------------------------------------------------------------------------------------------
# A patient: their latest weight


@require_GET
def patient(request: ClinicRequest, pk: UUID) -> HttpResponse:
    membership = membership_of(request)
    record = patient_selectors.get_patient_for_user(
        membership=membership, pk=pk, perm=Perm.PATIENT_VIEW
    )
    _require_exposure_access(membership)  # after the fetch: an unknown id stays 404 for everyone
    key = request.GET.get("protocol", "")
    protocol = SHIPPED_PROTOCOLS.get(key) or next(iter(SHIPPED_PROTOCOLS.values()))
    form = forms.PatientScenarioForm(
        request.GET if "protocol" in request.GET else None, protocol=protocol
    )
    weight = patient_selectors.latest_weight(patient=record)
    now = timezone.now()
    today = timezone.localdate(now, membership.clinic.tzinfo)
    age = _age_years(record.date_of_birth, today)
    subject = Subject("patient", f"{record.family_name}, {record.given_name}", f"MRN {record.mrn}")
    extra: dict[str, Any] = {"patient": record, "weight": weight, "age_years": age}
    problem = ""
    view = None
    if weight is None:
        problem = "No weight is recorded for this patient: record one on the chart first."
    elif not WEIGHT_MIN_KG <= float(weight.weight_kg) <= WEIGHT_MAX_KG:
        problem = (
            f"The latest weight, {weight.weight_kg} kg, is outside the {WEIGHT_MIN_KG:g}-"
            f"{WEIGHT_MAX_KG:g} kg the exposure models accept: no prediction is shown."
        )
    elif form.is_bound and form.is_valid():
        data = form.cleaned_data
        chosen = SHIPPED_PROTOCOLS[data["protocol"]]
        check = check_weight_age(
            measured_at=weight.measured_at,
            now=max(now, weight.measured_at),  # a weight may be entered up to 5 min ahead
            max_age_days=chosen.dose.max_weight_age_days,
        )
        extra["weight_check"] = check
        problem = _refused(chosen, float(weight.weight_kg), data["dose"])
        if not problem:
            view = build_exposure(
                chosen,
                float(weight.weight_kg),
                age_years=age,
                amount=data["dose"],
                levels=data["levels"],
            )
    return _render(request, subject=subject, form=form, view=view, problem=problem, extra=extra)
