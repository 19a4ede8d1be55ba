"""Discharge, the prescriber's signature, amendments of a signed session, and the REMS Patient
Monitoring Form (filled before signing, marked submitted after). What the signature is
bound to is built by ``treatment.domain.record`` from facts ``treatment.selectors.signing``
gathers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.accounts.services import REAUTH_REFUSED, reauthenticate
from ketaclinic.audit.models import EventType, SignatureMeaning
from ketaclinic.audit.services import audit_record
from ketaclinic.audit.signatures import signature_record
from ketaclinic.treatment.domain import rems
from ketaclinic.treatment.domain.amendment import AmendmentError, parse_amendment
from ketaclinic.treatment.domain.pmf import pmf_from_dict, pmf_to_dict
from ketaclinic.treatment.domain.record import AMENDABLE_FIELDS
from ketaclinic.treatment.models import (
    Amendment,
    RemsMonitoringForm,
    SessionPhase,
    TreatmentSession,
)
from ketaclinic.treatment.selectors.signing import (
    amended_pmf_data,
    build_pmf,
    current_value,
    discharge_check,
    pmf_missing,
    session_content,
    signing_problems,
)
from ketaclinic.treatment.services._common import (
    _lock_session,
    _need,
    _now_or,
    _own,
    _session_audit,
    _set_phase,
)


@transaction.atomic
def session_discharge(
    *,
    by: Membership,
    session: TreatmentSession,
    criteria_met: list[str],
    escort: str,
    note: str = "",
    minutes_until_ready_without_rule: int | None = None,
    hcp_phone: str = "",
    hcp_email: str = "",
) -> TreatmentSession:
    """Discharge after the protocol's criteria and observation time (esketamine: 120 minutes
    from the first device, never shortened [DailyMed; REMS]). An esketamine session gets its
    REMS Patient Monitoring Form data here."""
    _need(by, Perm.TREATMENT_ADMINISTER)
    s = _lock_session(by, session)
    if s.dose_started_at is None:
        raise ValidationError("Dosing has not started.")
    if s.discharged_at is not None:
        raise ValidationError("The patient is already discharged.")
    if not escort.strip():
        raise ValidationError({"escort": "Record who takes the patient home (no driving today)."})
    now = timezone.now()
    readiness = discharge_check(s, criteria_met, now)
    if not readiness.ready:
        raise ValidationError(["Not ready for discharge:", *readiness.reasons])
    s.discharge_criteria_met = sorted(set(criteria_met))
    s.escort = escort.strip()
    s.discharge_note = note.strip()
    s.discharged_at = now
    s.save(update_fields=["discharge_criteria_met", "escort", "discharge_note", "discharged_at"])
    _set_phase(by, s, SessionPhase.DONE)
    audit_record(
        event_type=EventType.SESSION_DISCHARGED,
        actor=by,
        obj=s,
        patient_id=s.patient_id,
        extra={"criteria_met": s.discharge_criteria_met, "escort": s.escort},
    )
    if s.protocol_version.protocol.rems_required:
        filled = build_pmf(
            s,
            hcp=by.user,
            hcp_phone=hcp_phone,
            hcp_email=hcp_email,
            minutes_until_ready_without_rule=minutes_until_ready_without_rule,
        )
        day = filled.form.treatment_date or now.astimezone(s.clinic.tzinfo).date()
        RemsMonitoringForm.objects.create(
            session=s,
            clinic_id=s.clinic_id,
            # The layout in force on the treatment day; the form keeps it (versioned data).
            layout=rems.layout_for(day).name,
            data=pmf_to_dict(filled.form),
            sources=filled.sources,
            due_date=rems.pmf_due_date(day),
            created_at=now,
        )
    return s


@transaction.atomic
def rems_form_update(
    *, by: Membership, form: RemsMonitoringForm, values: Mapping[str, Any]
) -> RemsMonitoringForm:
    """Fill fields of a PMF before the session is signed (after signing: an amendment)."""
    _need(by, Perm.TREATMENT_ADMINISTER)
    s = _lock_session(by, form.session)
    locked = RemsMonitoringForm.objects.select_for_update().get(pk=form.pk, session=s)
    data = dict(locked.data)
    merged = {**data, **{k: v for k, v in values.items()}}
    try:
        pmf = pmf_from_dict(merged)
    except (TypeError, ValueError) as exc:
        raise ValidationError(str(exc)) from None
    new = pmf_to_dict(pmf)
    changes = {k: (data.get(k), new[k]) for k in new if data.get(k) != new[k]}
    locked.data = new
    # A value a person entered or changed is no longer the system's: its source goes.
    locked.sources = {k: v for k, v in (locked.sources or {}).items() if k not in changes}
    locked.save(update_fields=["data", "sources"])
    audit_record(
        event_type=EventType.SESSION_UPDATED,
        actor=by,
        obj=locked,
        patient_id=s.patient_id,
        changes=changes,
        extra={"session_id": s.pk, "what": "rems_form"},
    )
    return locked


def session_sign(
    *,
    by: Membership,
    session: TreatmentSession,
    password: str,
    token: str,
    meaning: SignatureMeaning = SignatureMeaning.RESPONSIBILITY,
) -> TreatmentSession:
    """The prescriber signs: password and TOTP code again (21 CFR 11.200), then a signature bound
    to the hash of the session's canonical content. Signing locks the session."""
    _need(by, Perm.TREATMENT_PLAN)
    _own(by, session.clinic_id)
    if meaning not in (SignatureMeaning.APPROVAL, SignatureMeaning.RESPONSIBILITY):
        raise ValidationError({"meaning": "Choose approval or responsibility."})
    # The step-up code is spent only when the rest is in order (issue 14, finding 4): the
    # problems are read first, and again under the lock below.
    # A fresh read: the caller's instance may predate the discharge it just recorded.
    early = signing_problems(TreatmentSession.objects.get(pk=session.pk))
    if early:
        raise ValidationError(["The session cannot be signed yet:", *early])
    # Outside the transaction below: a failed attempt's audit event must stay.
    if not reauthenticate(membership=by, password=password, token=token):
        raise ValidationError({"password": f"{REAUTH_REFUSED} The signature was not applied."})
    with transaction.atomic():
        s = _lock_session(by, session)
        problems = signing_problems(s)
        if problems:
            raise ValidationError(["The session cannot be signed yet:", *problems])
        signature = signature_record(
            by=by,
            printed_name=by.user.display_name,
            obj=s,
            content=session_content(s),
            meaning=meaning,
        )
        s.signature = signature
        s.signed_at = signature.signed_at
        s.save(update_fields=["signature", "signed_at"])
        _session_audit(
            by,
            s,
            EventType.SESSION_SIGNED,
            extra={"signature_id": signature.pk, "content_hash": signature.content_hash},
        )
    return s


