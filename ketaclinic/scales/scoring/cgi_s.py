"""CGI-S: Clinical Global Impression, severity (US federal work, Guy 1976; free).

Sources [CamCOPS cgi.rst; NIDA]: a single rating 1-7, 1 normal ... 7 among the most
extremely ill. No bands or response rule in scales.md (``band`` is None; ``outcome()``
gives percent change towards the floor of 1 and False for response and remission).
"""

from __future__ import annotations

from ketaclinic.scales.scoring.base import Anchor, Item, ScaleDefinition, build_sum_scorer

_ANCHORS = (
    Anchor(1, "Normal, not at all ill"),
    Anchor(2, "Borderline mentally ill"),
    Anchor(3, "Mildly ill"),
    Anchor(4, "Moderately ill"),
    Anchor(5, "Markedly ill"),
    Anchor(6, "Severely ill"),
    Anchor(7, "Among the most extremely ill patients"),
)

DEFINITION = ScaleDefinition(
    code="cgi_s",
    name="Clinical Global Impression - Severity (CGI-S)",
    version="1",
    items=(
        Item(
            id="1",
            min=1,
            max=7,
            text="Considering your total clinical experience with this particular population, "
            "how mentally ill is the patient at this time?",
            anchors=_ANCHORS,
        ),
    ),
    min_total=1,
    max_total=7,
    licence="free",
    licence_note="US federal work (Guy 1976, ECDEU).",
    sources=("CamCOPS cgi.rst", "NIDA"),
)

build = build_sum_scorer
