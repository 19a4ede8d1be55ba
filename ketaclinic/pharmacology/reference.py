"""Literature plasma concentration ranges of racemic ketamine, with their sources (pure).

The domain reference is shared/domain/pharmacokinetics.md, section 6. The exposure chart draws these
as horizontal bands (:mod:`ketaclinic.pharmacology.chart`) and the page lists them with sources.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ESKETAMINE_REFERENCE_NOTE",
    "RACEMIC_REFERENCE_NOTE",
    "REFERENCE_BANDS",
    "ReferenceBand",
]


@dataclass(frozen=True)
class ReferenceBand:
    """A plasma concentration range reported in the literature, with its sources."""

    key: str
    label: str
    low_ng_ml: float
    high_ng_ml: float
    detail: str
    sources: tuple[str, ...]


REFERENCE_BANDS: tuple[ReferenceBand, ...] = (
    ReferenceBand(
        key="analgesia",
        label="Analgesia",
        low_ng_ml=70.0,
        high_ng_ml=160.0,
        detail="70-160 ng/mL; also reported as > 100 ng/mL",
        sources=(
            "Zanos et al., Pharmacol Rev 2018;70:621-660, Table 1 (attribution unverified)",
            "Herd & Anderson, Paediatr Anaesth 2007;17:622-9",
            "Hornik et al., J Clin Pharmacol 2018",
        ),
    ),
    ReferenceBand(
        key="dissociation",
        label="Dissociation",
        low_ng_ml=100.0,
        high_ng_ml=250.0,
        detail="100-250 ng/mL after 0.5 mg/kg over 40 min (Krystal 1994)",
        sources=("Zanos et al., Pharmacol Rev 2018;70:621-660, Table 1 (attribution unverified)",),
    ),
    ReferenceBand(
        key="anaesthesia",
        label="Anaesthesia",
        low_ng_ml=1200.0,
        high_ng_ml=2400.0,
        detail="1200-2400 ng/mL after 1-2 mg/kg IV; awakening at about 640 ng/mL",
        sources=(
            "Zanos et al., Pharmacol Rev 2018;70:621-660, Table 1 (attribution unverified)",
            "Idvall et al., Br J Anaesth 1979;51:1167",
        ),
    ),
)

RACEMIC_REFERENCE_NOTE = (
    "Ranges are plasma racemic ketamine. For comparison, 0.5 mg/kg over 40 min gave a mean "
    "peak of 185 ng/mL in the antidepressant trial of Zarate 2006 (Zanos 2018, Table 1)."
)
ESKETAMINE_REFERENCE_NOTE = (
    "These ranges were measured with racemic ketamine; the curve is esketamine alone. The "
    "esketamine maker states there is no routine plasma monitoring and no established "
    "concentration-efficacy relationship (J&J Medical Information, 'Measurement of Plasma "
    "Levels of SPRAVATO', 2024-12-27)."
)
