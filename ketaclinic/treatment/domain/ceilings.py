"""The drug-and-route ceiling table: the most any protocol, dose or override may ever reach.

Pure module: no Django import. Each ceiling is a row of data with its source (the keys and
sections of ``shared/domain/clinical.md``, section 12 above all). A ceiling is not a protocol
setting: no protocol version, library copy, import, dose or prescriber override can pass it.
Under it, each protocol keeps its own settings: ``dose.maximum`` (above it, a prescriber's
override with a reason) and ``dose.cap`` (above it, refused), both at most the ceiling.

How the Ketalar anaesthetic induction range (1-4.5 mg/kg IV, given over about a minute [Ketalar
label, clinical.md 12]) applies to each route; no sub-anaesthetic protocol may reach it:

* **IV bolus** is given the way an induction dose is: a bolus stays *below* 1 mg/kg.
* **IV infusion** spreads the dose over time, so the rule is on the rate: averaged over the
  infusion, at most 1.5 mg/kg/h, the rate of the fastest sub-anaesthetic infusion studied
  (1.0 mg/kg over 40 min, Fava et al. 2020). With the depression ceiling of 1.0 mg/kg per
  session, a 1.0 mg/kg infusion therefore lasts at least 40 minutes. This rate is a project
  decision derived from the two sources, not a number either of them states.
* **IM** is absorbed within minutes with a bioavailability of ~93% [clinical.md 3]: treated like
  a bolus, below 1 mg/kg. The 0.5-1 mg/kg IM clinic range is **unverified** (clinical.md 3); the
  shipped IM protocol's override threshold (``dose.maximum`` 0.5 mg/kg) is a protocol setting a
  clinic may change, this ceiling is not.
* **Subcutaneous** is absorbed like IM (no separate values are published; clinical.md 3). The
  one sourced SC programme gives ascending single doses up to 1 mg/kg and maintains responders
  on 1 mg/kg (Glue et al., J Psychopharmacol 2017;31:1302 and 2018; clinical.md 13): at most
  1 mg/kg per session, the studied dose, never above it.
* **Oral** (bioavailability 17-20%) and **intranasal racemic** (25-50%) keep their own ceilings
  below, which hold the IV-equivalent dose well under 1 mg/kg.

A drug and route with no row here has no known ceiling, and no protocol for it is accepted.

Ceilings are checked against every weight a dose can be computed for (20-350 kg,
``protocol.DOSING_WEIGHT_*``): a protocol that passes them passes them for every patient. At the
chair the dose itself is checked again with the patient's weight (:func:`dose_problems`), so a
stored protocol version from before a ceiling existed cannot pass it either.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from ketaclinic.treatment.domain.protocol import (
    DOSING_WEIGHT_MAX_KG,
    DOSING_WEIGHT_MIN_KG,
    RATE_BASED,
    DoseBasis,
    Drug,
    Protocol,
    Route,
)

__all__ = [
    "CEILINGS",
    "IV_FINAL_CONCENTRATION",
    "Ceiling",
    "ConcentrationLimit",
    "Quantity",
    "ceilings_for",
    "dose_problems",
    "iv_final_concentration_problem",
    "protocol_problems",
]

D = Decimal


class Quantity(enum.StrEnum):
    MG_PER_SESSION = "mg_per_session"
    MG_PER_KG_PER_SESSION = "mg_per_kg_per_session"
    MG_PER_HOUR = "mg_per_hour"  # averaged over the infusion
    MG_PER_KG_PER_HOUR = "mg_per_kg_per_hour"  # averaged over the infusion

    @property
    def unit(self) -> str:
        return {
            "mg_per_session": "mg per session",
            "mg_per_kg_per_session": "mg/kg per session",
            "mg_per_hour": "mg/h",
            "mg_per_kg_per_hour": "mg/kg/h",
        }[self.value]

    @property
    def per_kg(self) -> bool:
        return self in (Quantity.MG_PER_KG_PER_SESSION, Quantity.MG_PER_KG_PER_HOUR)

    @property
    def per_hour(self) -> bool:
        return self in (Quantity.MG_PER_HOUR, Quantity.MG_PER_KG_PER_HOUR)


@dataclass(frozen=True, slots=True)
class Ceiling:
    """One row: ``drug`` by ``route`` never reaches beyond ``limit`` of ``quantity``.

    ``below`` True: the limit itself is refused (the induction range starts there). Rows apply
    to every indication, or ``only`` to the indications listed, or to all ``except_`` those.
    """

    code: str
    drug: Drug
    route: Route
    quantity: Quantity
    limit: Decimal
    what: str
    source: str
    below: bool = False
    only: frozenset[str] = frozenset()
    except_: frozenset[str] = frozenset()

    def applies_to(self, p: Protocol) -> bool:
        if p.drug is not self.drug or p.route is not self.route:
            return False
        if self.only and p.indication not in self.only:
            return False
        return p.indication not in self.except_

    def exceeded_by(self, value: Decimal) -> bool:
        return value >= self.limit if self.below else value > self.limit

    @property
    def bound(self) -> str:
        """``at most 1.0 mg/kg per session`` or ``below 1.0 mg/kg per session``."""
        return f"{'below' if self.below else 'at most'} {self.limit} {self.quantity.unit}"

    def __str__(self) -> str:
        return f"the ceiling for {self.what} is {self.bound} ({self.source})"


#: The table. Change a number only with its source; tests check that every shipped protocol and
#: every dose a protocol allows stays under these.
CEILINGS: tuple[Ceiling, ...] = (
    Ceiling(
        code="esketamine_session",
        drug=Drug.ESKETAMINE,
        route=Route.ESKETAMINE_NASAL,
        quantity=Quantity.MG_PER_SESSION,
        limit=D("84"),
        what="esketamine nasal spray",
        source="SPRAVATO label: 56 or 84 mg per session, at most 3 devices of 28 mg [HCP; NDC]",
    ),
    Ceiling(
        code="iv_infusion_session",
        drug=Drug.RACEMIC_KETAMINE,
        route=Route.IV_INFUSION,
        quantity=Quantity.MG_PER_KG_PER_SESSION,
        limit=D("1.0"),
        # Every indication without a ceiling of its own gets the depression one (the strictest
        # per-session ceiling an IV protocol has), so a new indication code cannot escape it.
        except_=frozenset({"crps"}),
        what="an IV racemic ketamine infusion for depression (and any indication without its own "
        "ceiling)",
        source="1.0 mg/kg was no better than 0.5 mg/kg with more adverse effects, Fava et al., "
        "Mol Psychiatry 2020;25:1592; 0.1-0.75 mg/kg studied [Andrade17]; clinical.md 12",
    ),
    Ceiling(
        code="iv_infusion_rate",
        drug=Drug.RACEMIC_KETAMINE,
        route=Route.IV_INFUSION,
        quantity=Quantity.MG_PER_KG_PER_HOUR,
        limit=D("1.5"),
        what="any IV racemic ketamine infusion, averaged over the infusion",
        source="stays clear of the anaesthetic induction range, 1-4.5 mg/kg IV [Ketalar label]: "
        "1.0 mg/kg over 40 min is the fastest sub-anaesthetic infusion studied (Fava 2020); "
        "project decision, clinical.md 12",
    ),
    Ceiling(
        code="iv_infusion_crps_rate",
        drug=Drug.RACEMIC_KETAMINE,
        route=Route.IV_INFUSION,
        quantity=Quantity.MG_PER_HOUR,
        limit=D("25"),
        only=frozenset({"crps"}),
        what="the CRPS infusion",
        source="0.35 mg/kg/h over 4 h, not to exceed 25 mg/h, Schwartzman et al., Pain "
        "2009;147:107, the study behind Cohen 2018; clinical.md 12",
    ),
    Ceiling(
        code="iv_bolus_induction",
        drug=Drug.RACEMIC_KETAMINE,
        route=Route.IV_BOLUS,
        quantity=Quantity.MG_PER_KG_PER_SESSION,
        limit=D("1.0"),
        below=True,
        what="an IV racemic ketamine bolus",
        source="anaesthetic induction is 1-4.5 mg/kg IV [Ketalar label]; clinical.md 12",
    ),
    Ceiling(
        code="im_induction",
        drug=Drug.RACEMIC_KETAMINE,
        route=Route.IM,
        quantity=Quantity.MG_PER_KG_PER_SESSION,
        limit=D("1.0"),
        below=True,
        what="IM racemic ketamine",
        source="the IV induction range, 1-4.5 mg/kg [Ketalar label], applied to IM "
        "(bioavailability ~93%, clinical.md 3); the 0.5-1 mg/kg IM range is unverified",
    ),
    Ceiling(
        code="subcutaneous_mg_per_kg",
        drug=Drug.RACEMIC_KETAMINE,
        route=Route.SUBCUTANEOUS,
        quantity=Quantity.MG_PER_KG_PER_SESSION,
        limit=D("1.0"),
        what="subcutaneous racemic ketamine",
        source="ascending SC doses 0.25, 0.5, 1 mg/kg, responders maintained on 1 mg/kg, Glue "
        "et al., J Psychopharmacol 2017;31:1302 and 2018 (2018-03-21); clinical.md 13",
    ),
    Ceiling(
        code="oral_mg_per_kg",
        drug=Drug.RACEMIC_KETAMINE,
        route=Route.ORAL,
        quantity=Quantity.MG_PER_KG_PER_SESSION,
        limit=D("2.5"),
        what="oral racemic ketamine",
        source="~2.0-2.5 mg/kg oral approximates IV exposure, Andrade, J Clin Psychiatry 2019; "
        "the shipped oral protocol's cap; clinical.md 3",
    ),
    Ceiling(
        code="oral_mg",
        drug=Drug.RACEMIC_KETAMINE,
        route=Route.ORAL,
        quantity=Quantity.MG_PER_SESSION,
        limit=D("300"),
        what="oral racemic ketamine",
        source="25-300 mg fixed doses reported, Andrade, J Clin Psychiatry 2019; the shipped "
        "oral protocol's total cap; clinical.md 3",
    ),
    Ceiling(
        code="intranasal_racemic_session",
        drug=Drug.RACEMIC_KETAMINE,
        route=Route.INTRANASAL_RACEMIC,
        quantity=Quantity.MG_PER_SESSION,
        limit=D("50"),
        what="intranasal racemic ketamine",
        source="50 mg as five 10 mg sprays, the one dose studied, Lapidus et al., Biol "
        "Psychiatry 2014;76:970; clinical.md 13",
    ),
)


@dataclass(frozen=True, slots=True)
class ConcentrationLimit:
    limit_mg_per_ml: Decimal
    source: str


#: The highest final concentration an IV dose may have. Ketalar 100 mg/mL must not be given IV
#: without dilution [Ketalar label; clinical.md 12]; the label dilutes it with at least an equal
#: volume, i.e. to 50 mg/mL at most (Ketalar label, dosage and administration). So 100 mg/mL, or
#: anything above 50 mg/mL, is never accepted as the final concentration of an IV dose.
IV_FINAL_CONCENTRATION = ConcentrationLimit(
    limit_mg_per_ml=D("50"),
    source="Ketalar 100 mg/mL is not given IV without dilution, at least with an equal volume "
    "[Ketalar label]; clinical.md 12",
)


def iv_final_concentration_problem(final_mg_per_ml: Decimal) -> str | None:
    """Why ``final_mg_per_ml`` cannot be the final concentration of an IV dose, or None."""
    if not final_mg_per_ml.is_finite() or final_mg_per_ml <= 0:
        return f"must be above 0 mg/mL, got {final_mg_per_ml}"
    limit = IV_FINAL_CONCENTRATION.limit_mg_per_ml
    if final_mg_per_ml > limit:
        return (
            f"{final_mg_per_ml} mg/mL is not an IV final concentration: at most {limit} mg/mL "
            f"({IV_FINAL_CONCENTRATION.source}). Dilute the stock in a bag or syringe."
        )
    return None


def ceilings_for(p: Protocol) -> tuple[Ceiling, ...]:
    """The rows that apply to ``p`` (its drug, route and indication)."""
    return tuple(c for c in CEILINGS if c.applies_to(p))


# --------------------------------------------------------------------------------------------
# What a protocol allows at worst


def _hours(p: Protocol) -> Decimal | None:
    if p.route is not Route.IV_INFUSION or not p.infusion_minutes or p.infusion_minutes <= 0:
        return None
    return Decimal(p.infusion_minutes) / 60


def _session_mg(p: Protocol, amount: Decimal, basis: DoseBasis, weight_kg: Decimal) -> Decimal:
    """The mg of one session for ``amount`` in ``basis``, after the rule's own caps."""
    d = p.dose
    hours = _hours(p)
    if basis is DoseBasis.FIXED_MG:
        mg = amount
    elif basis is DoseBasis.MG_PER_KG:
        mg = amount * weight_kg
    else:
        rate = amount * weight_kg if basis is DoseBasis.MG_PER_KG_PER_HOUR else amount
        if d.cap_rate_mg_per_h is not None:
            rate = min(rate, d.cap_rate_mg_per_h)
        mg = rate * (hours or Decimal(1))
    if d.cap_total_mg is not None:
        mg = min(mg, d.cap_total_mg)
    return mg


