from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render

from ketaclinic.accounts.http import ClinicRequest, membership_of
from ketaclinic.ops import registry
from ketaclinic.ops.selectors import JobsNotAllowedError, recent_failures, recent_runs


def job_list(request: ClinicRequest) -> HttpResponse:
    membership = membership_of(request)
    try:
        runs = recent_runs(membership)
        failures = recent_failures(membership)
    except JobsNotAllowedError:
        raise PermissionDenied from None
    rows = [(run, registry.label_of(run.job)) for run in runs]
    failed = [(run, registry.label_of(run.job)) for run in failures]
    periodic = [
        (job.label, "hourly" if job.every == "hour" else "daily") for job in registry.periodic()
    ]
    context = {"rows": rows, "failed": failed, "periodic": periodic}
    return render(request, "ops/jobs.html", context)
