"""What an audit event may store about patient data (issue 10, finding 8). Pure: no Django import.

OWASP ASVS 8.3.5 asks for ids, not the data; 21 CFR 11.10(e) asks that a change never hide the
prior value. Both hold with one rule per field, applied centrally by ``audit_record``:

- Events without a patient (staff, roles, clinic settings, sign-ins) keep old and new values: they
  are not chart contents and Part 11 wants them.
- In events about a patient, ``changes`` always names the fields; values are kept only
  - for state fields (``STATE_FIELDS``: status, phase, archived, scheduled time, ...), old and new;
  - for corrections that overwrite a record in place (``IN_PLACE_EVENTS``: the record keeps no
    version of its own, so the trail is where the prior value survives), the old value only (the
    new value is in the record, and becomes the old value of the next correction's event);
  - otherwise none: creates (the record holds the values) and corrections that keep the prior
    version in their own rows (measurement and scale corrections, signed-session amendments,
    entries marked in error).
- ``extra`` of an event about a patient keeps ids and workflow keys (``SAFE_EXTRA_KEYS`` and keys
  ending in ``_id``, ``_ids``, ``_by``, ``_at``); any other key is withheld and listed by name in
  ``extra["withheld"]``. An unknown key is therefore withheld until it is added here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

STATE_FIELDS = frozenset(
    {
        "status",
        "phase",
        "cancelled",
        "is_archived",
        "is_active",
        "role",
        "scheduled_at",
        "effective_at",
        "stopped_on",
        "must_change_password",
    }
)

IN_PLACE_EVENTS = frozenset(
    {
        "patient.updated",
        "patient.medication_updated",
        "treatment.course_updated",
        "treatment.session_updated",  # the REMS monitoring form is filled in place before signing
    }
)

SAFE_EXTRA_KEYS = frozenset(
    {
        "amends",
        "changed",
        "closures",
        "code",
        "codes",
        "confirmation_number",
        "content_hash",
        "date",
        "filters",
        "language",
        "library_code",
        "link",
        "meaning",
        "method",  # read events: the HTTP method
        "minutes_since_dose",
        "number",
        "outcome",  # screening: eligible / precautions / not_eligible (a rule outcome, no PHI)
        "paused",
        "protocol_code",
        "purpose",
        "records",  # read events: [{type, id}] of the records a page showed (ids only)
        "records_omitted",
        "sessions",
        "sessions_to_move",
        "surveillance_item",  # which item was done (urinary, liver, benefit_review); no result
        "rules",  # screening: the ids of the rules that fired
        "rules_fired",
        "ruleset_version",
        "shortfalls",
        "source",
        "version",
        "view",  # read events: the URL name of the page
        "what",
        "why",
    }
)

_SAFE_SUFFIXES = ("_id", "_ids", "_by", "_at")


def _extra_key_is_safe(key: str) -> bool:
    return key in SAFE_EXTRA_KEYS or key.endswith(_SAFE_SUFFIXES)


def redact_changes(
    event_type: str, changes: Mapping[str, Any], *, about_patient: bool
) -> dict[str, dict[str, Any]]:
    """``{field: (old, new)}`` → ``{field: {"old": ..., "new": ...}}`` with only the kept values.

    A missing ``old`` or ``new`` means the value is not in the trail (it is in the record or in the
    record's own earlier version), never that it was empty: an empty value is stored as ``None``.
    """
    out: dict[str, dict[str, Any]] = {}
    for field, (old, new) in changes.items():
        if not about_patient or field in STATE_FIELDS:
            out[field] = {"old": old, "new": new}
        elif event_type in IN_PLACE_EVENTS:
            out[field] = {"old": old}
        else:
            out[field] = {}
    return out


def redact_extra(extra: Mapping[str, Any], *, about_patient: bool) -> dict[str, Any]:
    if not about_patient:
        return dict(extra)
    kept = {k: v for k, v in extra.items() if _extra_key_is_safe(k)}
    withheld = sorted(k for k in extra if not _extra_key_is_safe(k))
    if withheld:
        kept["withheld"] = withheld
    return kept
