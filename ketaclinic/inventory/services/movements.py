"""Stock leaving or moving: administration at the chair, waste, destruction (DEA Form 41),
transfer between locations, loss or theft (with its reporting deadlines), and reversals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm, roles_with
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.inventory.domain.deadlines import is_expired, loss_deadlines
from ketaclinic.inventory.domain.quantities import EntryKind, Unit, fmt, q
from ketaclinic.inventory.models import Container, LedgerEntry, Location, LossKind, LossReport
from ketaclinic.inventory.services._common import (
    append_entry,
    container_balance,
    lock_head,
    occurred,
    require,
    same_clinic,
    text,
)
from ketaclinic.inventory.services.witness import (
    WitnessSignOff,
    with_witness_refusal,
    witness_confirm,
)
from ketaclinic.treatment.models import DoseAdministration, TreatmentSession


def _mark_opened(container: Container, when: dt.datetime) -> None:
    if container.opened_at is None and container.product.unit == Unit.MG:
        container.opened_at = when
        container.save(update_fields=["opened_at"])


def _positive(value: Decimal, field: str) -> Decimal:
    value = q(value)
    if value <= 0:
        raise ValidationError({field: "Enter an amount above zero."})
    return value


# --------------------------------------------------------------------------------------------------
# Administration


def administration_record(
    *,
    by: Membership,
    session: TreatmentSession,
    container: Container,
    drawn: Decimal,
    administered: Decimal,
    wasted: Decimal = Decimal(0),
    witness: WitnessSignOff | None = None,
    occurred_at: dt.datetime | None = None,
    dose: DoseAdministration | None = None,
) -> LedgerEntry:
    """A dose drawn from a container for a session: drawn = administered + wasted (the residue in
    the syringe). Any waste needs a witness who re-authenticates. In mg for a vial, in devices for
    esketamine. The container must be of the protocol's drug, in date and of the session's clinic;
    the remainder of a vial stays in stock as an open container or is wasted (``waste_record``).

    ``dose``: the session's DoseAdministration when it was just recorded in the same request. The
    administered amount must then match it (its mg, or its device count), and its witness, who
    signed the dose with a fresh password and code, witnesses the waste too: a TOTP code is
    accepted once, so the chair cannot ask the same person to re-authenticate twice."""
    done: LedgerEntry = with_witness_refusal(
        by,
        "stock_administration",
        lambda: _administration_record(
            by=by,
            session=session,
            container=container,
            drawn=drawn,
            administered=administered,
            wasted=wasted,
            witness=witness,
            occurred_at=occurred_at,
            dose=dose,
        ),
    )
    return done


def _dose_witness(
    by: Membership, session: TreatmentSession, dose: DoseAdministration
) -> Membership:
    """The dose's witness as the waste's witness: only for this session's signed dose, and only a
    stock handler of the clinic other than the person recording."""
    if (
        dose.session_id != session.pk
        or dose.witness_signature_id is None
        or dose.witnessed_by_id is None
    ):
        raise ValidationError({"wasted": "This dose has no witness signature for this session."})
    witness = (
        Membership.objects.select_related("user")
        .filter(
            clinic_id=by.clinic_id,
            user_id=dose.witnessed_by_id,
            is_active=True,
            role__in=roles_with(Perm.STOCK_HANDLE),
        )
        .first()
    )
    if witness is None or witness.user_id == by.user_id:
        raise ValidationError(
            {"wasted": "The dose's witness cannot witness stock waste: a stock handler must."}
        )
    return witness


def _check_matches_dose(
    container: Container, dose: DoseAdministration, administered: Decimal
) -> None:
    if container.product.unit == Unit.DEVICE:
        expected = q(dose.device_count or 0)
        unit = "device(s)"
    else:
        expected = q(dose.dose_mg)
        unit = "mg"
    if administered != expected:
        raise ValidationError(
            {"administered": f"The dose record says {expected.normalize():f} {unit} given."}
        )


def _check_not_drawn(by: Membership, session: TreatmentSession) -> None:
    """One draw per dose: a second (two nurses at once, a form sent twice) is refused while the
    first stands. The clinic's head is locked first, so the second waits for the first."""
    lock_head(by.clinic_id)
    earlier = LedgerEntry.objects.filter(
        session_id=session.pk, kind=str(EntryKind.ADMINISTRATION), reversed_by__isnull=True
    ).first()
    if earlier is not None:
        raise ValidationError(
            f"This dose is already drawn from stock (ledger entry {earlier.sequence}). To "
            "correct it, the inventory manager reverses that entry first."
        )


