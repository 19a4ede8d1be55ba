"""The ledger's pages; one module per page group."""

from ketaclinic.inventory.views.chair import draw
from ketaclinic.inventory.views.counts import count, count_detail, resolve
from ketaclinic.inventory.views.movements import (
    destroy,
    loss,
    loss_report,
    loss_reports,
    registrant_transfer,
    transfer,
)
from ketaclinic.inventory.views.reports import inventories, inventory_detail, log, log_csv
from ketaclinic.inventory.views.setup import location_new, product_new, setup
from ketaclinic.inventory.views.stock import container, entries, entry_reverse, receive, stock

__all__ = [
    "container",
    "count",
    "count_detail",
    "destroy",
    "draw",
    "entries",
    "entry_reverse",
    "inventories",
    "inventory_detail",
    "location_new",
    "log",
    "log_csv",
    "loss",
    "loss_report",
    "loss_reports",
    "product_new",
    "receive",
    "registrant_transfer",
    "resolve",
    "setup",
    "stock",
    "transfer",
]
