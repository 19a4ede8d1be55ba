"""The checks of one patients row, built once per import from the registry's own definitions.

The text columns take their required flag and length limit from ``patients.Patient``'s fields,
``sex`` its choices, ``email`` Django's ``EmailValidator`` (the model's), ``phone`` the
registry's ``rules.phone_e164`` (kept in E.164, read in the clinic's country) and ``birth_date``
and ``weight_kg`` the registry's plausibility rules, so an imported patient meets the rules of
``patients.services.patient_create``. Plausibility limits and why:

- ``birth_date``: a real calendar date as YYYY-MM-DD, not in the future (in the clinic's time
  zone) and at most ``rules.MAX_AGE_YEARS`` (120) years ago: no verified human lifespan exceeds
  122 years, so an older date is a typing or conversion error (``rules.date_of_birth_problem``).
- ``weight_kg``: ``rules.MIN_WEIGHT_KG`` to ``rules.MAX_WEIGHT_KG`` (20-400 kg), the range the
  weight form accepts; outside it a value is almost surely in the wrong unit or mistyped, and doses
  are computed from the latest weight. At most one decimal, as the chart stores it.
- ``weight_measured_on`` (optional): the date the weight was measured, YYYY-MM-DD, not in the
  future (the clinic's today) and not before the birth date; only with a weight. The chart keeps
  it as the start of that day in the clinic's time zone, marked "date from the import file; time
  of day not given". Without it the weight's time is the import's, marked "recorded at import",
  so that it is never mistaken for the time of a measurement (``MeasuredAtFilled``).

Messages name the allowed values but never repeat an identifying cell (a name, an e-mail, a
telephone number, a date of birth), so the terminal output can be kept without patient data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import models

from ketaclinic.patients import rules
from ketaclinic.patients.models import Patient, Sex
from ketaclinic.research.imports.common import WHOLE_ROW, RowProblem

COLUMNS = (
    "mrn", "given_name", "family_name", "birth_date", "sex", "email", "phone", "address_line",
    "city", "state", "postal_code",
)  # fmt: skip
OPTIONAL = ("weight_kg", "weight_measured_on", "different_person")
# The file's column -> the model's field, where they differ.
FIELD = {"birth_date": "date_of_birth"}
# The Patient fields a checked row gives, in this order (the rest take the model's defaults).
WRITTEN = (
    "mrn", "given_name", "family_name", "address_line", "city", "state", "postal_code", "sex",
    "date_of_birth", "email", "phone", "search_name",
)  # fmt: skip
TEXT_COLUMNS = ("mrn", "given_name", "family_name", "address_line", "city", "state", "postal_code")

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_WEIGHT = re.compile(r"[0-9]{1,3}(\.[0-9])?")
_YES = {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False, "false": False}
_SEX = {
    **{str(value).casefold(): str(value) for value in Sex.values},
    **{str(label).casefold(): str(value) for value, label in Sex.choices},
}
_SEX_ALLOWED = ", ".join(str(v) for v in Sex.values)


@dataclass(frozen=True)
class _Text:
    column: str
    field: str
    required: bool
    max_length: int


def _text_rules() -> tuple[_Text, ...]:
    found = []
    for column in TEXT_COLUMNS:
        model_field = Patient._meta.get_field(FIELD.get(column, column))
        if not isinstance(model_field, models.CharField):  # every text column is one
            raise TypeError(f"Patient.{model_field.name} is not a text field")
        max_length = model_field.max_length or 10_000
        found.append(_Text(column, model_field.name, not model_field.blank, max_length))
    return tuple(found)


class CheckedPatient(NamedTuple):
    number: int
    fields: dict[str, Any]  # Patient field -> value, ready for Patient(**fields)
    weight_kg: Decimal | None
    weight_measured_on: date | None  # from the file; None: not given
    different_person: bool
    name_key: str  # rules.search_key(given, family): the likely-duplicate comparison


class PatientRowRules:
    """Precomputed checks; ``check`` turns one row into a ``CheckedPatient`` or problems."""

    def __init__(self, *, today: date, country: str) -> None:
        self.today = today
        self.country = country
        self.texts = _text_rules()
        email_field = Patient._meta.get_field("email")
        self.email_max = getattr(email_field, "max_length", None) or 254
        self.validate_email = EmailValidator()

    def check(
        self, number: int, row: dict[str, str]
    ) -> tuple[CheckedPatient | None, list[RowProblem]]:
        problems: list[RowProblem] = []
        add = problems.append
        fields: dict[str, Any] = {}
        if WHOLE_ROW in row:
            add(RowProblem(number, WHOLE_ROW, row[WHOLE_ROW]))
        for rule in self.texts:
            value = row.get(rule.column, "")
            if not value:
                if rule.required:
                    add(RowProblem(number, rule.column, "required; the cell is empty"))
            elif len(value) > rule.max_length:
                add(
                    RowProblem(
                        number,
                        rule.column,
                        f"at most {rule.max_length} characters (it has {len(value)})",
                    )
                )
            fields[rule.field] = value
        sex = _SEX.get(row.get("sex", "").casefold())
        if sex is None:
            shown = row.get("sex", "")
            add(RowProblem(number, "sex", f"one of {_SEX_ALLOWED}, not {shown!r}"))
        fields["sex"] = sex
        fields["date_of_birth"] = self._birth_date(number, row.get("birth_date", ""), add)
        fields["email"] = self._email(number, row.get("email", ""), add)
        phone, problem = rules.phone_e164(row.get("phone", ""), self.country)
        if problem:
            add(RowProblem(number, "phone", problem))
        fields["phone"] = phone
        weight = self._weight(number, row.get("weight_kg", ""), add)
        measured_on = self._measured_on(
            number,
            row.get("weight_measured_on", ""),
            row.get("weight_kg", ""),
            fields["date_of_birth"],
            add,
        )
        different = _YES.get(row.get("different_person", "").casefold(), None)
        if row.get("different_person", "") and different is None:
            add(RowProblem(number, "different_person", "yes, no or empty"))
        if problems:
            return None, problems
        name_key = rules.search_key(fields["given_name"], fields["family_name"])
        fields["search_name"] = name_key
        return CheckedPatient(number, fields, weight, measured_on, bool(different), name_key), []

    def _birth_date(self, number: int, text: str, add: Any) -> date | None:
        if not text:
            add(RowProblem(number, "birth_date", "required; the cell is empty"))
            return None
        try:
            if not _DATE.fullmatch(text):
                raise ValueError(text)
            born = date.fromisoformat(text)
        except ValueError:
            add(
                RowProblem(
                    number,
                    "birth_date",
                    "a real calendar date as YYYY-MM-DD (for example 1980-02-29 does not exist)",
                )
            )
            return None
        problem = rules.date_of_birth_problem(born, self.today)
        if problem:
            add(RowProblem(number, "birth_date", problem))
        return born

    def _email(self, number: int, text: str, add: Any) -> str:
        if not text:
            return ""
        if len(text) > self.email_max:
            add(RowProblem(number, "email", f"at most {self.email_max} characters"))
            return text
        try:
            self.validate_email(text)
        except ValidationError:
            add(RowProblem(number, "email", "an e-mail address such as name@example.org"))
        return text

    def _weight(self, number: int, text: str, add: Any) -> Decimal | None:
        if not text:
            return None  # not measured
        if not _WEIGHT.fullmatch(text):
            add(
                RowProblem(
                    number,
                    "weight_kg",
                    f"a weight in kg with at most one decimal, such as 72.5, not {text!r}",
                )
            )
            return None
        weight = Decimal(text)
        problem = rules.weight_problem(weight)
        if problem:
            add(RowProblem(number, "weight_kg", problem))
        return weight

    def _measured_on(
        self, number: int, text: str, weight_text: str, born: date | None, add: Any
    ) -> date | None:
        if not text:
            return None  # not given: the import's time, marked as such
        column = "weight_measured_on"
        try:
            if not _DATE.fullmatch(text):
                raise ValueError(text)
            measured = date.fromisoformat(text)
        except ValueError:
            add(
                RowProblem(number, column, "a real calendar date as YYYY-MM-DD, such as 2026-11-30")
            )
            return None
        if not weight_text:
            add(RowProblem(number, column, "a measurement date needs a weight in weight_kg"))
            return None
        if measured > self.today:
            add(
                RowProblem(
                    number, column, f"cannot be in the future (today is {self.today.isoformat()})"
                )
            )
        elif born is not None and measured < born:
            add(RowProblem(number, column, "cannot be before the birth date"))
        return measured