def _value(q: Quantity, mg: Decimal, weight_kg: Decimal, hours: Decimal | None) -> Decimal:
    value = mg / weight_kg if q.per_kg else mg
    if q.per_hour:
        value = value / (hours or Decimal(1))
    return value


def _worst(p: Protocol, amount: Decimal, basis: DoseBasis, q: Quantity) -> Decimal:
    """The most of ``q`` that ``amount`` gives any patient: session mg grows with weight and
    mg/kg shrinks with it (the caps are minimums), so the worst case is the heaviest patient
    for mg and the lightest for mg/kg."""
    weight = DOSING_WEIGHT_MIN_KG if q.per_kg else DOSING_WEIGHT_MAX_KG
    return _value(q, _session_mg(p, amount, basis, weight), weight, _hours(p))


def _amounts(p: Protocol) -> Iterator[tuple[str, Decimal, DoseBasis]]:
    """Every dose the protocol names: field, value, and the basis the value is in."""
    d = p.dose
    for name in ("usual", "minimum", "maximum", "cap"):
        yield f"dose.{name}", getattr(d, name), d.basis
    mg = DoseBasis.FIXED_MG
    for i, value in enumerate(d.fixed_doses_mg):
        yield f"dose.fixed_doses_mg[{i}]", value, mg
    if d.first_dose_mg is not None:
        yield "dose.first_dose_mg", d.first_dose_mg, mg
    for i, esc in enumerate(d.escalations):
        yield f"dose.escalations[{i}].dose_mg", esc.dose_mg, mg
    for i, ph in enumerate(p.schedule):
        for k, value in enumerate(ph.dose_options_mg):
            yield f"schedule[{i}].dose_options_mg[{k}]", value, mg
        for k, value in enumerate(ph.dose_steps):
            yield f"schedule[{i}].dose_steps[{k}]", value, d.basis


