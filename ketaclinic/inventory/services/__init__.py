"""Writes to the controlled-substance ledger: every function keyword-only, in one transaction with
its audit event. Modules inside import their siblings directly, never this package."""

from ketaclinic.inventory.services.alerts import InventoryAlertRun, inventory_alerts
from ketaclinic.inventory.services.counts import (
    count_record,
    discrepancy_resolve,
    inventory_take,
)
from ketaclinic.inventory.services.movements import (
    administration_record,
    destruction_record,
    entry_reverse,
    loss_record,
    loss_report_update,
    transfer_record,
    waste_record,
)
from ketaclinic.inventory.services.receipts import receipt_record
from ketaclinic.inventory.services.registrants import registrant_transfer_record
from ketaclinic.inventory.services.setup import (
    catalogue_install,
    location_create,
    product_create,
)
from ketaclinic.inventory.services.witness import WITNESS_REFUSED, WitnessSignOff

__all__ = [
    "WITNESS_REFUSED",
    "InventoryAlertRun",
    "WitnessSignOff",
    "administration_record",
    "catalogue_install",
    "count_record",
    "destruction_record",
    "discrepancy_resolve",
    "entry_reverse",
    "inventory_alerts",
    "inventory_take",
    "location_create",
    "loss_record",
    "loss_report_update",
    "product_create",
    "receipt_record",
    "registrant_transfer_record",
    "transfer_record",
    "waste_record",
]
