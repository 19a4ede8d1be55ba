"""The demo clinic has a patient on each protocol of issue 16 (PTSD, OCD, anxiety, intranasal)
whose scale history shows the outcome the protocol's indication is judged by."""

from __future__ import annotations

import pytest

from ketaclinic.scales import outcome
from ketaclinic.scales.models import ScaleResponse
from ketaclinic.treatment import demo
from ketaclinic.treatment.models import Course

pytestmark = pytest.mark.django_db


def _totals(course: Course, code: str) -> list[float]:
    return [
        float(t)
        for t in ScaleResponse.objects.filter(patient_id=course.patient_id, code=code)
        .order_by("effective_at")
        .values_list("total", flat=True)
        if t is not None
    ]


def test_each_new_protocol_has_a_demo_patient_with_a_plausible_history() -> None:
    from ketaclinic.core.demo import seed_foundation

    seed_foundation(lambda _: None)
    demo.seed(lambda _: None)
    courses = {
        c.protocol_version.family.code: c
        for c in Course.objects.select_related("protocol_version__family")
    }
    for code, _weeks, _history in demo.OTHER_INDICATIONS:
        assert code in courses, code
    ptsd = _totals(courses["iv_racemic_ptsd"], "pcl5")
    assert len(ptsd) == 7
    assert outcome("pcl5", ptsd[0], ptsd[-1]).response  # a fall of 10 points or more
    ocd = _totals(courses["iv_racemic_ocd"], "ybocs")
    result = outcome("ybocs", ocd[0], ocd[-1])
    assert result.response and not result.remission
    anxiety = _totals(courses["sc_racemic_anxiety"], "gad7")
    result = outcome("gad7", anxiety[0], anxiety[-1])
    assert result.response and not result.remission
    assert len(_totals(courses["in_racemic_depression"], "phq9")) == 3