def _allowed(p: Protocol, c: Ceiling, basis: DoseBasis) -> str:
    """The ceiling in the unit of the field, where one number says it (linear, no caps)."""
    one = Decimal(1)
    weight = DOSING_WEIGHT_MIN_KG if c.quantity.per_kg else DOSING_WEIGHT_MAX_KG
    hours = _hours(p)
    if basis in RATE_BASED and hours is None:
        return ""
    if basis is DoseBasis.FIXED_MG or basis is DoseBasis.MG_PER_HOUR:
        mg_per_unit = (hours or one) if basis is DoseBasis.MG_PER_HOUR else one
    else:
        mg_per_unit = weight * ((hours or one) if basis is DoseBasis.MG_PER_KG_PER_HOUR else one)
    per_unit = _value(c.quantity, mg_per_unit, weight, hours)
    if c.quantity.per_kg == (basis in (DoseBasis.MG_PER_KG, DoseBasis.MG_PER_KG_PER_HOUR)):
        limit = (c.limit / per_unit).quantize(Decimal("0.001")).normalize()
        return f" Allowed: {'below' if c.below else 'at most'} {limit:f} {basis.unit}."
    if c.quantity.per_kg:
        return ""  # a fixed dose against a mg/kg ceiling: it depends on the lightest patient
    total = (
        "dose.cap_rate_mg_per_h"
        if basis in RATE_BASED and c.quantity.per_hour
        else "dose.cap_total_mg"
    )
    return f" Set {total} so that no patient passes it."


