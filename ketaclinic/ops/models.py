"""One row per run of a background job.

``(job, period)`` is unique: a periodic job's period ("2026-12-01" for a daily job, "2026-12-01T15"
for an hourly one) can be scheduled only once, however many workers' schedulers race for it; a
one-off job (an export) uses its own key as the period. The row also carries the retry state: the
task runner (django-tasks) only delivers ``ops.tasks.run_job(run_id)``; the attempt count, lease and
outcome live here, where the admin page reads them.
"""

from __future__ import annotations

from django.db import models

from ketaclinic.lib import ratelimit


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Waiting"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Done"
    FAILED = "failed", "Failed (no attempts left)"


class JobRun(models.Model):
    id = models.BigAutoField(primary_key=True)
    job = models.CharField(max_length=64)
    period = models.CharField(max_length=64)
    # Set for a job run on behalf of one clinic (an export); network-wide jobs have none.
    clinic = models.ForeignKey(
        "accounts.Clinic", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=3)
    created_at = models.DateTimeField()
    not_before = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    # A running attempt whose lease has passed died with its worker (kill -9, power loss): the
    # scheduler puts it back in the queue. Its effect was rolled back with its transaction.
    lease_until = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Counts from the job and the class of the last error: never patient data or an exception's
    # message (which may quote a row).
    summary = models.CharField(max_length=200, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "period"], name="ops_job_period_once"),
            models.CheckConstraint(
                condition=models.Q(attempts__lte=models.F("max_attempts")),
                name="ops_attempts_within_limit",
            ),
        ]
        indexes = [models.Index(fields=["status", "lease_until"], name="ops_status_lease")]

    def __str__(self) -> str:
        return f"{self.job} {self.period} {self.status}"


class FormToken(models.Model):
    """One submitted create form (issue 10, finding 10): a double submit finds its row and creates
    nothing. ``key`` is SHA-256 over the user and the form's one-time token (or, for forms that do
    not carry one yet, over the form's content within a few seconds); never the content itself.
    Inserted in the same transaction as the write it guards; pruned daily after a day."""

    key = models.CharField(max_length=64, unique=True)
    user_id = models.BigIntegerField()
    path = models.CharField(max_length=200)
    created_at = models.DateTimeField(db_index=True)
    # Where the first submission went (its redirect), so that the repeat lands on the same page.
    redirect_to = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"form {self.path} {self.created_at:%Y-%m-%d %H:%M:%S}"


class WindowCount(models.Model):
    """Requests counted for one client key in one fixed window (``lib.ratelimit``): the self-report
    page's per-address limit, shared by every application server. ``key`` is a digest, never an
    address. Incremented only by ``lib.ratelimit.window_hit``'s atomic upsert; rows of past
    windows are pruned daily."""

    key = models.CharField(max_length=64)
    window_start = models.BigIntegerField(db_index=True)  # Unix seconds
    count = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = ratelimit.TABLE
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="ops_window_count_once")
        ]

    def __str__(self) -> str:
        return f"window from {self.window_start}: {self.count}"
