"""Hepatic impairment and the dose: what the esketamine PI section 8.6 asks (clinical.md 12).

Pure module: no Django import. The level is recorded on the patient (``patients.models.Patient.
hepatic_impairment``): moderate (Child-Pugh B) may need longer monitoring, a protocol setting
(``Protocol.min_observation_minutes_moderate_hepatic``); severe (Child-Pugh C) is not recommended
for esketamine, so dosing needs a prescriber's override with a reason. "unknown" changes nothing
here: the chair shows it so that it gets asked.
"""

from __future__ import annotations

from ketaclinic.treatment.domain.protocol import Drug, Protocol

__all__ = ["HEPATIC_LEVELS", "hepatic_dose_message", "observation_minutes"]

#: Hepatic impairment as recorded on the patient (``patients.models.HepaticImpairment``).
HEPATIC_LEVELS = ("none", "mild", "moderate", "severe", "unknown")


def hepatic_dose_message(protocol: Protocol, hepatic_impairment: str) -> str | None:
    """Why this patient's hepatic impairment needs a prescriber's override to dose, or None.

    Severe hepatic impairment (Child-Pugh C): esketamine is not recommended (PI 8.6,
    clinical.md 12), so a dose needs a prescriber's override with a reason.
    """
    if hepatic_impairment not in HEPATIC_LEVELS:
        raise ValueError(
            f"hepatic_impairment: allowed {', '.join(HEPATIC_LEVELS)}; got {hepatic_impairment!r}"
        )
    if protocol.drug is Drug.ESKETAMINE and hepatic_impairment == "severe":
        return (
            "Severe hepatic impairment: esketamine is not recommended (PI 8.6): a prescriber's "
            "override with a reason is needed."
        )
    return None


def observation_minutes(protocol: Protocol, hepatic_impairment: str) -> int:
    """The protocol's minimum observation for this patient: longer with moderate hepatic
    impairment when the protocol sets it (``min_observation_minutes_moderate_hepatic``)."""
    longer = protocol.min_observation_minutes_moderate_hepatic
    if hepatic_impairment == "moderate" and longer is not None:
        return max(longer, protocol.min_observation_minutes)
    return protocol.min_observation_minutes
