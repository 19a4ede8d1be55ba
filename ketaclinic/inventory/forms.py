"""Forms of the ledger pages. Every typed number has a plausibility limit; the witness types their
own username, password and code on the same screen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms

from ketaclinic.inventory.domain.quantities import MAX_CONTAINERS_PER_RECEIPT, MAX_MG_PER_CONTAINER
from ketaclinic.inventory.models import (
    Container,
    CountKind,
    InventoryKind,
    Location,
    Product,
    TakenAt,
)
from ketaclinic.inventory.services import WitnessSignOff

MAX_LOG_DAYS = 3 * 366


class WitnessMixin(forms.Form):
    witness_username = forms.CharField(
        label="Witness: username",
        max_length=150,
        help_text="A second person types their own username, password and 6-digit code.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    witness_password = forms.CharField(
        label="Witness: password",
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    witness_token = forms.CharField(
        label="Witness: 6-digit code",
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def sign_off(self) -> WitnessSignOff:
        d = self.cleaned_data
        return WitnessSignOff(d["witness_username"], d["witness_password"], d["witness_token"])


class ReceiveForm(WitnessMixin):
    product = forms.ModelChoiceField(queryset=Product.objects.none(), label="Product (NDC)")
    location = forms.ModelChoiceField(queryset=Location.objects.none(), label="Store it in")
    lot_number = forms.CharField(label="Lot number", max_length=64)
    expiry_date = forms.DateField(
        label="Expiry date", widget=forms.DateInput(attrs={"type": "date"})
    )
    container_count = forms.IntegerField(
        label="Containers received", min_value=1, max_value=MAX_CONTAINERS_PER_RECEIPT
    )
    supplier_name = forms.CharField(label="Supplier name", max_length=200)
    supplier_address = forms.CharField(
        label="Supplier address", max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    supplier_dea_number = forms.CharField(label="Supplier DEA number", max_length=9, min_length=9)
    invoice_number = forms.CharField(label="Invoice number", max_length=64)
    received_on = forms.DateField(
        label="Date received", widget=forms.DateInput(attrs={"type": "date"})
    )

    field_order = [
        "product", "lot_number", "expiry_date", "container_count", "location",
        "supplier_name", "supplier_address", "supplier_dea_number", "invoice_number",
        "received_on", "witness_username", "witness_password", "witness_token",
    ]  # fmt: skip

    def __init__(self, *args: Any, products: Any, locations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["product"].queryset = products  # type: ignore[attr-defined]
        self.fields["location"].queryset = locations  # type: ignore[attr-defined]
        self.fields["product"].label_from_instance = lambda p: f"{p.name}, {p.form} (NDC {p.ndc})"  # type: ignore[attr-defined]


class WasteForm(WitnessMixin):
    amount = forms.DecimalField(
        label="Amount wasted", min_value=Decimal("0.001"), max_value=MAX_MG_PER_CONTAINER,
        decimal_places=3,
    )  # fmt: skip
    reason = forms.CharField(label="Why", max_length=500, initial="Remainder of an opened vial")

    field_order = ["amount", "reason", "witness_username", "witness_password", "witness_token"]


class ReverseForm(forms.Form):
    reason = forms.CharField(label="Why this entry is wrong", max_length=500)


class CountForm(forms.Form):
    kind = forms.ChoiceField(label="Count", choices=CountKind.choices)

    def __init__(self, *args: Any, containers: list[Container], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.containers = containers
        for c in containers:
            unit = c.product.unit_label
            self.fields[f"c{c.pk}"] = forms.DecimalField(
                label=f"{c.label}: {c.product.name}, lot {c.lot_number} ({unit} counted)",
                min_value=Decimal(0),
                max_value=MAX_MG_PER_CONTAINER if c.product.unit == "mg" else Decimal(3),
                decimal_places=3,
            )

    def counted(self) -> dict[int, Decimal]:
        return {c.pk: self.cleaned_data[f"c{c.pk}"] for c in self.containers}


class ResolveForm(forms.Form):
    investigation_note = forms.CharField(
        label="What the investigation found",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=[
            ("adjust", "Adjust the ledger to the counted quantity"),
            ("count_error", "The count was wrong: the ledger stands"),
        ],
        widget=forms.RadioSelect,
    )


class InventoryForm(forms.Form):
    kind = forms.ChoiceField(label="Inventory", choices=InventoryKind.choices)
    time_of_day = forms.ChoiceField(label="Taken", choices=TakenAt.choices)


class PeriodForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To (inclusive)", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if isinstance(start, dt.date) and isinstance(end, dt.date):
            if end < start:
                self.add_error("end", "The period ends before it starts.")
            elif (end - start).days > MAX_LOG_DAYS:
                self.add_error("end", "Choose a period of at most three years.")
        return data
