"""Words for the drug and route codes of treatment/domain/protocol.py (pure)."""

from __future__ import annotations

#: Words for the codes of treatment/domain/protocol.py (Drug, Route).
DRUG_LABELS = {
    "racemic_ketamine": "Ketamine (racemic)",
    "esketamine": "Esketamine",
}
ROUTE_LABELS = {
    "iv_infusion": "Intravenous infusion",
    "iv_bolus": "Intravenous bolus",
    "im": "Intramuscular",
    "subcutaneous": "Subcutaneous",
    "oral": "Oral",
    "intranasal_racemic": "Intranasal (racemic)",
    "esketamine_nasal": "Nasal spray device",
}


def drug_label(code: str) -> str:
    return DRUG_LABELS.get(code, code.replace("_", " "))


def route_label(code: str) -> str:
    return ROUTE_LABELS.get(code, code.replace("_", " "))