@transaction.atomic
def _administration_record(
    *,
    by: Membership,
    session: TreatmentSession,
    container: Container,
    drawn: Decimal,
    administered: Decimal,
    wasted: Decimal,
    witness: WitnessSignOff | None,
    occurred_at: dt.datetime | None,
    dose: DoseAdministration | None = None,
) -> LedgerEntry:
    require(by, Perm.STOCK_HANDLE)
    require(by, Perm.TREATMENT_ADMINISTER)
    same_clinic(by, session, container)
    drawn = _positive(drawn, "drawn")
    administered, wasted = q(administered), q(wasted)
    if administered < 0 or wasted < 0:
        raise ValidationError({"wasted": "Amounts cannot be negative."})
    if administered + wasted != drawn:
        raise ValidationError(
            {"wasted": f"Administered and wasted must add up to the {fmt(drawn)} drawn."}
        )
    drug = session.protocol_version.protocol.drug
    if container.product.drug != str(drug):
        raise ValidationError(
            {"container": "This container holds another drug than the protocol's."}
        )
    when = occurred(occurred_at, not_before=container.receipt.recorded_at)
    if is_expired(container.expiry_date, timezone.localdate(when, by.clinic.tzinfo)):
        raise ValidationError(
            {"container": "This container has expired: waste it, do not give it."}
        )
    if dose is not None:
        _check_matches_dose(container, dose, administered)
        _check_not_drawn(by, session)
    witnessed: Membership | None = None
    if dose is not None and witness is None and wasted > 0:
        witnessed = _dose_witness(by, session, dose)
    elif wasted > 0 or witness:
        witnessed = witness_confirm(by=by, sign_off=witness)
    entry = append_entry(
        by=by,
        container=container,
        kind=EntryKind.ADMINISTRATION,
        change=-drawn,
        occurred_at=when,
        field="drawn",
        administered=administered,
        wasted=wasted,
        witness_id=witnessed.user_id if witnessed else None,
        patient_id=session.patient_id,
        session=session,
        note=f"Dose record {dose.pk}" if dose is not None else "",
    )
    _mark_opened(container, when)
    return entry


# --------------------------------------------------------------------------------------------------
# Waste and destruction


def waste_record(
    *,
    by: Membership,
    container: Container,
    amount: Decimal,
    reason: str,
    witness: WitnessSignOff | None,
    occurred_at: dt.datetime | None = None,
) -> LedgerEntry:
    """Wastage (the residue of an opened vial after the day's doses): stays a 1304.22(c) record,
    no Form 41; witnessed by a second person who authenticates again (two-person waste)."""
    done: LedgerEntry = with_witness_refusal(
        by,
        "stock_waste",
        lambda: _waste_record(
            by=by,
            container=container,
            amount=amount,
            reason=reason,
            witness=witness,
            occurred_at=occurred_at,
        ),
    )
    return done


@transaction.atomic
def _waste_record(
    *,
    by: Membership,
    container: Container,
    amount: Decimal,
    reason: str,
    witness: WitnessSignOff | None,
    occurred_at: dt.datetime | None,
) -> LedgerEntry:
    require(by, Perm.STOCK_HANDLE)
    same_clinic(by, container)
    amount = _positive(amount, "amount")
    note = text(reason, "reason", limit=500)
    when = occurred(occurred_at, not_before=container.receipt.recorded_at)
    witnessed = witness_confirm(by=by, sign_off=witness)
    entry = append_entry(
        by=by,
        container=container,
        kind=EntryKind.WASTE,
        change=-amount,
        occurred_at=when,
        field="amount",
        witness_id=witnessed.user_id,
        note=note,
    )
    _mark_opened(container, when)
    return entry


def destruction_record(
    *,
    by: Membership,
    container: Container,
    amount: Decimal,
    method: str,
    place: str,
    destroyed_on: dt.date,
    witness: WitnessSignOff | None,
    second_witness: WitnessSignOff | None,
) -> LedgerEntry:
    """Destruction of stock (expired, recalled, damaged): the DEA Form 41 data, two authorised
    witnesses attesting non-retrievable destruction, each authenticating again."""
    done: LedgerEntry = with_witness_refusal(
        by,
        "stock_destruction",
        lambda: _destruction_record(
            by=by,
            container=container,
            amount=amount,
            method=method,
            place=place,
            destroyed_on=destroyed_on,
            witness=witness,
            second_witness=second_witness,
        ),
    )
    return done


@transaction.atomic
def _destruction_record(
    *,
    by: Membership,
    container: Container,
    amount: Decimal,
    method: str,
    place: str,
    destroyed_on: dt.date,
    witness: WitnessSignOff | None,
    second_witness: WitnessSignOff | None,
) -> LedgerEntry:
    require(by, Perm.STOCK_MANAGE)
    same_clinic(by, container)
    amount = _positive(amount, "amount")
    method_text = text(method, "method", limit=200)
    place_text = text(place, "place", limit=200)
    today = timezone.localdate(timezone.now(), by.clinic.tzinfo)
    if destroyed_on > today or destroyed_on < today - dt.timedelta(days=7):
        raise ValidationError({"destroyed_on": "Record a destruction within 7 days of it."})
    first = witness_confirm(by=by, sign_off=witness)
    second = witness_confirm(
        by=by, sign_off=second_witness, field="second_witness_password", others=(first.user_id,)
    )
    return append_entry(
        by=by,
        container=container,
        kind=EntryKind.DESTRUCTION,
        change=-amount,
        occurred_at=timezone.now(),
        field="amount",
        witness_id=first.user_id,
        second_witness_id=second.user_id,
        method=method_text,
        note=f"Destroyed on {destroyed_on.isoformat()} at {place_text}",
        audit_extra={"form_41": {"destroyed_on": destroyed_on.isoformat(), "place": place_text}},
    )