@transaction.atomic
def session_amend(
    *, by: Membership, session: TreatmentSession, field: str, new_value: str, reason: str
) -> Amendment:
    """A change to a signed session: an Amendment row (field, old, new, reason, author); the
    signed original is kept. The signature then no longer matches the record's content, which
    the session page shows."""
    _need(by, Perm.TREATMENT_ADMINISTER, Perm.TREATMENT_PLAN)
    _own(by, session.clinic_id)
    s = TreatmentSession.objects.select_for_update().select_related("patient").get(pk=session.pk)
    if s.signed_at is None:
        raise ValidationError("The session is not signed yet: amendments are for signed records.")
    errors: dict[str, str] = {}
    value: Any = None
    if field not in AMENDABLE_FIELDS:
        errors["field"] = "Choose a field of the signed record from the list."
    else:
        # Typed as at entry (domain/amendment.py): a refused value changes nothing.
        try:
            value = parse_amendment(
                field,
                new_value,
                today=timezone.now().astimezone(by.clinic.tzinfo).date(),
                birth_date=s.patient.date_of_birth,
            )
        except AmendmentError as exc:
            errors["new_value"] = str(exc)
    if not reason.strip():
        errors["reason"] = "Say why the signed record is being changed."
    if errors:
        raise ValidationError(errors)
    old = current_value(s, field)
    if old == value or (old is not None and str(old) == str(value)):
        raise ValidationError({"new_value": "That is the current value."})
    amendment = Amendment.objects.create(
        session=s,
        field=field,
        old_value=old,
        new_value=value,
        reason=reason.strip(),
        author_id=by.user_id,
        created_at=timezone.now(),
    )
    _session_audit(
        by,
        s,
        EventType.SESSION_AMENDED,
        reason=amendment.reason,
        changes={field: (old, value)},
        extra={"amendment_id": amendment.pk},
    )
    return amendment


@transaction.atomic
def rems_form_mark_submitted(
    *,
    by: Membership,
    form: RemsMonitoringForm,
    confirmation_number: str,
    submitted_at: dt.datetime | None = None,
) -> RemsMonitoringForm:
    """The PMF was filed (online or fax) [REMS]: keep the confirmation number."""
    _need(by, Perm.TREATMENT_ADMINISTER, Perm.TREATMENT_PLAN)
    _own(by, form.clinic_id)
    locked = (
        RemsMonitoringForm.objects.select_for_update().select_related("session").get(pk=form.pk)
    )
    missing = pmf_missing(locked, amended_pmf_data(locked))
    if missing:
        raise ValidationError(
            "The form cannot be marked submitted while a required field is empty: "
            + ", ".join(rems.FIELD_LABELS.get(m, m) for m in missing)
            + "."
        )
    if locked.session.signed_at is None:
        raise ValidationError("Sign the session first: the form is filed from the signed record.")
    if locked.submitted_at is not None:
        raise ValidationError(
            f"Already marked submitted (confirmation {locked.confirmation_number})."
        )
    if not confirmation_number.strip():
        raise ValidationError({"confirmation_number": "Enter the confirmation number."})
    locked.submitted_at = _now_or(submitted_at, "submitted_at")
    locked.submitted_by_id = by.user_id
    locked.confirmation_number = confirmation_number.strip()
    locked.save(update_fields=["submitted_at", "submitted_by", "confirmation_number"])
    audit_record(
        event_type=EventType.REMS_FORM_SUBMITTED,
        actor=by,
        obj=locked,
        patient_id=locked.session.patient_id,
        extra={"session_id": locked.session_id, "confirmation_number": locked.confirmation_number},
    )
    return locked


__all__ = [
    "rems_form_mark_submitted",
    "rems_form_update",
    "session_amend",
    "session_discharge",
    "session_sign",
]
