"""Query budgets: the number of SQL statements each main page takes, for the role that uses it,
on a clinic with a little of everything (issue 15). A page that starts reading row by row, or a
middleware that starts reading on its own, fails here.

Every budget includes the one query that reads the session, user, second factor and memberships
(accounts/sessions.py) and, on pages that show patient data, the read audit event (its chain head
lock, insert and head update: ReadAuditMiddleware). When a change lowers a count, lower the budget
with it; when a change must raise one, say why in the commit. The budget is a maximum: PostgreSQL
and SQLite differ by a statement or two in how a transaction begins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketaclinic import testing
from ketaclinic.treatment import services
from ketaclinic.treatment.tests.conftest import esk_dose

pytestmark = pytest.mark.django_db


def _count(client: Any, url: str) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries), [q["sql"] for q in captured.captured_queries]


@pytest.fixture
def busy_clinic(prescriber, nurse, clinic_admin, make_patient) -> dict[str, Any]:
    """Three patients, each with a session today: one checked in, two dosed with readings."""
    version = testing.shipped_protocol(clinic_admin, "esketamine_trd")
    sessions = []
    for i in range(3):
        s = testing.checked_in_session(
            nurse=nurse,
            prescriber=prescriber,
            version=version,
            patient=make_patient(prescriber),
            chair=f"Chair {i + 1}",
            decision_note="budget",
            vitals_minutes_ago=30,
        )
        if i:
            esk_dose(nurse, s, minutes_ago=20)
            s.refresh_from_db()
            for value in (70, 72, 74):
                services.observation_record(by=nurse, session=s, code="heart_rate", value=value)
        sessions.append(s)
    return {"session": sessions[1], "patient": sessions[1].patient}


# (persona, page, budget): page is a URL name or a callable of the busy clinic's objects. The
# same counts on SQLite and PostgreSQL (2026-12-01); each was 3 more before the session, user,
# TOTP device and memberships were read in one query.
Page = str | Callable[[dict[str, Any]], str]
BUDGETS: list[tuple[str, Page, int]] = [
    # +1 each: the clinic's protocol versions with follow-up ratings (the "Follow-up ratings
    # due" panel; OCD's Y-BOCS at one week).
    ("prescriber", "home", 20),
    ("nurse", "home", 14),
    ("front_desk", "home", 3),
    ("inventory_manager", "home", 2),
    ("researcher", "home", 2),
    ("clinic_admin", "home", 5),
    ("nurse", "patients:list", 8),
    ("nurse", lambda o: reverse("patients:detail", kwargs={"pk": o["patient"].pk}), 17),
    # +1: the ledger's "Record the draw from stock" tag (inventory) asks whether the dose is drawn.
    # -7 (issue 15): the readings and decisions read once (prefetched), not 5 and 4 times.
    ("nurse", lambda o: reverse("treatment:session", kwargs={"session_id": o["session"].pk}), 29),
    # +1 (issue 15): the clinic's data version (the audit chain head's write counter), read
    # first, so that an unchanged poll can answer 204 (below).
    ("nurse", "treatment:board", 13),
    ("nurse", "treatment:board_rows", 13),
    ("nurse", "alerts:list", 2),
    ("inventory_manager", "inventory:stock", 6),  # +1: today's undrawn doses
    ("clinic_admin", "audit:list", 4),
    ("prescriber", "scales:outcomes", 5),
    # No summary yet, so the live path: on PostgreSQL its transaction also sets work_mem and jit
    # (a savepoint and two SET LOCAL: 12); SQLite 11.
    ("researcher", "research:cohort", 12),
    ("researcher", "research:exports", 3),
]


def _name(page: Page) -> str:
    return page if isinstance(page, str) else "detail page"


@pytest.mark.parametrize(
    ("persona", "page", "budget"),
    BUDGETS,
    ids=[f"{p}-{_name(u)}-{i}" for i, (p, u, _) in enumerate(BUDGETS)],
)
def test_each_main_page_stays_within_its_query_budget(
    request: pytest.FixtureRequest, busy_clinic, login, persona: str, page: Page, budget: int
) -> None:
    membership = request.getfixturevalue(persona)
    client = login(membership)
    client.get(reverse("home"))  # the first request renews the session (one write): not counted
    url = reverse(page) if isinstance(page, str) else page(busy_clinic)
    client.get(url)  # warm: a page's first view may record a one-off (a read audit head)
    queries, sql = _count(client, url)
    assert queries <= budget, f"{queries} queries (budget {budget}):\n" + "\n".join(sql)


def test_a_reading_posted_at_the_chair_stays_within_its_query_budget(busy_clinic, login, nurse):
    """The busiest write (issue 15): session + user + second factor + memberships (one query),
    the one-time form token, the session locked, the reading, the pre-dose readings for the
    alert rules, the audit chain head locked, the audit event and the head moved (one statement
    on PostgreSQL, two on SQLite). Was 10 (and 12 before the session's one query). Plus 2 here:
    inside the test's own transaction, the form token's transaction is a savepoint."""
    session = busy_clinic["session"]
    client = login(nurse)
    client.get(reverse("home"))  # the first request renews the session (one write): not counted
    url = reverse("treatment:observation", kwargs={"session_id": session.pk})
    before = session.observations.count()
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            url,
            {"code": "heart_rate", "value": "76", "form_token": "budget-reading-0001"},
            HTTP_HX_REQUEST="true",
        )
    assert response.status_code == 201
    assert session.observations.count() == before + 1
    sql = [q["sql"] for q in captured.captured_queries]
    budget = (7 if connection.vendor == "postgresql" else 8) + 2
    assert len(sql) <= budget, f"{len(sql)} queries (budget {budget}):\n" + "\n".join(sql)


def test_an_unchanged_board_poll_stays_within_its_query_budget(busy_clinic, login, nurse):
    """A board poll whose rows are unchanged (issue 15): the session, user, second factor and
    memberships (one query) and the clinic's data version (one primary-key read); no rows read,
    no read event written (204)."""
    client = login(nurse)
    client.get(reverse("home"))  # the first request renews the session (one write): not counted
    url = reverse("treatment:board_rows")
    rendered = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    version = rendered.split('data-board-version="', 1)[1].split('"', 1)[0]
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, HTTP_HX_REQUEST="true", HTTP_X_BOARD_VERSION=version)
    assert response.status_code == 204
    sql = [q["sql"] for q in captured.captured_queries]
    assert len(sql) <= 2, f"{len(sql)} queries (budget 2):\n" + "\n".join(sql)
