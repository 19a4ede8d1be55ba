"""IV preparation: from the stock vial to the bag or syringe and the pump rate.

Pure module: no Django import. Ketalar 100 mg/mL is never given IV undiluted [Ketalar label,
clinical.md 12]: an IV dose is drawn from a stock (the vial: 10, 50 or 100 mg/mL) into a bag or
syringe made up to a final volume, and the pump runs the whole container over the infusion, so
the pump rate follows from the final concentration:

    rate (mL/h) = rate (mg/h) / final concentration (mg/mL) = final volume x 60 / minutes.

The stock volume is rounded to a measurable increment by ``dosing.round_volume`` (0.1 mL by
default, halves up, or down when up would pass the cap): the dose given is that volume times the
stock concentration, and ``dosing`` keeps the requested and the delivered mg so that the page can
show them side by side. This module takes it from there.

The final container is described by its final concentration or by its final volume (a 100 mL
bag); the other follows from the dose. A final concentration above the ceiling
(``ceilings.IV_FINAL_CONCENTRATION``, 50 mg/mL) is refused, whatever the route of the IV dose.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ketaclinic.treatment.domain.ceilings import iv_final_concentration_problem

__all__ = ["Container", "IvPreparation", "PreparationError", "prepare_container"]

_VOLUME_STEP = Decimal("0.1")
_CONCENTRATION_STEP = Decimal("0.0001")
_RATE_STEP = Decimal("0.1")


class PreparationError(ValueError):
    """The container cannot be prepared as asked; the message names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Container(enum.StrEnum):
    BAG = "bag"
    SYRINGE = "syringe"


@dataclass(frozen=True, slots=True)
class IvPreparation:
    """What the nurse prepares and the pump is set to."""

    container: Container
    stock_concentration_mg_per_ml: Decimal
    stock_volume_ml: Decimal  # drawn from the vial, rounded to a measurable volume
    dose_mg: Decimal  # stock volume x stock concentration: what is given and recorded
    final_volume_ml: Decimal  # in the bag or syringe, rounded to 0.1 mL
    final_concentration_mg_per_ml: Decimal  # dose / final volume, to 0.0001 mg/mL
    rate_ml_per_h: Decimal | None  # None for a bolus
    rate_mg_per_h: Decimal | None

    @property
    def diluent_ml(self) -> Decimal:
        return self.final_volume_ml - self.stock_volume_ml


def check_final_concentration(
    final_concentration_mg_per_ml: Decimal, *, stock_concentration_mg_per_ml: Decimal | None
) -> None:
    """Refuse a final concentration above the IV ceiling or above the stock."""
    problem = iv_final_concentration_problem(final_concentration_mg_per_ml)
    if problem:
        raise PreparationError("final_concentration_mg_per_ml", problem)
    if (
        stock_concentration_mg_per_ml is not None
        and final_concentration_mg_per_ml > stock_concentration_mg_per_ml
    ):
        raise PreparationError(
            "final_concentration_mg_per_ml",
            f"{final_concentration_mg_per_ml} mg/mL is above the stock concentration "
            f"({stock_concentration_mg_per_ml} mg/mL): a dilution cannot concentrate",
        )


def prepare_container(
    *,
    dose_mg: Decimal,
    stock_concentration_mg_per_ml: Decimal,
    stock_volume_ml: Decimal,
    container: Container | str | None,
    final_concentration_mg_per_ml: Decimal | None = None,
    final_volume_ml: Decimal | None = None,
    infusion_minutes: int | None = None,
) -> IvPreparation:
    """The bag or syringe for ``dose_mg`` drawn as ``stock_volume_ml`` of the stock. Give the
    final concentration or the final volume (if both, they must agree within 0.1 mL). Raises
    :class:`PreparationError` naming the field: an unknown container, a final concentration
    above the IV ceiling or above the stock, a final volume smaller than the stock drawn."""
    try:
        kind = Container(container or "")
    except ValueError:
        allowed = ", ".join(c.value for c in Container)
        raise PreparationError(
            "container", f"an IV dose is prepared in a {allowed}; got {container!r}"
        ) from None
    if final_concentration_mg_per_ml is None and final_volume_ml is None:
        raise PreparationError(
            "final_concentration_mg_per_ml",
            "an IV dose needs the final concentration (mg/mL) or the final volume (mL) of the "
            f"{kind}",
        )
    if final_concentration_mg_per_ml is not None:
        check_final_concentration(
            final_concentration_mg_per_ml,
            stock_concentration_mg_per_ml=stock_concentration_mg_per_ml,
        )
    if final_volume_ml is not None and (not final_volume_ml.is_finite() or final_volume_ml <= 0):
        raise PreparationError("final_volume_ml", f"must be above 0 mL, got {final_volume_ml}")
    if final_volume_ml is None:
        assert final_concentration_mg_per_ml is not None  # noqa: S101 - checked above
        volume = (dose_mg / final_concentration_mg_per_ml).quantize(_VOLUME_STEP, ROUND_HALF_UP)
    else:
        volume = final_volume_ml
        if final_concentration_mg_per_ml is not None:
            expected = (dose_mg / final_concentration_mg_per_ml).quantize(
                _VOLUME_STEP, ROUND_HALF_UP
            )
            if abs(expected - volume) > _VOLUME_STEP:
                raise PreparationError(
                    "final_volume_ml",
                    f"{dose_mg} mg at {final_concentration_mg_per_ml} mg/mL is {expected} mL, "
                    f"not {volume} mL: give one of the two, or both consistent",
                )
    if volume < stock_volume_ml:
        raise PreparationError(
            "final_volume_ml",
            f"the {kind} must hold at least the {stock_volume_ml} mL drawn from the stock, "
            f"got {volume} mL",
        )
    problem = iv_final_concentration_problem(dose_mg / volume)
    if problem:
        raise PreparationError("final_volume_ml", problem)
    rate_ml = rate_mg = None
    if infusion_minutes:
        hours = Decimal(infusion_minutes) / 60
        rate_ml = (volume / hours).quantize(_RATE_STEP, ROUND_HALF_UP)
        rate_mg = (dose_mg / hours).quantize(_RATE_STEP, ROUND_HALF_UP)
    return IvPreparation(
        container=kind,
        stock_concentration_mg_per_ml=stock_concentration_mg_per_ml,
        stock_volume_ml=stock_volume_ml,
        dose_mg=dose_mg,
        final_volume_ml=volume,
        final_concentration_mg_per_ml=(dose_mg / volume).quantize(
            _CONCENTRATION_STEP, ROUND_HALF_UP
        ),
        rate_ml_per_h=rate_ml,
        rate_mg_per_h=rate_mg,
    )
