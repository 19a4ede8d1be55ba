"""Two nurses draw the last milligrams of a vial at the same moment: exactly one succeeds and the
balance never goes negative (the clinic's ledger head is locked; on SQLite the IMMEDIATE
transaction mode serialises writers). Runs on whichever database the suite runs on: SQLite by
default, PostgreSQL with DATABASE_URL=postgres://..."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from ketaclinic import testing
from ketaclinic.inventory import services
from ketaclinic.inventory.models import LedgerEntry
from ketaclinic.inventory.stock import balances_for
from ketaclinic.inventory.verify import ledger_verify

RACERS = 4


@contextlib.contextmanager
def race_database(tmp_path: Path) -> Iterator[Callable[[], None]]:
    """The database the racing threads use, configured as in production.

    On PostgreSQL: the test database itself. On SQLite the test database lives in memory with a
    shared cache, where a second writer fails at once ("table is locked") instead of waiting as it
    does on the production file database (WAL, IMMEDIATE transactions, a busy timeout). So the
    in-memory database, with everything set up so far, is copied to a file, and each racing thread,
    and the main thread for the checks afterwards, connects to that file with the production
    settings. Yields the function a thread calls first to use it."""
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():  # type: ignore[attr-defined]  # SQLite's wrapper has it
        yield lambda: None
        return
    path = tmp_path / "race.sqlite3"
    target = sqlite3.connect(path)
    connection.ensure_connection()
    connection.connection.backup(target)
    target.close()
    settings_dict: dict[str, Any] = {**connection.settings_dict, "NAME": str(path)}
    wrapper_class = type(connections["default"])
    assert settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"

    def use_file() -> None:
        connections["default"] = wrapper_class(dict(settings_dict), "default")

    main = connections["default"]
    try:
        yield use_file
    finally:
        connections["default"].close()
        connections["default"] = main


@pytest.mark.django_db(transaction=True)
def test_racing_nurses_cannot_both_draw_the_last_stock(
    receive, nurse, prescriber, clinic_admin, make_patient, make_member, clinic, tmp_path
) -> None:
    iv = testing.shipped_protocol(clinic_admin, "iv_racemic_depression")
    nurses = [nurse, prescriber] + [
        make_member(clinic, f"nurse{i}", "nurse") for i in range(RACERS - 2)
    ]
    sessions = []
    for i in range(RACERS):
        patient = make_patient(prescriber, given_name=f"Racer{i}")
        testing.weigh(prescriber, patient)
        sessions.append(testing.session_now(prescriber=prescriber, patient=patient, version=iv))
    vial = receive().containers.get()  # 500 mg
    with race_database(tmp_path) as use_database:
        outcomes = _race(use_database, nurses, sessions, vial)
        assert len(outcomes) == RACERS, outcomes
        assert outcomes.count("drawn") == 1, outcomes
        assert all("Only 200.000 mg are left" in o for o in outcomes if o != "drawn"), outcomes
        use_database()
        assert balances_for([vial.pk])[vial.pk] == Decimal(200)
        assert LedgerEntry.objects.filter(kind="administration").count() == 1
        assert ledger_verify().ok


def _race(
    use_database: Callable[[], None], nurses: list[Any], sessions: list[Any], vial: Any
) -> list[str]:
    barrier = threading.Barrier(RACERS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def draw(i: int) -> None:
        use_database()
        try:
            barrier.wait(timeout=30)
            services.administration_record(
                by=nurses[i],
                session=sessions[i],
                container=vial,
                drawn=Decimal(300),
                administered=Decimal(300),
            )
            result = "drawn"
        except ValidationError as exc:
            result = f"refused: {exc.messages[0]}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=draw, args=(i,)) for i in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return outcomes
