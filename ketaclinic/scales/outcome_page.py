"""What the clinic outcomes page and its CSV export show (issue 14): the filter form (indication,
protocol, period), the tables per scale with their charts, and the CSV rows. The views in
``scales/views.py`` compose this with the treatment app's courses (``treatment.selectors
.outcome_courses``), which this module receives as data, so that scales never imports treatment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, Protocol, cast

from django import forms

from ketaclinic.scales import get_definition, selectors
from ketaclinic.scales import outcomes as outcome_tables
from ketaclinic.scales.outcome_chart import outcome_chart

# The scales whose response and remission the page reports; each rule is read from the scale's
# definition in ``scales/scoring`` (PCL-5 and Y-BOCS: response only, no remission threshold).
OUTCOME_CODES = ("phq9", "madrs", "gad7", "qids_sr16", "hamd17", "pcl5", "ybocs")
EARLIEST_DATE = dt.date(2000, 1, 1)  # plausibility limit of the period filter
FILTER_FIELDS = ("indication", "protocol", "start", "end")
CSV_COLUMNS = (
    "Scale",
    "Group",
    "Patients with a baseline",
    "Patients with follow-up",
    "Time point",
    "n",
    "Responders",
    "Response rate (%)",
    "Remitters",
    "Remission rate (%)",
)
DATE_ERROR = "Enter a date as YYYY-MM-DD, for example 2025-01-31."


class OutcomeFilterForm(forms.Form):
    indication = forms.ChoiceField(label="Indication", required=False)
    protocol = forms.ChoiceField(label="Protocol", required=False)
    start = forms.DateField(
        label="Treatment started on or after",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": DATE_ERROR},
    )
    end = forms.DateField(
        label="Treatment started on or before",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": DATE_ERROR},
    )

    def __init__(
        self,
        *args: Any,
        indications: Sequence[tuple[str, str]],
        protocols: Sequence[tuple[str, str]],
        today: dt.date,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        indication = cast("forms.ChoiceField", self.fields["indication"])
        protocol = cast("forms.ChoiceField", self.fields["protocol"])
        indication.choices = [("", "All indications"), *indications]
        protocol.choices = [("", "All protocols"), *protocols]
        for name, field, offered in (
            ("an indication", indication, indications),
            ("a protocol", protocol, protocols),
        ):
            allowed = ", ".join(label for _, label in offered)
            field.error_messages["invalid_choice"] = (
                f"%(value)s is not {name} of this clinic's courses; choose one of: "
                f"{allowed or 'none yet'}."
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("start", "end"):
            value = data.get(name)
            if value is not None and not EARLIEST_DATE <= value <= self.today:
                self.add_error(
                    name,
                    f"Choose a date from {EARLIEST_DATE.isoformat()} to today "
                    f"({self.today.isoformat()}).",
                )
        start, end = data.get("start"), data.get("end")
        if start and end and end < start and not self.has_error("end"):
            self.add_error("end", "The end of the period cannot be before its start.")
        return data


@dataclass(frozen=True)
class Filters:
    indication: str = ""
    protocol: str = ""
    start: dt.date | None = None
    end: dt.date | None = None

    @property
    def active(self) -> bool:
        return bool(self.indication or self.protocol or self.start or self.end)


class Courses(Protocol):
    """What the page needs from the treatment app's ``OutcomeCourses``."""

    @property
    def groups(self) -> Mapping[str, list[Any]]: ...
    @property
    def session_times(self) -> Mapping[Any, list[dt.datetime]]: ...
    @property
    def patients(self) -> set[Any] | None: ...


def filters_from(form: OutcomeFilterForm) -> Filters | None:
    """The validated filters, or None when the form refused a value (its errors say which)."""
    if not form.is_valid():
        return None
    d = form.cleaned_data
    return Filters(d["indication"] or "", d["protocol"] or "", d["start"], d["end"])


def filter_data(query: Mapping[str, str]) -> dict[str, str]:
    return {k: query[k] for k in FILTER_FIELDS if str(query.get(k, "")).strip()}


def outcome_tables_for(
    *, clinic_id: int, tz: tzinfo, filters: Filters, courses: Courses
) -> tuple[list[dict[str, Any]], list[Any]]:
    """Per scale with responses: its rule in words, the rows per group, and the chart of the first
    row (all patients, or all matching the filters); and the definitions of scales without any."""
    series = selectors.clinic_outcome_series(clinic_id=clinic_id, codes=OUTCOME_CODES)
    everyone = "All patients matching the filters" if filters.active else "All patients"
    tables: list[dict[str, Any]] = []
    empty = []
    for code in OUTCOME_CODES:
        per_patient = series.get(code, {})
        if courses.patients is not None:
            per_patient = {k: v for k, v in per_patient.items() if k in courses.patients}
        if filters.start or filters.end:
            chosen = outcome_tables.started_in_period(
                per_patient, courses.session_times, filters.start, filters.end, tz
            )
            per_patient = {k: v for k, v in per_patient.items() if k in chosen}
        definition = get_definition(code)
        if not per_patient:
            empty.append(definition)
            continue
        groups = {everyone: list(per_patient), **courses.groups}
        rows = outcome_tables.outcome_table(
            per_patient, groups, code=code, anchors=courses.session_times
        )
        rows = [row for row in rows if row.patients]
        remission = definition.outcome_rule.remission_at_or_below is not None
        tables.append(
            {
                "code": code,
                "definition": definition,
                "rule": outcome_tables.rule_text(code),
                "rows": rows,
                "chart": outcome_chart(rows[0].cells, show_remission=remission),
                "chart_group": rows[0].group,
                "show_remission": remission,
            }
        )
    return tables, empty


def _percent(rate: float | None) -> str:
    return "" if rate is None else f"{rate * 100:.1f}"


def csv_rows(tables: list[dict[str, Any]]) -> Iterator[list[Any]]:
    """The table as CSV rows (header first), one row per scale, group and time point."""
    yield list(CSV_COLUMNS)
    for table in tables:
        remission = table["show_remission"]
        for row in table["rows"]:
            for cell in row.cells:
                yield [
                    table["definition"].name,
                    row.group,
                    row.patients,
                    row.with_follow_up,
                    cell.label,
                    cell.n,
                    cell.responders,
                    _percent(cell.response_rate),
                    cell.remitters if remission else "",
                    _percent(cell.remission_rate) if remission else "",
                ]
