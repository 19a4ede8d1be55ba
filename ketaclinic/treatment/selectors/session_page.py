"""The session page at the chair: everything it shows that comes from the database or the
domain, read in one place and handed to the view as a frozen :class:`SessionPage`. The view adds
only its forms."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import timezone

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.alerts.models import Alert
from ketaclinic.alerts.selectors import open_alerts_for_patient
from ketaclinic.audit.models import Signature, SignatureMeaning
from ketaclinic.audit.signatures import signature_matches
from ketaclinic.patients.models import Patient, WeightMeasurement
from ketaclinic.patients.selectors import latest_weight
from ketaclinic.treatment.domain import monitoring, rems
from ketaclinic.treatment.domain.pmf import pmf_from_dict_lenient
from ketaclinic.treatment.domain.protocol import Drug, Route
from ketaclinic.treatment.domain.protocol import Protocol as PureProtocol
from ketaclinic.treatment.domain.record import AMENDABLE_FIELDS
from ketaclinic.treatment.domain.vitals_chart import VitalsChart, vitals_chart
from ketaclinic.treatment.models import (
    AdverseEvent,
    Amendment,
    DoseAdministration,
    Observation,
    PreDoseChecklist,
    PrescriberDecision,
    ProtocolVersion,
    RemsMonitoringForm,
    SessionPhase,
    TreatmentSession,
)
from ketaclinic.treatment.selectors.calendar import missed_guidance_for
from ketaclinic.treatment.selectors.dose import DosePreview, dose_preview, prior_doses
from ketaclinic.treatment.selectors.predose import (
    PendingDecision,
    PreSessionScale,
    dosing_blockers,
    pending_decisions,
    pre_session_scales,
)
from ketaclinic.treatment.selectors.rems import rems_form_for_session
from ketaclinic.treatment.selectors.signing import (
    discharge_check,
    dose_content,
    pmf_missing,
    session_content,
    signing_problems,
)
from ketaclinic.treatment.selectors.timeline import (
    derived_phase,
    phase_label,
    pure_observations,
    session_timeline,
)


@dataclasses.dataclass(frozen=True)
class SessionPage:
    """What ``templates/treatment/session.html`` shows, forms aside. Field names are the
    template's context names (see :meth:`context`)."""

    session: TreatmentSession
    patient: Patient
    protocol: PureProtocol
    version: ProtocolVersion
    is_esketamine: bool
    is_infusion: bool
    phase: str
    phase_label: str | None
    checklist: PreDoseChecklist | None
    blockers: list[str]
    pre_session_scales: list[PreSessionScale]
    pending: list[PendingDecision]
    decisions: list[PrescriberDecision]
    dose: DoseAdministration | None
    preview: DosePreview | None
    preview_error: str
    items: list[monitoring.ItemStatus]
    observations: list[Observation]
    adverse_events: list[AdverseEvent]
    readiness: monitoring.DischargeReadiness | None
    pmf: RemsMonitoringForm | None
    pmf_missing: list[str]
    pmf_problems: list[str]
    signing_problems: list[str]
    signature: Signature | None
    witness_signature_valid: bool | None
    missed_guidance: str
    signature_valid: bool | None
    amendments: list[Amendment]
    amendable: dict[str, str]
    weight: WeightMeasurement | None
    open_alerts: list[Alert]
    can_acknowledge: bool
    can_administer: bool
    can_plan: bool
    can_schedule: bool
    now: dt.datetime
    meaning_labels: dict[str, str]
    printed_name: str
    # The dose the dose form starts from (esketamine: the first-dose rule or the usual dose);
    # None for the other protocols, whose form starts from the protocol's usual amount.
    suggested_dose_mg: Decimal | None
    # The small vitals chart of the session's readings (None without a vital sign yet).
    vitals_chart: VitalsChart | None = None

    def context(self) -> dict[str, Any]:
        """The fields as template context (shallow: the objects themselves, not copies)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


def session_page(
    *, membership: Membership, session: TreatmentSession, now: dt.datetime | None = None
) -> SessionPage:
    """Read the session page. ``session`` comes from ``get_session_for_user`` (which checked
    the membership's access); the cost in queries does not grow with the session's readings,
    decisions or adverse events."""
    now = now or timezone.now()
    protocol = session.protocol_version.protocol
    # The readings and decisions once, for every selector below that reads them with .all()
    # (issue 15: the page read the readings five times and the decisions four).
    prefetch_related_objects(
        [session],
        Prefetch("observations", queryset=Observation.objects.select_related("recorded_by")),
        Prefetch("decisions", queryset=PrescriberDecision.objects.select_related("decided_by")),
    )
    observations = list(session.observations.all())
    items = session_timeline(session, now, observations)
    chart = vitals_chart(
        pure_observations(observations),
        tz=membership.clinic.tzinfo,
        dose_started_at=session.dose_started_at,
    )
    dose = (
        DoseAdministration.objects.filter(session=session)
        .select_related("session", "given_by", "witnessed_by", "witness_signature")
        .first()
    )
    pmf = rems_form_for_session(session)
    missing: list[str] = []
    pmf_problems: list[str] = []
    if pmf is not None:
        pure, _ = pmf_from_dict_lenient(pmf.data)
        missing = pmf_missing(pmf)
        pmf_problems = rems.pmf_problems(pure)
    weight = latest_weight(patient=session.patient)
    preview = None
    preview_error = ""
    if dose is None and session.phase in (SessionPhase.PRE_DOSE, SessionPhase.CHECKED_IN):
        try:
            preview = dose_preview(session=session)
        except ValidationError as exc:
            preview_error = "; ".join(exc.messages)
    readiness = None
    if session.dose_started_at is not None and session.discharged_at is None:
        readiness = discharge_check(session, [c.code for c in protocol.discharge_criteria])
    signature = session.signature
    phase = derived_phase(session, now)
    is_esketamine = protocol.drug is Drug.ESKETAMINE
    page = SessionPage(
        session=session,
        patient=session.patient,
        protocol=protocol,
        version=session.protocol_version,
        is_esketamine=is_esketamine,
        is_infusion=protocol.route is Route.IV_INFUSION,
        phase=phase,
        phase_label=phase_label(session, now),
        checklist=getattr(session, "checklist", None),
        blockers=dosing_blockers(session),
        pre_session_scales=pre_session_scales(session),
        pending=pending_decisions(session),
        decisions=list(session.decisions.all()),
        dose=dose,
        preview=preview,
        preview_error=preview_error,
        items=items,
        observations=observations,
        adverse_events=list(AdverseEvent.objects.filter(session=session)),
        readiness=readiness,
        pmf=pmf,
        pmf_missing=missing,
        pmf_problems=pmf_problems,
        signing_problems=signing_problems(session)
        if session.discharged_at and not session.is_locked
        else [],
        signature=signature,
        witness_signature_valid=signature_matches(dose.witness_signature, dose_content(dose))
        if dose is not None and dose.witness_signature is not None
        else None,
        missed_guidance=missed_guidance_for(protocol)
        if session.phase == SessionPhase.MISSED
        else "",
        signature_valid=signature_matches(signature, session_content(session))
        if signature
        else None,
        amendments=list(Amendment.objects.filter(session=session).select_related("author")),
        amendable=AMENDABLE_FIELDS,
        weight=weight,
        open_alerts=open_alerts_for_patient(membership=membership, patient=session.patient),
        can_acknowledge=membership.can(Perm.ALERT_ACKNOWLEDGE),
        can_administer=membership.can(Perm.TREATMENT_ADMINISTER),
        can_plan=membership.can(Perm.TREATMENT_PLAN),
        can_schedule=membership.can(Perm.SCHEDULE_MANAGE),
        now=now,
        meaning_labels=dict(SignatureMeaning.choices),
        printed_name=membership.user.display_name,
        suggested_dose_mg=_suggested_dose_mg(session, protocol) if is_esketamine else None,
        vitals_chart=chart,
    )
    return page


def _suggested_dose_mg(session: TreatmentSession, protocol: PureProtocol) -> Decimal:
    """Esketamine: the label's first dose for the course's first dose, the usual dose after."""
    first = protocol.dose.first_dose_mg if not prior_doses(session) else protocol.dose.usual
    return first or protocol.dose.usual
