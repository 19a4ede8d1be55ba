"""The facts the eligibility rules understand, each with its type and allowed values.

A fact is ``None`` when it was not assessed: the engine never reads a missing answer as "no".
Numbers carry a plausibility limit with its source; a value outside it is a typing error, not a
clinical finding, and raises ``ValueError`` naming the fact.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

FactKind = Literal["bool", "int", "choice"]
HEPATIC_GRADES = ("none", "mild", "moderate", "severe")


@dataclass(frozen=True)
class Fact:
    name: str
    kind: FactKind
    label: str
    allowed: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    limit_source: str = ""

    def check(self, value: object) -> object:
        """The value if it has this fact's type and range; ``ValueError`` naming the fact."""
        if value is None:
            return None
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"fact {self.name!r} must be true or false, not {value!r}")
            return value
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"fact {self.name!r} must be a whole number, not {value!r}")
            low = self.minimum if self.minimum is not None else value
            high = self.maximum if self.maximum is not None else value
            if not low <= value <= high:
                raise ValueError(
                    f"fact {self.name!r} = {value} is outside {self.minimum}-{self.maximum} "
                    f"({self.limit_source})"
                )
            return value
        if not isinstance(value, str) or value not in self.allowed:
            raise ValueError(f"fact {self.name!r} must be one of {', '.join(self.allowed)}")
        return value


_BP = "physiological range of a measured adult blood pressure; beyond it is a typing error"

FACTS: dict[str, Fact] = {
    f.name: f
    for f in (
        Fact(
            "age_years",
            "int",
            "Age (years)",
            minimum=0,
            maximum=120,
            limit_source="oldest documented human lifespan (122 y)",
        ),
        Fact("aneurysmal_vascular_disease", "bool", "Aneurysmal vascular disease"),
        Fact("arteriovenous_malformation", "bool", "Arteriovenous malformation"),
        Fact("intracerebral_haemorrhage_history", "bool", "History of intracerebral haemorrhage"),
        Fact(
            "hypersensitivity_ketamine",
            "bool",
            "Hypersensitivity to esketamine, ketamine or an excipient",
        ),
        Fact("hypertension", "bool", "Diagnosed hypertension"),
        Fact(
            "systolic_mmhg",
            "int",
            "Systolic blood pressure (mmHg)",
            minimum=60,
            maximum=280,
            limit_source=_BP,
        ),
        Fact(
            "diastolic_mmhg",
            "int",
            "Diastolic blood pressure (mmHg)",
            minimum=30,
            maximum=180,
            limit_source=_BP,
        ),
        Fact("psychosis_history", "bool", "History of psychosis"),
        Fact("bipolar_disorder", "bool", "Bipolar disorder"),
        Fact("substance_use_disorder_active", "bool", "Active substance-use disorder"),
        Fact("pregnant", "bool", "Pregnant"),
        Fact("breastfeeding", "bool", "Breastfeeding"),
        Fact("hepatic_impairment", "choice", "Hepatic impairment", allowed=HEPATIC_GRADES),
        Fact("raised_intracranial_pressure", "bool", "Raised intracranial pressure"),
        Fact("raised_intraocular_pressure", "bool", "Raised intraocular pressure"),
        Fact("seizure_disorder", "bool", "Seizure disorder"),
        Fact(
            "adequate_failed_antidepressant_trials",
            "int",
            "Adequate failed antidepressant trials (current episode)",
            minimum=0,
            maximum=30,
            limit_source="more than 30 adequate trials in one episode is not plausible",
        ),
    )
}


def check_facts(facts: Mapping[str, object]) -> dict[str, object]:
    """Every known fact, checked; unknown names and wrong types raise ``ValueError``."""
    for name in facts:
        if name not in FACTS:
            raise ValueError(f"unknown fact {name!r}")
    return {name: fact.check(facts.get(name)) for name, fact in FACTS.items()}
