"""The products a ketamine clinic typically stocks, as data. The NDCs here are placeholders in a
labeler range no manufacturer uses (the demo and the tests need some): a clinic adds its own
products with the NDC printed on its packages."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class CatalogueProduct:
    ndc: str
    name: str
    drug: str  # inventory.models.Drug value
    form: str
    mg_per_ml: Decimal | None = None
    volume_ml: Decimal | None = None
    mg_per_device: Decimal | None = None
    devices_per_container: int | None = None


CATALOGUE = (
    CatalogueProduct(
        "00000-501-10",
        "Ketamine HCl injection 50 mg/mL",
        "racemic_ketamine",
        "10 mL multi-dose vial",
        mg_per_ml=Decimal(50),
        volume_ml=Decimal(10),
    ),
    CatalogueProduct(
        "00000-101-05",
        "Ketamine HCl injection 100 mg/mL",
        "racemic_ketamine",
        "5 mL multi-dose vial",
        mg_per_ml=Decimal(100),
        volume_ml=Decimal(5),
    ),
    CatalogueProduct(
        "00000-281-01",
        "Esketamine nasal spray 28 mg",
        "esketamine",
        "28 mg device",
        mg_per_device=Decimal(28),
        devices_per_container=1,
    ),
    CatalogueProduct(
        "00000-282-02",
        "Esketamine nasal spray 56 mg",
        "esketamine",
        "56 mg kit (2 devices)",
        mg_per_device=Decimal(28),
        devices_per_container=2,
    ),
    CatalogueProduct(
        "00000-283-03",
        "Esketamine nasal spray 84 mg",
        "esketamine",
        "84 mg kit (3 devices)",
        mg_per_device=Decimal(28),
        devices_per_container=3,
    ),
)
