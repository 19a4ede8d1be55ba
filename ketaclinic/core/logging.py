"""A logging filter that keeps patient data and secrets out of log lines (OWASP ASVS 7.1.1-2).

Query strings can hold search terms (patient names, dates of birth) and tokens: they are cut from any
path a log record carries. Known secret-bearing keys are masked.
"""

from __future__ import annotations

import logging
import re

_QUERY = re.compile(r"(\?[^\s\"']*)")
_SECRET = re.compile(r"(?i)(password|passwd|token|secret|otp|code)=([^&\s]+)")


def scrub(text: str) -> str:
    text = _SECRET.sub(r"\1=[scrubbed]", text)
    return _QUERY.sub("?[scrubbed]", text)


class ScrubFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = scrub(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True