def protocol_problems(p: Protocol) -> list[tuple[str, str]]:
    """(field, message) for every dose of ``p`` that could pass a ceiling for some patient, and
    for a drug and route without a ceiling. Empty: the protocol stays under every ceiling."""
    rows = ceilings_for(p)
    if not rows:
        return [
            (
                "route",
                f"no dose ceiling is known for {p.drug} by {p.route}; a protocol needs one "
                "(treatment/domain/ceilings.py, each with its source)",
            )
        ]
    if (any(c.quantity.per_hour for c in rows) or p.dose.basis in RATE_BASED) and _hours(p) is None:
        return []  # validation refuses the missing infusion duration, or the rate outside one
    problems: list[tuple[str, str]] = []
    for field, amount, basis in _amounts(p):
        if not amount.is_finite() or amount <= 0:
            continue  # refused by validation with its own message
        for c in rows:
            worst = _worst(p, amount, basis, c.quantity)
            if not c.exceeded_by(worst):
                continue
            over = ""
            if c.quantity.per_hour and basis not in RATE_BASED:
                over = f" over the {p.infusion_minutes}-minute infusion"
            who = "a 20 kg patient" if c.quantity.per_kg else "a 350 kg patient"
            if (basis in (DoseBasis.MG_PER_KG, DoseBasis.MG_PER_KG_PER_HOUR)) == c.quantity.per_kg:
                who = "any patient"
            shown = worst.quantize(Decimal("0.001")).normalize()
            problems.append(
                (
                    field,
                    f"{amount} {basis.unit} gives {who} {shown:f} {c.quantity.unit}{over}; "
                    f"{c}.{_allowed(p, c, basis)}",
                )
            )
    return problems


