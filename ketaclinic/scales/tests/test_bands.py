"""Every band boundary of every scale with bands, from the published cut-offs."""

from __future__ import annotations

import pytest

from ketaclinic.scales import get_definition, score
from ketaclinic.scales.tests.helpers import answers_for_total, qids_answers_for_total

BOUNDARIES = {
    # [Calc]
    "phq9": [
        (0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"),
        (14, "moderate"), (15, "moderately_severe"), (19, "moderately_severe"),
        (20, "severe"), (27, "severe"),
    ],
    # [Spitzer]
    "gad7": [
        (0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"),
        (14, "moderate"), (15, "severe"), (21, "severe"),
    ],
    # [CamCOPS; Canvas]
    "madrs": [
        (0, "normal"), (6, "normal"), (7, "mild"), (19, "mild"), (20, "moderate"),
        (34, "moderate"), (35, "severe"), (60, "severe"),
    ],
    # [YBOCS]
    "ybocs": [
        (0, "subclinical"), (7, "subclinical"), (8, "mild"), (15, "mild"), (16, "moderate"),
        (23, "moderate"), (24, "severe"), (31, "severe"), (32, "extreme"), (40, "extreme"),
    ],
}  # fmt: skip

QIDS = [
    (0, "none"), (5, "none"), (6, "mild"), (10, "mild"), (11, "moderate"), (15, "moderate"),
    (16, "severe"), (20, "severe"), (21, "very_severe"), (27, "very_severe"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("code", "total", "band"),
    [(code, total, band) for code, rows in BOUNDARIES.items() for total, band in rows],
)
def test_each_band_starts_and_ends_at_its_published_cut_off(
    code: str, total: int, band: str
) -> None:
    result = score(code, answers_for_total(code, total))
    assert (result.total, result.band) == (total, band)


@pytest.mark.parametrize(("total", "band"), QIDS)
def test_each_qids_band_starts_and_ends_at_its_published_cut_off(total: int, band: str) -> None:
    result = score("qids_sr16", qids_answers_for_total(total))
    assert (result.total, result.band) == (total, band)


@pytest.mark.parametrize(
    ("worst", "band"),
    [(0, "none"), (1, "mild"), (4, "mild"), (5, "moderate"), (6, "moderate"), (7, "severe"),
     (10, "severe")],
)  # fmt: skip
def test_bpi_band_follows_worst_pain(worst: int, band: str) -> None:
    # the other severity ratings are 0, so the severity mean differs from worst pain
    assert score("bpi_sf", [worst] + [0] * 10).band == band


@pytest.mark.parametrize(
    "code", ["hamd17", "pcl5", "nrs_pain", "cadss", "moaas", "bprs", "cgi_s", "cgi_i"]
)
def test_scales_without_published_bands_give_no_band(code: str) -> None:
    answers = [item.max for item in get_definition(code).items]
    result = score(code, answers)
    assert result.total is not None
    assert result.band is None
