"""The catalogue and the storage: products (shared, by NDC) and each clinic's locations."""

from __future__ import annotations

import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from ketaclinic.accounts.models import Membership
from ketaclinic.accounts.permissions import Perm
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.inventory.domain.quantities import (
    MAX_DEVICES_PER_CONTAINER,
    MAX_MG_PER_CONTAINER,
    Unit,
)
from ketaclinic.inventory.models import Drug, Location, Product
from ketaclinic.inventory.services._common import require, text

_NDC = re.compile(r"^\d{4,5}-\d{3,4}-\d{1,2}$")


@transaction.atomic
def product_create(
    *,
    by: Membership,
    ndc: str,
    name: str,
    drug: Drug,
    form: str,
    mg_per_ml: Decimal | None = None,
    volume_ml: Decimal | None = None,
    mg_per_device: Decimal | None = None,
    devices_per_container: int | None = None,
) -> Product:
    require(by, Perm.STOCK_MANAGE)
    ndc = ndc.strip()
    if not _NDC.match(ndc) or len(ndc.replace("-", "")) != 10:
        raise ValidationError({"ndc": "An NDC has 10 digits in three parts, e.g. 12345-678-90."})
    if Product.objects.filter(ndc=ndc).exists():
        raise ValidationError({"ndc": "A product with this NDC exists."})
    if devices_per_container:
        unit = Unit.DEVICE
        if not 1 <= devices_per_container <= MAX_DEVICES_PER_CONTAINER or not mg_per_device:
            raise ValidationError({"devices_per_container": "1 to 3 devices, with mg per device."})
    else:
        unit = Unit.MG
        if not mg_per_ml or not volume_ml or mg_per_ml <= 0 or volume_ml <= 0:
            raise ValidationError({"mg_per_ml": "Give the concentration and the volume."})
        if mg_per_ml * volume_ml > MAX_MG_PER_CONTAINER:
            raise ValidationError({"volume_ml": "More than 5,000 mg in one container: check it."})
    product = Product.objects.create(
        ndc=ndc,
        name=text(name, "name", limit=200),
        drug=str(drug),
        form=text(form, "form", limit=64),
        unit=str(unit),
        mg_per_ml=mg_per_ml if unit is Unit.MG else None,
        volume_ml=volume_ml if unit is Unit.MG else None,
        mg_per_device=mg_per_device if unit is Unit.DEVICE else None,
        devices_per_container=devices_per_container if unit is Unit.DEVICE else None,
    )
    audit_record(
        event_type=EventType.STOCK_SETUP_CHANGED, actor=by, obj=product, extra={"ndc": ndc}
    )
    return product


@transaction.atomic
def location_create(
    *, by: Membership, name: str, serves_sessions: bool = False, chairs: str = ""
) -> Location:
    require(by, Perm.STOCK_MANAGE)
    name = text(name, "name", limit=100)
    if Location.objects.filter(clinic_id=by.clinic_id, name=name).exists():
        raise ValidationError({"name": "A location with this name exists."})
    location = Location.objects.create(
        clinic_id=by.clinic_id,
        name=name,
        serves_sessions=serves_sessions,
        chairs=text(chairs, "chairs", required=False, limit=500),
    )
    audit_record(
        event_type=EventType.STOCK_SETUP_CHANGED, actor=by, obj=location, extra={"name": name}
    )
    return location


def catalogue_install(*, by: Membership) -> list[Product]:
    """The catalogue's products (``domain/catalogue.py``), those not yet present."""
    from ketaclinic.inventory.domain.catalogue import CATALOGUE

    made = []
    for item in CATALOGUE:
        found = Product.objects.filter(ndc=item.ndc).first()
        if found is None:
            found = product_create(
                by=by,
                ndc=item.ndc,
                name=item.name,
                drug=Drug(item.drug),
                form=item.form,
                mg_per_ml=item.mg_per_ml,
                volume_ml=item.volume_ml,
                mg_per_device=item.mg_per_device,
                devices_per_container=item.devices_per_container,
            )
        made.append(found)
    return made