# --------------------------------------------------------------------------------------------
# A dose at the chair


def dose_problems(p: Protocol, *, dose_mg: Decimal, weight_kg: Decimal | None) -> list[str]:
    """Why ``dose_mg`` for this patient passes a ceiling of ``p``'s drug and route (empty: it
    does not). Without a weight, mg/kg is judged for the lightest patient a dose can be
    computed for (20 kg), the worst case. No override makes these doses possible."""
    rows = ceilings_for(p)
    if not rows:
        return [f"No dose ceiling is known for {p.drug} by {p.route}: no dose can be given."]
    weight = weight_kg if weight_kg is not None and weight_kg > 0 else DOSING_WEIGHT_MIN_KG
    hours = _hours(p)
    problems: list[str] = []
    for c in rows:
        if c.quantity.per_hour and hours is None:
            problems.append(f"{p.route} needs an infusion duration to check {c.bound}.")
            continue
        value = _value(c.quantity, dose_mg, weight, hours)
        if c.exceeded_by(value):
            shown = value.quantize(Decimal("0.001")).normalize()
            per = f" at {weight} kg" if c.quantity.per_kg else ""
            problems.append(
                f"{dose_mg} mg is {shown:f} {c.quantity.unit}{per}; {c}: refused, no override "
                "can allow it."
            )
    return problems
