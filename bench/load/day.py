"""The clinic day of bench/load.py as rates, and the per-type summary of wrk's responses."""

from __future__ import annotations

from typing import Any

DAY_SECONDS = 12 * 3600  # a 12-hour clinic day
SESSIONS = 20 * 10  # 20 chairs x 10 sessions
# Requests per second of one clinic, averaged over its day (bench/load.py's docstring).
DAY_PER_CLINIC = {
    "board": 4 / 10,  # 4 nurse stations, every 10 s
    "vitals": SESSIONS * 12 * 4 / DAY_SECONDS,  # 12 rounds x 4 readings a session
    "chart": SESSIONS * 10 / DAY_SECONDS,  # 10 chart or session page views a session
    "scale_page": SESSIONS / DAY_SECONDS,  # the patient opens the self-report link...
    "scale_submit": SESSIONS / DAY_SECONDS,  # ...and submits it
}
EXPORTS_PER_CLINIC_DAY = 2
# What each request type answers when it worked (a board poll whose rows are unchanged: 204).
EXPECTED: dict[str, tuple[int, ...]] = {
    "board": (200, 204),
    "vitals": (201,),
    "chart": (200,),
    "scale_page": (200,),
    "scale_submit": (200,),
}


def percentile(values: list[int], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000  # us -> ms


def summarise(
    rows: list[tuple[str, int, int]], seconds: float, socket_errors: int
) -> dict[str, Any]:
    """Per type and overall: count, rate, p50/p95/p99 ms (all responses), errors (any other status
    than the type's expected one), status counts; the overall error rate counts socket errors."""
    types: dict[str, Any] = {}
    for kind in [*EXPECTED, "all"]:
        picked = [r for r in rows if kind in {"all", r[0]}]
        if not picked:
            continue
        latencies = [us for _, _, us in picked]
        errors = sum(1 for k, status, _ in picked if status not in EXPECTED[k])
        statuses: dict[int, int] = {}
        for _, status, _ in picked:
            statuses[status] = statuses.get(status, 0) + 1
        types[kind] = {
            "count": len(picked),
            "ok": len(picked) - errors,
            "rate": len(picked) / seconds,
            "p50": percentile(latencies, 0.50),
            "p95": percentile(latencies, 0.95),
            "p99": percentile(latencies, 0.99),
            "errors": errors,
            "statuses": dict(sorted(statuses.items())),
        }
    total = len(rows) + socket_errors
    failed = (types.get("all", {}).get("errors", 0)) + socket_errors
    return {
        "types": types,
        "seconds": seconds,
        "socket_errors": socket_errors,
        "error_rate": failed / total if total else 0.0,
        "throughput": len(rows) / seconds,
    }
