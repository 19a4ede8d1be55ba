"""The controlled-substance ledger (21 CFR 1304.21-1304.22): products, storage locations,
containers, and one append-only, hash-chained ledger per clinic (each DEA registration keeps its own
records). Balances are sums of entries, never stored. Logic lives in ``domain/`` and ``services/``.

On PostgreSQL a trigger refuses UPDATE and DELETE of ledger entries (migration 0002); on both
databases ``ketaclinic ledger verify`` detects any change through the hash chain.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from ketaclinic.inventory.domain.quantities import KIND_LABELS, EntryKind, Unit


class Drug(models.TextChoices):
    RACEMIC_KETAMINE = "racemic_ketamine", "Ketamine hydrochloride (racemic)"
    ESKETAMINE = "esketamine", "Esketamine (Spravato)"


class Product(models.Model):
    """A product by NDC: name, strength and form. Shared by every clinic."""

    ndc = models.CharField("NDC", max_length=13, unique=True)
    name = models.CharField(max_length=200)
    drug = models.CharField(max_length=32, choices=Drug.choices)
    form = models.CharField(max_length=64)  # "10 mL multi-dose vial", "nasal spray device kit"
    unit = models.CharField(max_length=8, choices=[(u.value, u.label) for u in Unit])
    mg_per_ml = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    volume_ml = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    mg_per_device = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    devices_per_container = models.PositiveSmallIntegerField(null=True, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["drug", "name"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        unit="mg",
                        mg_per_ml__gt=0,
                        volume_ml__gt=0,
                        devices_per_container__isnull=True,
                    )
                    | models.Q(
                        unit="device",
                        mg_per_device__gt=0,
                        devices_per_container__gt=0,
                        mg_per_ml__isnull=True,
                    )
                ),
                name="product_unit_fields",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.form})"

    @property
    def full_quantity(self) -> Decimal:
        """What one full container holds, in the product's unit."""
        if self.unit == Unit.DEVICE:
            return Decimal(self.devices_per_container or 0)
        return (self.mg_per_ml or Decimal(0)) * (self.volume_ml or Decimal(0))

    @property
    def unit_label(self) -> str:
        return Unit(self.unit).label


class Location(models.Model):
    """A place where stock is kept in a clinic: the safe, a treatment room's locked cabinet."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100)
    # Where stock for sessions is drawn from when a session names no chair of its own location.
    serves_sessions = models.BooleanField(default=False)
    # Chairs or rooms served (session.chair), one per line.
    chairs = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "name"], name="location_name_per_clinic")
        ]

    def __str__(self) -> str:
        return self.name


class Receipt(models.Model):
    """A delivery: the supplier's name, address and DEA number, the invoice, the lot (1304.22(c))."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    supplier_name = models.CharField(max_length=200)
    supplier_address = models.TextField()
    supplier_dea_number = models.CharField(max_length=9)
    invoice_number = models.CharField(max_length=64)
    received_on = models.DateField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    lot_number = models.CharField(max_length=64)
    expiry_date = models.DateField()
    container_count = models.PositiveIntegerField()
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    witnessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["-received_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(container_count__gt=0), name="receipt_has_containers"
            ),
            models.CheckConstraint(
                condition=~models.Q(received_by=models.F("witnessed_by")),
                name="receipt_witness_is_another_person",
            ),
        ]

    def __str__(self) -> str:
        return f"Invoice {self.invoice_number}"


class Container(models.Model):
    """One vial or device kit, from its receipt on. Its stock is the sum of its entries."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="containers")
    receipt = models.ForeignKey(Receipt, on_delete=models.PROTECT, related_name="containers")
    label = models.CharField(max_length=32)  # "K-0012": written on the vial
    lot_number = models.CharField(max_length=64)
    expiry_date = models.DateField()
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="containers")
    # The first draw: set once (a punctured multi-dose vial has a beyond-use date).
    opened_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["expiry_date", "label"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "label"], name="container_label_per_clinic")
        ]

    def __str__(self) -> str:
        return f"{self.label} lot {self.lot_number}"


class LedgerHead(models.Model):
    """Each clinic's newest entry: writers lock this row to append in order (and, holding it, check
    the balance), and ``ledger verify`` compares it with the last entry to detect a deleted tail."""

    clinic = models.OneToOneField("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    last_sequence = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"ledger head {self.last_sequence}"


class LedgerEntry(models.Model):
    """One movement of stock. Only ever inserted, by ``inventory.services``; a correction is a
    reversal entry naming the original. ``change`` is signed, in the product's unit."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    sequence = models.BigIntegerField()
    kind = models.CharField(max_length=16, choices=[(k.value, v) for k, v in KIND_LABELS.items()])
    container = models.ForeignKey(Container, on_delete=models.PROTECT, related_name="entries")
    change = models.DecimalField(max_digits=12, decimal_places=3)
    # Administration: what was given to the patient and what was wasted from the syringe.
    administered = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    wasted = models.DecimalField(max_digits=12, decimal_places=3, null=True, blank=True)
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    second_witness = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    session = models.ForeignKey(
        "treatment.TreatmentSession",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    receipt = models.ForeignKey(
        Receipt, null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )
    # Free text the law asks for: the destruction method and place, the investigation note.
    note = models.TextField(blank=True)
    method = models.CharField(max_length=200, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["clinic", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "sequence"], name="ledger_sequence"),
            models.CheckConstraint(condition=~models.Q(change=0), name="ledger_change_nonzero"),
            models.CheckConstraint(
                condition=models.Q(witness__isnull=True)
                | ~models.Q(witness=models.F("recorded_by")),
                name="ledger_no_self_witness",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind="reversal") | models.Q(reverses__isnull=False),
                name="ledger_reversal_names_original",
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "kind", "occurred_at"], name="ledger_kind_time"),
            models.Index(fields=["container", "sequence"], name="ledger_container"),
        ]

    def __str__(self) -> str:
        return f"{self.sequence} {self.kind} {self.change}"

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[EntryKind(self.kind)]


