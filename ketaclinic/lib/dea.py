"""DEA registration number format and check digit.

Format: two letters then seven digits; the first letter is the registrant type, the second the first
letter of the registrant's surname (or 9 for some business registrations). Check digit: the last digit
of (d1 + d3 + d5) + 2 * (d2 + d4 + d6) equals d7. Source: DEA Diversion Control, "Registration number
format", as summarised in 21 CFR 1301 practice guides (format unverified against current DEA text; the
check is advisory-level strict: a mistyped number is refused, a real one always passes).
"""

from __future__ import annotations

import re

_PATTERN = re.compile(r"^[A-Z][A-Z9][0-9]{7}$")


def dea_number_problem(value: str) -> str | None:
    """None when valid, else a sentence saying what is wrong."""
    if not _PATTERN.match(value):
        return "must be two letters followed by seven digits, e.g. AB1234563"
    d = [int(c) for c in value[2:]]
    check = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10
    if check != d[6]:
        return f"has a wrong check digit (the last digit should be {check})"
    return None
