"""The prior-authorisation summary of a screening, ready to print: the diagnosis (ICD-10-CM), the
treatment-resistance history (each prior antidepressant trial with dose, duration, adequacy and
response, and how many count as adequate failed trials in the current episode), baseline scores
with their dates, psychotherapy, the eligibility decision, and the prescriber's attestation."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ketaclinic.accounts.http import ClinicRequest, membership_of
from ketaclinic.accounts.permissions import Perm
from ketaclinic.screening import selectors

# Treatment-resistant depression: no adequate response to at least two antidepressants of
# adequate dose and duration in the current episode (SPRAVATO label, section 1; clinical.md §2).
TRD_MIN_FAILED_TRIALS = 2


def prior_auth(request: ClinicRequest, screening_id: int) -> HttpResponse:
    m = membership_of(request)
    screening = selectors.get_screening_for_user(
        membership=m, pk=screening_id, perm=Perm.PATIENT_VIEW
    )
    trials = list(screening.trials.all())
    failed = sum(1 for t in trials if t.counts_as_failed)
    context = {
        "screening": screening,
        "patient": screening.patient,
        "decision": screening.decision,
        "clinic": m.clinic,
        "trials": trials,
        "failed": failed,
        "trd_min": TRD_MIN_FAILED_TRIALS,
        "meets_trd": failed >= TRD_MIN_FAILED_TRIALS,
        "scales": sorted(screening.baseline_scales.all(), key=lambda r: r.effective_at),
        "printed_on": timezone.localdate(timezone.now(), m.clinic.tzinfo),
        "prescriber": m.user if m.can(Perm.TREATMENT_PLAN) else None,
    }
    return render(request, "screening/prior_auth.html", context)