class LossKind(models.TextChoices):
    THEFT = "theft", "Theft"
    SIGNIFICANT_LOSS = "loss", "Significant loss"
    BREAKAGE = "breakage", "Witnessed unrecoverable breakage (not reportable)"


class LossReport(models.Model):
    """The reporting workflow of a loss-or-theft entry: the one-business-day notice to the DEA Field
    Division and DEA Form 106 within 45 days. Dates filled in once each (audited)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    entry = models.OneToOneField(LedgerEntry, on_delete=models.PROTECT, related_name="loss_report")
    kind = models.CharField(max_length=16, choices=LossKind.choices)
    discovered_on = models.DateField()
    notice_due = models.DateField()
    form_106_due = models.DateField()
    notice_sent_on = models.DateField(null=True, blank=True)
    form_106_filed_on = models.DateField(null=True, blank=True)
    form_106_reference = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"{self.kind} found {self.discovered_on}"


class CountKind(models.TextChoices):
    SHIFT = "shift", "Shift count"
    DAILY = "daily", "Daily count"


class Count(models.Model):
    """A physical count of every container in stock at one location, against the ledger."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=CountKind.choices)
    counted_at = models.DateTimeField()
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    witnessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-counted_at"]

    def __str__(self) -> str:
        return f"{self.kind} count {self.counted_at:%Y-%m-%d %H:%M}Z"


class CountLine(models.Model):
    """Expected (the ledger's balance at the count) and counted, per container. A line whose
    numbers differ is a discrepancy until the inventory manager resolves it with an investigation
    note: by a count adjustment entry, or by finding that the count itself was wrong."""

    count = models.ForeignKey(Count, on_delete=models.PROTECT, related_name="lines")
    container = models.ForeignKey(Container, on_delete=models.PROTECT, related_name="+")
    expected = models.DecimalField(max_digits=12, decimal_places=3)
    counted = models.DecimalField(max_digits=12, decimal_places=3)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    investigation_note = models.TextField(blank=True)
    adjustment = models.OneToOneField(
        LedgerEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="count_line"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["count", "container"], name="one_line_per_container"),
            models.CheckConstraint(
                condition=models.Q(resolved_at__isnull=True) | ~models.Q(investigation_note=""),
                name="resolution_needs_note",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.container_id}: {self.expected} / {self.counted}"

    @property
    def difference(self) -> Decimal:
        return self.counted - self.expected

    @property
    def is_discrepancy(self) -> bool:
        return self.counted != self.expected


class InventoryKind(models.TextChoices):
    INITIAL = "initial", "Initial inventory"
    BIENNIAL = "biennial", "Biennial inventory"


class TakenAt(models.TextChoices):
    OPENING = "opening", "At opening of business"
    CLOSE = "close", "At close of business"


class InventoryReport(models.Model):
    """The initial or biennial inventory (1304.11): every container's balance at that moment,
    stored as taken (a snapshot: it is the record, not a view of today's stock)."""

    clinic = models.ForeignKey("accounts.Clinic", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=InventoryKind.choices)
    taken_at = models.DateTimeField()
    time_of_day = models.CharField(max_length=8, choices=TakenAt.choices)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    lines = models.JSONField(default=list)
    through_sequence = models.BigIntegerField()  # the last ledger entry it includes

    class Meta:
        ordering = ["-taken_at"]

    def __str__(self) -> str:
        return f"{self.kind} inventory {self.taken_at:%Y-%m-%d}"
