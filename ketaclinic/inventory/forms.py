"""Forms of the ledger pages. Every typed number has a plausibility limit; the witness types their
own username, password and code on the same screen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from ketaclinic.inventory.domain.quantities import (
    MAX_CONTAINERS_PER_RECEIPT,
    MAX_DEVICES_PER_CONTAINER,
    MAX_MG_PER_CONTAINER,
)
from ketaclinic.inventory.models import (
    Container,
    CountKind,
    Drug,
    InventoryKind,
    Location,
    LossKind,
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
            ("loss_reported", "Recorded as a loss or theft: the ledger stands"),
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


# --------------------------------------------------------------------------------------------------
# Destruction, transfer, loss or theft (views/movements.py)


def _amount_field(container: Container, label: str) -> forms.DecimalField:
    """An amount from one container: above zero, at most what a full container holds (the
    service then checks the balance the ledger holds)."""
    full = container.product.full_quantity
    return forms.DecimalField(
        label=f"{label} ({container.product.unit_label})",
        min_value=Decimal("0.001") if container.product.unit == "mg" else Decimal(1),
        max_value=full,
        decimal_places=3 if container.product.unit == "mg" else 0,
        help_text=f"At most {full.normalize():f} {container.product.unit_label}, a full container.",
    )


class SecondWitnessMixin(forms.Form):
    second_witness_username = forms.CharField(
        label="Second witness: username",
        max_length=150,
        help_text="Another person again, not the first witness.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    second_witness_password = forms.CharField(
        label="Second witness: password",
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    second_witness_token = forms.CharField(
        label="Second witness: 6-digit code",
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def second_sign_off(self) -> WitnessSignOff:
        d = self.cleaned_data
        return WitnessSignOff(
            d["second_witness_username"], d["second_witness_password"], d["second_witness_token"]
        )


class DestroyForm(WitnessMixin, SecondWitnessMixin):
    method = forms.CharField(
        label="Method (how it was made non-retrievable)",
        max_length=200,
        help_text="For example: mixed into a chemical digestion kit.",
    )
    place = forms.CharField(label="Where it was destroyed", max_length=200)
    destroyed_on = forms.DateField(
        label="Date destroyed",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Today or within the last 7 days.",
    )

    def __init__(self, *args: Any, container: Container, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"] = _amount_field(container, "Amount destroyed")
        order = [
            "amount", "method", "place", "destroyed_on",
            "witness_username", "witness_password", "witness_token",
            "second_witness_username", "second_witness_password", "second_witness_token",
        ]  # fmt: skip
        self.order_fields(order)


class TransferForm(forms.Form):
    to_location = forms.ModelChoiceField(queryset=Location.objects.none(), label="Move it to")

    def __init__(self, *args: Any, locations: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_location"].queryset = locations  # type: ignore[attr-defined]


class RegistrantTransferForm(forms.Form):
    recipient_name = forms.CharField(label="Recipient registrant's name", max_length=200)
    recipient_address = forms.CharField(
        label="Recipient's address", max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    recipient_dea_number = forms.CharField(
        label="Recipient's DEA number", max_length=9, min_length=9, help_text="e.g. AB1234563"
    )
    document_number = forms.CharField(label="Invoice or packing slip number", max_length=64)
    shipped_on = forms.DateField(
        label="Date shipped",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Today or within the last 7 days.",
    )


class LossForm(forms.Form):
    kind = forms.ChoiceField(label="What happened", choices=LossKind.choices)
    discovered_on = forms.DateField(
        label="Date found",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Today or within the last 7 days: the reporting deadlines run from this date.",
    )
    note = forms.CharField(
        label="What was found, by whom, what was done",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, container: Container, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"] = _amount_field(container, "Amount lost")
        self.order_fields(["kind", "amount", "discovered_on", "note"])


class LossReportUpdateForm(forms.Form):
    notice_sent_on = forms.DateField(
        label="Written notice to the DEA Field Division sent on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    form_106_filed_on = forms.DateField(
        label="DEA Form 106 filed on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    form_106_reference = forms.CharField(
        label="Form 106 confirmation number", max_length=64, required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("form_106_filed_on") and not (data.get("form_106_reference") or "").strip():
            self.add_error("form_106_reference", "Give the confirmation number of the filing.")
        if not data.get("notice_sent_on") and not data.get("form_106_filed_on"):
            if not self.errors:
                raise forms.ValidationError("Give the date the notice was sent or Form 106 filed.")
        return data


# --------------------------------------------------------------------------------------------------
# Set-up: products and locations (views/setup.py)


class ProductForm(forms.Form):
    ndc = forms.CharField(label="NDC", max_length=13, help_text="10 digits in three parts.")
    name = forms.CharField(label="Name", max_length=200)
    drug = forms.ChoiceField(label="Drug", choices=Drug.choices)
    form = forms.CharField(
        label="Form", max_length=64, help_text="For example: 10 mL multi-dose vial."
    )
    mg_per_ml = forms.DecimalField(
        label="Concentration (mg/mL), for a vial",
        required=False,
        min_value=Decimal("0.001"),
        max_value=Decimal(500),
        decimal_places=3,
    )
    volume_ml = forms.DecimalField(
        label="Volume (mL), for a vial",
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal(100),
        decimal_places=2,
    )
    mg_per_device = forms.DecimalField(
        label="mg per device, for a nasal spray kit",
        required=False,
        min_value=Decimal(1),
        max_value=Decimal(100),
        decimal_places=3,
    )
    devices_per_container = forms.IntegerField(
        label="Devices per kit",
        required=False,
        min_value=1,
        max_value=MAX_DEVICES_PER_CONTAINER,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        vial = data.get("mg_per_ml") is not None or data.get("volume_ml") is not None
        kit = data.get("mg_per_device") is not None or data.get("devices_per_container") is not None
        if vial and kit:
            raise forms.ValidationError(
                "Fill in either the vial (concentration and volume) or the kit (mg per device "
                "and devices), not both."
            )
        if not vial and not kit and not self.errors:
            raise forms.ValidationError(
                "Fill in the vial's concentration and volume, or the kit's mg per device and "
                "devices."
            )
        return data


class LocationForm(forms.Form):
    name = forms.CharField(label="Name", max_length=100, help_text="For example: Main safe.")
    serves_sessions = forms.BooleanField(
        label="Sessions draw from here when their chair has no cabinet of its own", required=False
    )
    chairs = forms.CharField(
        label="Chairs or rooms it serves, one per line",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


# --------------------------------------------------------------------------------------------------
# The draw from stock for a dose recorded at the chair (views/chair.py)

_NOW_SLACK = dt.timedelta(minutes=1)  # the service's own tolerance for a clock a minute apart


class DrawForm(forms.Form):
    """The ledger entry of a dose: which container, how much was drawn, given and wasted, when.
    The amount given and the time are filled in from the dose record (and say so); any waste is
    witnessed by a second person who authenticates again on this screen."""

    container = forms.ChoiceField(
        label="Drawn from (container in stock at this chair)",
        error_messages={
            "invalid_choice": "Choose one of the containers in stock at this chair: the "
            "protocol's drug, in date, with stock left."
        },
    )
    occurred_at = forms.DateTimeField(
        label="When it was given",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    witness_username = forms.CharField(
        label="Witness of the waste: username",
        max_length=150,
        required=False,
        help_text="Needed when anything is wasted: a second person types their own username, "
        "password and 6-digit code.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    witness_password = forms.CharField(
        label="Witness of the waste: password",
        required=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    witness_token = forms.CharField(
        label="Witness of the waste: 6-digit code",
        max_length=6,
        min_length=6,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(
        self,
        *args: Any,
        containers: list[Container],
        devices: bool,
        given: Decimal,
        dose_started_at: dt.datetime,
        dose_recorded_by: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.containers = {str(c.pk): c for c in containers}
        self.devices = devices
        self.dose_started_at = dose_started_at
        unit = "devices" if devices else "mg"
        self.unit = unit
        self.fields["container"].choices = [("", "Choose the container")] + [  # type: ignore[attr-defined]  # a ChoiceField
            (str(c.pk), _container_choice(c)) for c in containers
        ]
        top = Decimal(MAX_DEVICES_PER_CONTAINER) if devices else MAX_MG_PER_CONTAINER
        shown = f"{given.normalize():f} {unit}"
        source = (
            f"Filled in from the dose record ({shown} given, recorded by {dose_recorded_by}); "
            "the ledger refuses another amount."
        )
        self.fields["administered"] = self._amount(f"Given to the patient ({unit})", top, source)
        self.fields["drawn"] = self._amount(
            f"Drawn from the container ({unit})",
            top,
            "Given plus wasted. Filled in as the amount given; for a kit, draw the whole kit "
            "and waste the unused device."
            if devices
            else "Given plus wasted. Filled in as the amount given; add what is left in the "
            "syringe.",
        )
        self.fields["wasted"] = self._amount(
            f"Wasted ({unit})",
            top,
            "The residue in the syringe or the unused device of a kit; 0 when nothing is "
            "wasted. The rest of an opened vial stays in stock.",
            minimum=Decimal(0),
        )
        self.fields["occurred_at"].help_text = (
            "Filled in from the dose record's start time. Not before the dose started "
            f"({timezone.localtime(dose_started_at):%Y-%m-%d %H:%M}) and not in the future."
        )
        self.initial.setdefault("administered", given)
        self.initial.setdefault("drawn", given)
        self.initial.setdefault("wasted", Decimal(0))
        self.initial.setdefault("occurred_at", dose_started_at)
        self.order_fields(
            ["container", "administered", "drawn", "wasted", "occurred_at",
             "witness_username", "witness_password", "witness_token"]
        )  # fmt: skip

    def _amount(
        self, label: str, top: Decimal, help_text: str, minimum: Decimal | None = None
    ) -> forms.DecimalField:
        if minimum is None:
            minimum = Decimal(1) if self.devices else Decimal("0.001")
        return forms.DecimalField(
            label=label,
            min_value=minimum,
            max_value=top,
            decimal_places=0 if self.devices else 3,
            help_text=help_text,
        )

    def clean_container(self) -> Container:
        value = self.cleaned_data["container"]
        found = self.containers.get(value)
        if found is None:
            raise forms.ValidationError("Choose one of the containers in stock at this chair.")
        return found

    def clean_occurred_at(self) -> dt.datetime:
        value: dt.datetime = self.cleaned_data["occurred_at"]
        started_minute = self.dose_started_at.replace(second=0, microsecond=0)
        if value == started_minute:
            return self.dose_started_at  # the prefilled minute: the dose record's own time
        if value < started_minute:
            started = timezone.localtime(self.dose_started_at)
            raise forms.ValidationError(
                f"This is before the dose started ({started:%Y-%m-%d %H:%M})."
            )
        if value > timezone.now() + _NOW_SLACK:
            raise forms.ValidationError("This time is in the future.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        container, drawn = data.get("container"), data.get("drawn")
        given, wasted = data.get("administered"), data.get("wasted")
        if isinstance(container, Container) and drawn is not None:
            full = container.product.full_quantity
            if drawn > full:
                self.add_error(
                    "drawn",
                    f"At most {full.normalize():f} {self.unit}: what a full {container.label} "
                    "holds.",
                )
        if drawn is not None and given is not None and wasted is not None:
            if given + wasted != drawn:
                self.add_error(
                    "wasted",
                    f"Given ({given.normalize():f}) and wasted ({wasted.normalize():f}) must add "
                    f"up to the {drawn.normalize():f} {self.unit} drawn.",
                )
        if wasted and not (data.get("witness_username") or "").strip():
            self.add_error(
                "witness_username",
                "Something is wasted: a second person witnesses it and types their own username, "
                "password and 6-digit code.",
            )
        return data

    def sign_off(self) -> WitnessSignOff | None:
        d = self.cleaned_data
        if not (d.get("witness_username") or "").strip():
            return None
        return WitnessSignOff(d["witness_username"], d["witness_password"], d["witness_token"])


def _container_choice(c: Container) -> str:
    balance = c.__dict__.get("balance")
    held = "" if balance is None else f", {balance.normalize():f} {c.product.unit_label} left"
    return (
        f"{c.label}: {c.product.name}, lot {c.lot_number}, expires {c.expiry_date:%Y-%m-%d}"
        f"{held}, {c.location.name}"
    )
