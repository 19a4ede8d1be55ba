"""Earlier versions of in-session records kept when they are recorded again (issue 14): split
from ``models.py`` (600-line limit) and re-exported there."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ChecklistRevision(models.Model):
    """The checklist's answers before it was recorded again (issue 14): the checklist row holds
    the answers now, each earlier set is kept here with why it changed."""

    checklist = models.ForeignKey(
        "treatment.PreDoseChecklist", on_delete=models.PROTECT, related_name="revisions"
    )
    old_answers = models.JSONField()
    reason = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(reason=""), name="checklist_revision_needs_reason"
            )
        ]

    def __str__(self) -> str:
        return f"Checklist {self.checklist_id} revised {self.recorded_at:%Y-%m-%d %H:%M}Z"
