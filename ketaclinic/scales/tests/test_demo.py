"""The demo clinic's rating scales: realistic trajectories, one open suicidal-ideation alert, and
idempotent seeding."""

from __future__ import annotations

import pytest

from ketaclinic.alerts.models import Alert, AlertKind
from ketaclinic.scales import demo
from ketaclinic.scales.models import ScaleResponse

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_trajectories_once_with_one_open_si_alert() -> None:
    from ketaclinic.core.demo import seed_foundation

    seed_foundation(lambda _: None)
    demo.seed(lambda _: None)
    count = ScaleResponse.objects.count()
    assert count >= 40 * len(demo.SCHEDULE_DAYS)
    assert set(ScaleResponse.objects.values_list("code", flat=True)) == {"phq9", "madrs", "gad7"}
    open_alerts = Alert.objects.filter(acknowledged_at__isnull=True)
    assert [a.kind for a in open_alerts] == [AlertKind.SUICIDAL_IDEATION]
    # Responders and non-responders both exist: the last PHQ-9 is at most half of the first for
    # some patients and above it for others.
    ratios = []
    for patient_id in set(ScaleResponse.objects.values_list("patient_id", flat=True)):
        totals = list(
            ScaleResponse.objects.filter(patient_id=patient_id, code="phq9")
            .order_by("effective_at")
            .values_list("total", flat=True)
        )
        first, last = totals[0], totals[-1]
        assert first is not None and last is not None
        ratios.append(last / first)
    assert min(ratios) <= 0.5 < max(ratios)

    demo.seed(lambda _: None)
    assert ScaleResponse.objects.count() == count
    assert Alert.objects.count() == 1
