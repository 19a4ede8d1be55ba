"""The session's small vitals chart (treatment/domain/vitals_chart.py), without a database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.treatment.domain import monitoring
from ketaclinic.treatment.domain.protocol import Measure
from ketaclinic.treatment.domain.vitals_chart import CRISIS_SYSTOLIC, vitals_chart

NY = ZoneInfo("America/New_York")
T0 = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)


def _bp(minute: int, sys: int, dia: int) -> monitoring.Observation:
    return monitoring.Observation(
        measure=Measure.BLOOD_PRESSURE,
        taken_at=T0 + dt.timedelta(minutes=minute),
        systolic_mmhg=sys,
        diastolic_mmhg=dia,
    )


def _one(measure: Measure, minute: int, value: int) -> monitoring.Observation:
    return monitoring.Observation(
        measure=measure, taken_at=T0 + dt.timedelta(minutes=minute), value=value
    )


def test_no_vital_sign_means_no_chart() -> None:
    assert vitals_chart([_one(Measure.MOAA_S, 0, 5)], tz=NY) is None


def test_each_vital_sign_is_a_line_in_time_order_with_local_time_labels() -> None:
    chart = vitals_chart(
        [_bp(40, 150, 95), _bp(0, 120, 80), _one(Measure.HEART_RATE, 5, 70)],
        tz=NY,
        dose_started_at=T0 + dt.timedelta(minutes=10),
    )
    assert chart is not None
    keys = [line.key for line in chart.lines]
    assert keys == ["systolic", "diastolic", "heart_rate"]
    systolic = chart.lines[0]
    assert [p.value for p in systolic.points] == [120, 150]
    assert systolic.points[0].x < systolic.points[1].x
    assert systolic.points[1].y < systolic.points[0].y  # higher value, higher on the page
    assert chart.x_ticks[0].label == "10:00"  # 15:00 UTC in New York
    assert chart.dose_x is not None and chart.plot_left < chart.dose_x < chart.plot_right
    assert chart.crisis_y is not None


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=600),
            st.integers(min_value=40, max_value=300),
            st.integers(min_value=10, max_value=200),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_every_point_lies_inside_the_plot(readings: list[tuple[int, int, int]]) -> None:
    chart = vitals_chart([_bp(m, s, d) for m, s, d in readings], tz=NY)
    assert chart is not None
    for line in chart.lines:
        for p in line.points:
            assert chart.plot_left <= p.x <= chart.plot_right
            assert chart.plot_top <= p.y <= chart.plot_bottom
    assert float(chart.y_ticks[-1].label) >= max(CRISIS_SYSTOLIC, *(s for _, s, _ in readings))