# --------------------------------------------------------------------------------------------------
# Transfer, loss or theft


@transaction.atomic
def transfer_record(*, by: Membership, container: Container, to_location: Location) -> LedgerEntry:
    """Move a whole container to another location of the clinic: an entry out of the old location
    and one into the new, for the balance it holds."""
    require(by, Perm.STOCK_HANDLE)
    same_clinic(by, container, to_location)
    if to_location.pk == container.location_id or not to_location.is_active:
        raise ValidationError({"to_location": "Choose another location in use."})
    lock_head(by.clinic_id)
    amount = container_balance(container.pk)
    if amount <= 0:
        raise ValidationError({"to_location": "This container is empty."})
    now = timezone.now()
    append_entry(
        by=by, container=container, kind=EntryKind.TRANSFER_OUT, change=-amount, occurred_at=now
    )
    container.location = to_location
    container.save(update_fields=["location"])
    return append_entry(
        by=by,
        container=container,
        kind=EntryKind.TRANSFER_IN,
        change=amount,
        occurred_at=now,
        location_id=to_location.pk,
    )


@transaction.atomic
def loss_record(
    *,
    by: Membership,
    container: Container,
    amount: Decimal,
    kind: LossKind,
    discovered_on: dt.date,
    note: str,
) -> LossReport:
    """Loss or theft found: the entry, and a report tracking the written notice (one business day)
    and DEA Form 106 (45 days). Breakage is recorded the same way but is not reportable."""
    require(by, Perm.STOCK_HANDLE)
    same_clinic(by, container)
    amount = _positive(amount, "amount")
    description = text(note, "note")
    today = timezone.localdate(timezone.now(), by.clinic.tzinfo)
    if discovered_on > today or discovered_on < today - dt.timedelta(days=7):
        raise ValidationError({"discovered_on": "Record a loss within 7 days of finding it."})
    entry = append_entry(
        by=by,
        container=container,
        kind=EntryKind.LOSS,
        change=-amount,
        occurred_at=timezone.now(),
        field="amount",
        note=f"{LossKind(kind).label}: {description}",
    )
    deadlines = loss_deadlines(discovered_on, by.clinic.opening_days)
    return LossReport.objects.create(
        clinic_id=by.clinic_id,
        entry=entry,
        kind=str(kind),
        discovered_on=discovered_on,
        notice_due=deadlines.notice_due,
        form_106_due=deadlines.form_106_due,
    )


@transaction.atomic
def loss_report_update(
    *,
    by: Membership,
    report: LossReport,
    notice_sent_on: dt.date | None = None,
    form_106_filed_on: dt.date | None = None,
    form_106_reference: str = "",
) -> LossReport:
    """Record that the notice went out or that Form 106 was filed: each date once."""
    require(by, Perm.STOCK_MANAGE)
    same_clinic(by, report)
    report = LossReport.objects.select_for_update().get(pk=report.pk)
    today = timezone.localdate(timezone.now(), by.clinic.tzinfo)
    changes: dict[str, tuple[object, object]] = {}
    for field, value in (
        ("notice_sent_on", notice_sent_on),
        ("form_106_filed_on", form_106_filed_on),
    ):
        if value is None:
            continue
        if getattr(report, field) is not None:
            raise ValidationError({field: "This date is already recorded."})
        if value < report.discovered_on or value > today:
            raise ValidationError({field: "Give a date between the discovery and today."})
        changes[field] = (None, value.isoformat())
        setattr(report, field, value)
    if form_106_filed_on is not None:
        report.form_106_reference = text(form_106_reference, "form_106_reference", limit=64)
        changes["form_106_reference"] = ("", report.form_106_reference)
    if not changes:
        raise ValidationError("Nothing to record.")
    report.save(update_fields=[f for f in changes])
    audit_record(
        event_type=EventType.STOCK_LOSS_REPORT_UPDATED, actor=by, obj=report, changes=changes
    )
    return report


# --------------------------------------------------------------------------------------------------
# Reversal


@transaction.atomic
def entry_reverse(*, by: Membership, entry: LedgerEntry, reason: str) -> LedgerEntry:
    """Correct an entry: a reversing entry with the opposite change, the reason and a reference to
    the original (which stays as it was). Refused when the stock is no longer there to take back."""
    require(by, Perm.STOCK_MANAGE)
    same_clinic(by, entry)
    why = text(reason, "reason", limit=500)
    lock_head(by.clinic_id)
    if entry.kind == EntryKind.REVERSAL:
        raise ValidationError(
            {"reason": "A reversal cannot itself be reversed; record the entry again."}
        )
    if LedgerEntry.objects.filter(reverses=entry).exists():
        raise ValidationError({"reason": "This entry has already been reversed."})
    return append_entry(
        by=by,
        container=entry.container,
        kind=EntryKind.REVERSAL,
        change=-entry.change,
        occurred_at=timezone.now(),
        field="reason",
        reverses=entry,
        note=why,
        approved_by_id=by.user_id,
    )
