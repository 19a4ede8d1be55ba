"""The ledger's pages; one module per page group."""

from ketaclinic.inventory.views.counts import count, count_detail, resolve
from ketaclinic.inventory.views.reports import inventories, inventory_detail, log, log_csv
from ketaclinic.inventory.views.stock import container, entries, entry_reverse, receive, stock

__all__ = [
    "container",
    "count",
    "count_detail",
    "entries",
    "entry_reverse",
    "inventories",
    "inventory_detail",
    "log",
    "log_csv",
    "receive",
    "resolve",
    "stock",
]
