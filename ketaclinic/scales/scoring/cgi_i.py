"""CGI-I: Clinical Global Impression, improvement (US federal work, Guy 1976; free).

Sources [CamCOPS cgi.rst; NIDA]: a single rating 1-7, 1 very much improved ... 7 very much
worse. CGI-I 1-2 is often taken as response: ``outcome()`` reports response when the
current rating is 2 or less (the baseline is not used for response; CGI-I already rates
change). No remission rule.
"""

from __future__ import annotations

from ketaclinic.scales.scoring.base import (
    Anchor,
    Item,
    OutcomeRule,
    ScaleDefinition,
    build_sum_scorer,
)

_ANCHORS = (
    Anchor(1, "Very much improved"),
    Anchor(2, "Much improved"),
    Anchor(3, "Minimally improved"),
    Anchor(4, "No change"),
    Anchor(5, "Minimally worse"),
    Anchor(6, "Much worse"),
    Anchor(7, "Very much worse"),
)

DEFINITION = ScaleDefinition(
    code="cgi_i",
    name="Clinical Global Impression - Improvement (CGI-I)",
    version="1",
    items=(
        Item(
            id="1",
            min=1,
            max=7,
            text="Compared to the patient's condition at the start of treatment, this "
            "patient's condition is:",
            anchors=_ANCHORS,
        ),
    ),
    min_total=1,
    max_total=7,
    licence="free",
    licence_note="US federal work (Guy 1976, ECDEU).",
    outcome_rule=OutcomeRule(
        response_at_or_below=2,  # "CGI-I 1-2 is often taken as response" [CamCOPS; NIDA]
        source="CamCOPS cgi.rst; NIDA",
    ),
    sources=("CamCOPS cgi.rst", "NIDA"),
)

build = build_sum_scorer
