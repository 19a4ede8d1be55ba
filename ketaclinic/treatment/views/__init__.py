"""Treatment pages: protocols, enrolment, the chair board, the session at the chair, REMS forms.
Thin: parse a form, call a service, render. Objects come only through the selectors."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar
from uuid import UUID

from django import forms as django_forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketaclinic.accounts.http import ClinicRequest, membership_of, run_service
from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.alerts.selectors import open_alerts_for_patient
from ketaclinic.audit.models import SignatureMeaning
from ketaclinic.audit.signatures import signature_matches
from ketaclinic.patients.selectors import get_patient_for_user, latest_weight
from ketaclinic.treatment import forms, selectors, services
from ketaclinic.treatment.domain import rems
from ketaclinic.treatment.domain.library import SHIPPED_PROTOCOLS
from ketaclinic.treatment.domain.protocol import Drug, Frequency, Route
from ketaclinic.treatment.models import (
    AdverseEvent,
    Amendment,
    DoseAdministration,
    Observation,
    RemsMonitoringForm,
    SessionPhase,
    TreatmentSession,
)
from ketaclinic.treatment.record import (
    AMENDABLE_FIELDS,
    amended_pmf_data,
    dose_content,
    pmf_from_dict,
    session_content,
)

T = TypeVar("T")


def _require(membership: Membership, *perms: Perm) -> None:
    if not any(membership.can(p) for p in perms):
        raise PermissionDenied


def _call(request: ClinicRequest, form: django_forms.BaseForm, call: Callable[[], T]) -> T | None:
    """run_service, then show the errors that have no field on this form as messages."""
    result = run_service(form, call)
    if result is None:
        for error in form.non_field_errors():
            messages.error(request, str(error))
    return result


# --------------------------------------------------------------------------------------------
# Protocols


def protocol_list(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    protocols = list(selectors.protocols_for_clinic(membership=m))
    copied = {p.library_code for p in protocols}
    context = {
        "protocols": protocols,
        "library": [(k, p) for k, p in SHIPPED_PROTOCOLS.items() if k not in copied],
        "can_manage": m.can(Perm.PROTOCOL_MANAGE),
    }
    return render(request, "treatment/protocol_list.html", context)


@require_POST
def protocol_copy(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    _require(m, Perm.PROTOCOL_MANAGE)
    code = request.POST.get("library_code", "")
    try:
        version = services.protocol_copy_from_library(by=m, library_code=code)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return redirect("treatment:protocols")
    messages.success(request, f"{version.title} copied into the clinic.")
    return redirect("treatment:protocol", protocol_id=version.family_id)


def _protocol_from_form(data: dict[str, Any], base: Any) -> Any:
    dose = dataclasses.replace(
        base.dose,
        usual=data["dose__usual"],
        minimum=data["dose__minimum"],
        maximum=data["dose__maximum"],
        cap=data["dose__cap"],
    )
    thresholds = dataclasses.replace(
        base.thresholds,
        **{
            k.split("__", 1)[1]: v
            for k, v in data.items()
            if k.startswith("thresholds__") and v is not None
        },
    )
    return dataclasses.replace(
        base,
        code=data["code"],
        title=data["title"],
        dose=dose,
        thresholds=thresholds,
        min_observation_minutes=data["min_observation_minutes"],
    )


def _protocol_errors_to_form(form: forms.ProtocolForm, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        name = field.replace(".", "__")
        form.add_error(name if name in form.fields else None, errors)


def protocol_create(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    _require(m, Perm.PROTOCOL_MANAGE)
    start = request.GET.get("from") or next(iter(SHIPPED_PROTOCOLS))
    base = SHIPPED_PROTOCOLS.get(start) or next(iter(SHIPPED_PROTOCOLS.values()))
    form = forms.ProtocolForm(
        request.POST or None,
        initial={
            **forms.ProtocolForm.initial_from(base),
            "start_from": start,
            "code": f"{base.code}_local",
        },
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        protocol = _protocol_from_form(d, SHIPPED_PROTOCOLS[d["start_from"]])
        try:
            version = services.protocol_create(
                by=m, protocol=protocol, library_code=d["start_from"], change_note=d["change_note"]
            )
        except ValidationError as exc:
            _protocol_errors_to_form(form, exc)
        else:
            messages.success(request, f"Protocol {version.title} created.")
            return redirect("treatment:protocol", protocol_id=version.family_id)
    return render(request, "treatment/protocol_form.html", {"form": form, "title": "New protocol"})


def protocol_detail(request: ClinicRequest, protocol_id: int) -> HttpResponse:
    m = membership_of(request)
    family = selectors.get_protocol_for_user(membership=m, pk=protocol_id)
    versions = list(family.versions.order_by("-number"))
    latest = versions[0] if versions else None
    context = {
        "family": family,
        "versions": versions,
        "latest": latest,
        "protocol": latest.protocol if latest else None,
        "can_manage": m.can(Perm.PROTOCOL_MANAGE),
    }
    return render(request, "treatment/protocol_detail.html", context)


def protocol_version_new(request: ClinicRequest, protocol_id: int) -> HttpResponse:
    m = membership_of(request)
    family = selectors.get_protocol_for_user(membership=m, pk=protocol_id)
    _require(m, Perm.PROTOCOL_MANAGE)
    base = selectors.latest_version(family).protocol
    form = forms.ProtocolForm(
        request.POST or None,
        initial={**forms.ProtocolForm.initial_from(base), "start_from": family.library_code},
    )
    form.fields["start_from"].required = False
    form.fields["code"].disabled = True
    if request.method == "POST" and form.is_valid():
        protocol = _protocol_from_form({**form.cleaned_data, "code": family.code}, base)
        try:
            version = services.protocol_new_version(
                by=m, family=family, protocol=protocol, change_note=form.cleaned_data["change_note"]
            )
        except ValidationError as exc:
            _protocol_errors_to_form(form, exc)
        else:
            messages.success(request, f"Version {version.number} created.")
            return redirect("treatment:protocol", protocol_id=family.pk)
    title = f"New version of {family.title}"
    return render(request, "treatment/protocol_form.html", {"form": form, "title": title})


# --------------------------------------------------------------------------------------------
# Courses


def course_enrol(request: ClinicRequest, pk: UUID) -> HttpResponse:
    m = membership_of(request)
    patient = get_patient_for_user(membership=m, pk=pk, perm=Perm.PATIENT_VIEW)
    _require(m, Perm.TREATMENT_PLAN)
    versions = selectors.active_versions(membership=m)
    tz = m.clinic.tzinfo
    form = forms.EnrolForm(
        request.POST or None,
        versions=versions,
        initial={
            "start_date": timezone.now().astimezone(tz).date(),
            "session_time": dt.time(9, 0),
        },
    )
    preview = None
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if request.POST.get("action") == "enrol":
            course = _call(
                request,
                form,
                lambda: services.course_enrol(
                    by=m,
                    patient=patient,
                    version=d["version"],
                    decision_note=d["decision_note"],
                    start_date=d["start_date"],
                    session_time=d["session_time"],
                    chair=d["chair"],
                ),
            )
            if course is not None:
                messages.success(request, "Enrolled; the session calendar is below.")
                return redirect("treatment:course", course_id=course.pk)
        else:
            preview = run_service(
                form,
                lambda: services.plan_calendar(
                    by=m,
                    version=d["version"],
                    start_date=d["start_date"],
                    session_time=d["session_time"],
                ),
            )
    context = {"form": form, "patient": patient, "preview": preview, "versions": versions}
    return render(request, "treatment/enrol.html", context)


def course_detail(request: ClinicRequest, course_id: int) -> HttpResponse:
    m = membership_of(request)
    course = selectors.get_course_for_user(membership=m, pk=course_id)
    tz = m.clinic.tzinfo
    closed = selectors.closed_dates(clinic_id=m.clinic_id)
    sessions = selectors.sessions_for_course(course)
    protocol = course.protocol_version.protocol
    context = {
        "course": course,
        "rows": [
            {
                "session": s,
                "on_closed_day": s.phase == SessionPhase.SCHEDULED
                and s.scheduled_at.astimezone(tz).date() in closed,
            }
            for s in sessions
        ],
        "can_schedule": m.can(Perm.SCHEDULE_MANAGE),
        "protocol": protocol,
        "missed_guidance": services.missed_guidance_for(protocol),
        "has_missed": any(s.phase == SessionPhase.MISSED for s in sessions),
    }
    return render(request, "treatment/course.html", context)


# --------------------------------------------------------------------------------------------
# Clinic closures


def closures(request: ClinicRequest) -> HttpResponse:
    """The clinic's closed days: add one, cancel one, and the scheduled sessions that fall on a
    closed day (to be moved by hand, each with its own move form)."""
    m = membership_of(request)
    if not selectors.can_manage_closures(m):
        raise PermissionDenied
    form = forms.ClosureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        added = _call(
            request, form, lambda: services.closure_add(by=m, date=d["date"], reason=d["reason"])
        )
        if added is not None:
            messages.success(request, f"The clinic is closed on {added.date:%Y-%m-%d}.")
            return redirect("treatment:closures")
    today = timezone.now().astimezone(m.clinic.tzinfo).date()
    all_closures = selectors.closures_for_clinic(membership=m)
    upcoming = [c for c in all_closures if c.date >= today]
    to_move = selectors.sessions_on_closures(membership=m, closures=upcoming)
    context = {
        "form": form,
        "upcoming": [(c, to_move.get(c.pk, [])) for c in upcoming],
        "past": [c for c in all_closures if c.date < today],
        "to_move_count": sum(len(v) for v in to_move.values()),
        "can_read_courses": selectors.can_read_treatment(m),
    }
    return render(request, "treatment/closures.html", context)


@require_POST
def closure_cancel(request: ClinicRequest, closure_id: int) -> HttpResponse:
    m = membership_of(request)
    closure = selectors.get_closure_for_user(membership=m, pk=closure_id)
    form = forms.ClosureCancelForm(request.POST)
    if form.is_valid():
        done = _call(
            request,
            form,
            lambda: services.closure_cancel(
                by=m, closure=closure, reason=form.cleaned_data["reason"]
            ),
        )
        if done is not None:
            messages.success(request, f"The closure on {closure.date:%Y-%m-%d} is cancelled.")
    else:
        messages.error(request, "Say why the closure is cancelled.")
    return redirect("treatment:closures")


def _schedule_change(request: ClinicRequest, session_id: int, action: str) -> HttpResponse:
    m = membership_of(request)
    session = selectors.get_session_for_user(membership=m, pk=session_id, perm=Perm.SCHEDULE_MANAGE)
    form: forms.ReasonForm = (
        forms.MoveForm(request.POST) if action == "move" else forms.ReasonForm(request.POST)
    )
    if form.is_valid():
        d = form.cleaned_data
        if action == "move":
            done = _call(
                request,
                form,
                lambda: services.session_move(
                    by=m,
                    session=session,
                    new_date=d["new_date"],
                    new_time=d.get("new_time"),
                    reason=d["reason"],
                ),
            )
            if done is not None:
                messages.success(request, f"Session {session.number} moved.")
        elif action == "miss":
            guidance = _call(
                request,
                form,
                lambda: services.session_miss(by=m, session=session, reason=d["reason"]),
            )
            if guidance is not None:
                messages.warning(request, guidance)
        else:
            cancelled = _call(
                request,
                form,
                lambda: services.session_cancel(by=m, session=session, reason=d["reason"]),
            )
            if cancelled is not None:
                messages.success(request, f"Session {session.number} cancelled.")
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    if request.POST.get("return_to") == "closures":
        return redirect("treatment:closures")
    return redirect("treatment:course", course_id=session.course_id)


@require_POST
def session_move(request: ClinicRequest, session_id: int) -> HttpResponse:
    return _schedule_change(request, session_id, "move")


@require_POST
def session_miss(request: ClinicRequest, session_id: int) -> HttpResponse:
    return _schedule_change(request, session_id, "miss")


@require_POST
def session_cancel(request: ClinicRequest, session_id: int) -> HttpResponse:
    return _schedule_change(request, session_id, "cancel")


# --------------------------------------------------------------------------------------------
# The chair board


def board(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    rows = selectors.board(membership=m)
    context = {
        "rows": rows,
        "now": timezone.now(),
        "can_manage_closures": selectors.can_manage_closures(m),
    }
    return render(request, "treatment/board.html", context)


def board_rows(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    rows = selectors.board(membership=m)
    return render(
        request, "treatment/partials/board_rows.html", {"rows": rows, "now": timezone.now()}
    )


# --------------------------------------------------------------------------------------------
# The session at the chair


def _forms_for(
    m: Membership, session: TreatmentSession, data: Any = None, which: str = ""
) -> dict[str, Any]:
    tz = m.clinic.tzinfo
    protocol = session.protocol_version.protocol
    esk = protocol.drug is Drug.ESKETAMINE

    def bound(name: str) -> Any:
        return data if which == name else None

    dose_initial: dict[str, Any] = {}
    if esk:
        prior = services._prior_doses(session)
        first = protocol.dose.first_dose_mg if not prior else protocol.dose.usual
        dose_initial["dose_mg"] = str(int(first or protocol.dose.usual))
    else:
        dose_initial["amount"] = protocol.dose.usual
    result: dict[str, Any] = {
        "check_in_form": forms.CheckInForm(bound("check_in"), initial={"chair": session.chair}),
        "checklist_form": forms.ChecklistForm(
            bound("checklist"),
            initial={"moaa_s": 5, "pregnancy_status": "not_applicable"},
        ),
        "dose_form": forms.DoseForm(
            bound("dose"),
            tz=tz,
            esketamine=esk,
            initial=dose_initial,
        ),
        "observation_form": forms.ObservationForm(bound("observation"), tz=tz),
        "ae_form": forms.AdverseEventForm(bound("ae")),
        "discharge_form": forms.DischargeForm(
            bound("discharge"),
            criteria=[(c.code, c.text) for c in protocol.discharge_criteria],
            esketamine=esk,
            initial={"hcp_email": m.user.email},
        ),
        "sign_form": forms.SignForm(bound("sign")),
        "amend_form": forms.AmendForm(bound("amend")),
    }
    return result


def _session_context(
    request: ClinicRequest, m: Membership, session: TreatmentSession, **overrides: Any
) -> dict[str, Any]:
    now = timezone.now()
    protocol = session.protocol_version.protocol
    observations = list(session.observations.select_related("recorded_by"))
    items = selectors.session_timeline(session, now, observations)
    dose = (
        DoseAdministration.objects.filter(session=session)
        .select_related("session", "given_by", "witnessed_by", "witness_signature")
        .first()
    )
    pmf = RemsMonitoringForm.objects.filter(session=session).first()
    missing: list[str] = []
    pmf_problems: list[str] = []
    if pmf is not None:
        pure = pmf_from_dict(pmf.data)
        missing = rems.missing_required_fields(pure)
        pmf_problems = rems.pmf_problems(pure)
    weight = latest_weight(patient=session.patient)
    preview = None
    preview_error = ""
    if dose is None and session.phase in (SessionPhase.PRE_DOSE, SessionPhase.CHECKED_IN):
        try:
            preview = services.dose_preview(session=session)
        except ValidationError as exc:
            preview_error = "; ".join(exc.messages)
    readiness = None
    if session.dose_started_at is not None and session.discharged_at is None:
        readiness = services.discharge_check(session, [c.code for c in protocol.discharge_criteria])
    signature = session.signature
    context: dict[str, Any] = {
        "session": session,
        "patient": session.patient,
        "protocol": protocol,
        "version": session.protocol_version,
        "is_esketamine": protocol.drug is Drug.ESKETAMINE,
        "is_infusion": protocol.route is Route.IV_INFUSION,
        "phase": selectors.derived_phase(session, now),
        "phase_label": dict(SessionPhase.choices).get(selectors.derived_phase(session, now)),
        "checklist": getattr(session, "checklist", None),
        "blockers": selectors.dosing_blockers(session),
        "pre_session_scales": selectors.pre_session_scales(session),
        "pending": selectors.pending_decisions(session),
        "decisions": list(session.decisions.select_related("decided_by")),
        "dose": dose,
        "preview": preview,
        "preview_error": preview_error,
        "items": items,
        "observations": observations,
        "adverse_events": list(AdverseEvent.objects.filter(session=session)),
        "readiness": readiness,
        "pmf": pmf,
        "pmf_missing": missing,
        "pmf_problems": pmf_problems,
        "pmf_fill_form": forms.PmfFillForm(missing=missing) if missing else None,
        "signing_problems": services.signing_problems(session)
        if session.discharged_at and not session.is_locked
        else [],
        "signature": signature,
        "witness_signature_valid": signature_matches(dose.witness_signature, dose_content(dose))
        if dose is not None and dose.witness_signature is not None
        else None,
        "missed_guidance": services.missed_guidance_for(protocol)
        if session.phase == SessionPhase.MISSED
        else "",
        "signature_valid": signature_matches(signature, session_content(session))
        if signature
        else None,
        "amendments": list(Amendment.objects.filter(session=session).select_related("author")),
        "amendable": AMENDABLE_FIELDS,
        "weight": weight,
        "open_alerts": open_alerts_for_patient(membership=m, patient=session.patient),
        "can_acknowledge": m.can(Perm.ALERT_ACKNOWLEDGE),
        "can_administer": m.can(Perm.TREATMENT_ADMINISTER),
        "can_plan": m.can(Perm.TREATMENT_PLAN),
        "can_schedule": m.can(Perm.SCHEDULE_MANAGE),
        "now": now,
        "meaning_labels": dict(SignatureMeaning.choices),
        "printed_name": m.user.display_name,
    }
    context.update(_forms_for(m, session))
    context.update(overrides)
    return context


def session_detail(request: ClinicRequest, session_id: int) -> HttpResponse:
    m = membership_of(request)
    session = selectors.get_session_for_user(membership=m, pk=session_id)
    return render(request, "treatment/session.html", _session_context(request, m, session))


def _session_action(
    request: ClinicRequest,
    session_id: int,
    *,
    perm: Perm,
    which: str,
    act: Callable[[Membership, TreatmentSession, dict[str, Any]], Any],
    success: str,
) -> HttpResponse:
    """POST a form of the session page: on success redirect back, else re-render with errors."""
    m = membership_of(request)
    session = selectors.get_session_for_user(membership=m, pk=session_id, perm=perm)
    bound = _forms_for(m, session, request.POST, which)
    form = next(f for f in bound.values() if f.is_bound)
    if form.is_valid():
        result = _call(request, form, lambda: act(m, session, form.cleaned_data))
        if result is not None:
            if isinstance(result, str):
                messages.warning(request, result)
            elif success:
                messages.success(request, success)
            return redirect("treatment:session", session_id=session.pk)
    session.refresh_from_db()
    context = _session_context(
        request, m, session, **{k: v for k, v in bound.items() if v.is_bound}
    )
    return render(request, "treatment/session.html", context, status=200)


@require_POST
def session_check_in(request: ClinicRequest, session_id: int) -> HttpResponse:
    return _session_action(
        request,
        session_id,
        perm=Perm.SCHEDULE_MANAGE,
        which="check_in",
        act=lambda m, s, d: services.session_check_in(by=m, session=s, chair=d["chair"]),
        success="Checked in.",
    )


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


@require_POST
def checklist(request: ClinicRequest, session_id: int) -> HttpResponse:
    def act(m: Membership, s: TreatmentSession, d: dict[str, Any]) -> Any:
        blockers = services.checklist_record(
            by=m,
            session=s,
            fasting_confirmed=d["fasting_confirmed"],
            ride_home_confirmed=d["ride_home_confirmed"],
            nasal_medication_timing_ok=_yes_no(d["nasal_medication_timing_ok"]),
            pregnancy_status=d["pregnancy_status"],
            scales_reviewed=d["scales_reviewed"],
            systolic_mmhg=d["systolic_mmhg"],
            diastolic_mmhg=d["diastolic_mmhg"],
            heart_rate=d["heart_rate"],
            spo2=d["spo2"],
            moaa_s=d["moaa_s"],
            notes=d["notes"],
        )
        return "Checklist recorded. Dosing waits for: " + " ".join(blockers) if blockers else True

    return _session_action(
        request,
        session_id,
        perm=Perm.TREATMENT_ADMINISTER,
        which="checklist",
        act=act,
        success="Checklist recorded: ready to dose.",
    )


@require_POST
def decision(request: ClinicRequest, session_id: int) -> HttpResponse:
    m = membership_of(request)
    session = selectors.get_session_for_user(membership=m, pk=session_id, perm=Perm.TREATMENT_PLAN)
    form = forms.DecisionForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        done = _call(
            request,
            form,
            lambda: services.prescriber_decision_record(
                by=m,
                session=session,
                kind=d["kind"],
                outcome=d["outcome"],
                reason=d["reason"],
                subject=d["subject"],
            ),
        )
        if done is not None:
            messages.success(request, "Decision recorded.")
    else:
        messages.error(request, "Write the reason for the decision.")
    return redirect("treatment:session", session_id=session.pk)


@require_POST
def dose(request: ClinicRequest, session_id: int) -> HttpResponse:
    def act(m: Membership, s: TreatmentSession, d: dict[str, Any]) -> Any:
        witness = None
        if d.get("witness_username"):
            witness = services.WitnessSignOff(
                username=d["witness_username"],
                password=d.get("witness_password") or "",
                token=d.get("witness_token") or "",
            )
        times = [d[f"device_{i}_at"] for i in (1, 2, 3) if d.get(f"device_{i}_at")]
        if not d.get("product") or not d.get("lot_number") or not d.get("expiry_date"):
            raise ValidationError(
                {
                    k: "Required (typed in until the stock ledger exists)."
                    for k in ("product", "lot_number", "expiry_date")
                    if not d.get(k)
                }
            )
        return services.dose_record(
            by=m,
            session=s,
            dose_mg=d.get("dose_mg"),
            amount=d.get("amount"),
            concentration_mg_per_ml=d.get("concentration_mg_per_ml"),
            product=d["product"],
            lot_number=d["lot_number"],
            expiry_date=d["expiry_date"],
            started_at=d.get("started_at"),
            device_times=times or None,
            witness=witness,
            override_reason=d.get("override_reason") or "",
        )

    if request.POST.get("action") == "preview":
        return _dose_preview(request, session_id)
    return _session_action(
        request,
        session_id,
        perm=Perm.TREATMENT_ADMINISTER,
        which="dose",
        act=act,
        success="Dose recorded; the monitoring clock has started.",
    )


def _dose_preview(request: ClinicRequest, session_id: int) -> HttpResponse:
    m = membership_of(request)
    session = selectors.get_session_for_user(
        membership=m, pk=session_id, perm=Perm.TREATMENT_ADMINISTER
    )
    bound = _forms_for(m, session, request.POST, "dose")
    form = bound["dose_form"]
    preview = None
    if form.is_valid():
        d = form.cleaned_data
        preview = run_service(
            form,
            lambda: services.dose_preview(
                session=session,
                dose_mg=d.get("dose_mg"),
                amount=d.get("amount"),
                concentration_mg_per_ml=d.get("concentration_mg_per_ml"),
            ),
        )
    context = _session_context(request, m, session, dose_form=form)
    if preview is not None:
        context["preview"] = preview
    return render(request, "treatment/session.html", context)


@require_POST
def observation(request: ClinicRequest, session_id: int) -> HttpResponse:
    """Record one reading. The chair's busiest write, so it builds only its own form; an htmx
    request gets the readings table back, a plain one a redirect (or the page with errors)."""
    m = membership_of(request)
    form = forms.ObservationForm(request.POST, tz=m.clinic.tzinfo)
    if form.is_valid():
        d = form.cleaned_data
        # The service reads the session once, under its row lock, and checks access as
        # get_session_for_user does (404 outside the clinic, 403 without the permission).
        result = _call(
            request,
            form,
            lambda: services.observation_record_by_id(
                by=m,
                session_id=session_id,
                code=d["code"],
                value=d.get("value"),
                systolic_mmhg=d.get("systolic_mmhg"),
                diastolic_mmhg=d.get("diastolic_mmhg"),
                text=d.get("text") or "",
                measured_at=d.get("measured_at"),
            ),
        )
        if result is not None:
            obs, alerts = result
            obs.recorded_by = m.user  # who recorded it: the signed-in user, already loaded
            if request.htmx:
                return render(
                    request,
                    "treatment/partials/reading.html",
                    {"o": obs, "alerts": alerts},
                    status=201,
                )
            if alerts:
                messages.warning(request, "Alert: " + " ".join(a.message for a in alerts))
            else:
                messages.success(request, "Observation recorded.")
            return redirect("treatment:session", session_id=session_id)
    session = selectors.get_session_for_user(
        membership=m, pk=session_id, perm=Perm.TREATMENT_ADMINISTER
    )
    context = _session_context(request, m, session, observation_form=form)
    return render(request, "treatment/session.html", context)


@require_POST
def adverse_event(request: ClinicRequest, session_id: int) -> HttpResponse:
    return _session_action(
        request,
        session_id,
        perm=Perm.TREATMENT_ADMINISTER,
        which="ae",
        act=lambda m, s, d: services.adverse_event_record(by=m, session=s, **d),
        success="Adverse event recorded.",
    )


@require_POST
def discharge(request: ClinicRequest, session_id: int) -> HttpResponse:
    return _session_action(
        request,
        session_id,
        perm=Perm.TREATMENT_ADMINISTER,
        which="discharge",
        act=lambda m, s, d: services.session_discharge(
            by=m,
            session=s,
            criteria_met=d["criteria"],
            escort=d["escort"],
            note=d["note"],
            minutes_until_ready_without_rule=d.get("minutes_until_ready_without_rule"),
            hcp_phone=d.get("hcp_phone") or "",
            hcp_email=d.get("hcp_email") or "",
        ),
        success="Discharged.",
    )


@require_POST
def rems_fill(request: ClinicRequest, session_id: int) -> HttpResponse:
    m = membership_of(request)
    session = selectors.get_session_for_user(
        membership=m, pk=session_id, perm=Perm.TREATMENT_ADMINISTER
    )
    pmf = RemsMonitoringForm.objects.filter(session=session).first()
    if pmf is None:
        messages.error(request, "This session has no REMS form.")
        return redirect("treatment:session", session_id=session.pk)
    missing = rems.missing_required_fields(pmf_from_dict(pmf.data))
    form = forms.PmfFillForm(request.POST, missing=missing)
    if form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if v not in ("", None)}
        if _call(request, form, lambda: services.rems_form_update(by=m, form=pmf, values=values)):
            messages.success(request, "REMS form updated.")
    else:
        for name, errors in form.errors.items():
            messages.error(request, f"{name}: {' '.join(str(e) for e in errors)}")
    return redirect("treatment:session", session_id=session.pk)


@require_POST
def sign(request: ClinicRequest, session_id: int) -> HttpResponse:
    return _session_action(
        request,
        session_id,
        perm=Perm.TREATMENT_PLAN,
        which="sign",
        act=lambda m, s, d: services.session_sign(
            by=m,
            session=s,
            password=d["password"],
            token=d["token"],
            meaning=SignatureMeaning(d["meaning"]),
        ),
        success="Signed. The session is locked.",
    )


@require_POST
def amend(request: ClinicRequest, session_id: int) -> HttpResponse:
    return _session_action(
        request,
        session_id,
        perm=Perm.TREATMENT_ADMINISTER,
        which="amend",
        act=lambda m, s, d: services.session_amend(
            by=m, session=s, field=d["field"], new_value=d["new_value"], reason=d["reason"]
        ),
        success="Amendment recorded; the signed original is kept.",
    )


# --------------------------------------------------------------------------------------------
# REMS


def rems_dashboard(request: ClinicRequest) -> HttpResponse:
    m = membership_of(request)
    today = timezone.now().astimezone(m.clinic.tzinfo).date()
    rows: list[dict[str, Any]] = []
    for form in selectors.rems_forms_due(membership=m):
        deadline = rems.pmf_deadline(
            services.pmf_treatment_date(form), today=today, submitted=form.submitted_at is not None
        )
        rows.append({"form": form, "deadline": deadline})
    rows.sort(key=lambda r: (r["deadline"].status == "submitted", r["deadline"].due_date))
    return render(request, "treatment/rems_dashboard.html", {"rows": rows, "today": today})


def rems_form(request: ClinicRequest, form_id: int) -> HttpResponse:
    m = membership_of(request)
    form = selectors.get_rems_form_for_user(membership=m, pk=form_id)
    data = amended_pmf_data(form)
    missing = rems.missing_required_fields(pmf_from_dict(data))
    context = {
        "pmf": form,
        "data": data,
        "rows": [(k.replace("_", " ").capitalize(), v) for k, v in data.items()],
        "missing": missing,
        "submitted_form": forms.SubmittedForm(),
        "session": form.session,
    }
    return render(request, "treatment/rems_form.html", context)


def rems_form_json(request: ClinicRequest, form_id: int) -> JsonResponse:
    m = membership_of(request)
    form = selectors.get_rems_form_for_user(membership=m, pk=form_id)
    data = amended_pmf_data(form)
    return JsonResponse(
        {
            "layout": form.layout,
            "session_id": form.session_id,
            "due_date": form.due_date.isoformat(),
            "submitted_at": form.submitted_at.isoformat() if form.submitted_at else None,
            "confirmation_number": form.confirmation_number or None,
            "missing_required_fields": rems.missing_required_fields(pmf_from_dict(data)),
            "fields": data,
        }
    )


@require_POST
def rems_submitted(request: ClinicRequest, form_id: int) -> HttpResponse:
    m = membership_of(request)
    pmf = selectors.get_rems_form_for_user(membership=m, pk=form_id)
    form = forms.SubmittedForm(request.POST)
    if form.is_valid():
        done = _call(
            request,
            form,
            lambda: services.rems_form_mark_submitted(
                by=m, form=pmf, confirmation_number=form.cleaned_data["confirmation_number"]
            ),
        )
        if done is not None:
            messages.success(request, "Marked as submitted.")
    else:
        messages.error(request, "Enter the confirmation number.")
    return redirect("treatment:rems_form", form_id=pmf.pk)


def exposure_link(version_id: int, weight_kg: Any) -> str:
    return f"/exposure/version/{version_id}/" + (f"?weight={weight_kg}" if weight_kg else "")


__all__ = ["Frequency", "Observation", "exposure_link"]
