"""Schemathesis over the OpenAPI document (issue 13's test): generated requests for every
operation never get a 5xx, and without a token every operation answers 401.

Through Django's WSGI application, in the test's own database transaction; a few examples per
operation keep it well under a minute."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.core.result import Ok

from ketaclinic.accounts.models import Membership
from ketaclinic.api.tokens import api_token_create

OPENAPI = "/api/v1/openapi.json"
EXAMPLES = 8


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """As Django's test client does: a WSGI request would close the database connection at its
    end (``close_old_connections``), ending the test's transaction on PostgreSQL."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token_headers(prescriber: Membership, make_patient: Any, settings: Any, tmp_path: Any) -> Any:
    settings.VAR_DIR = tmp_path
    make_patient(prescriber)  # something to list
    secret = api_token_create(by=prescriber, membership=prescriber, name="fuzz").secret
    return {"Authorization": f"Bearer {secret}"}


_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _operations() -> list[Any]:
    """Every operation of the document (loaded from the app, as a client would)."""
    schema = schemathesis.openapi.from_wsgi(OPENAPI, get_wsgi_application())
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result  # an operation the document describes wrongly
        operations.append(result.ok())
    return operations


def test_the_document_lists_every_operation(db: Any) -> None:
    labels = {op.label for op in _operations()}
    assert labels == {
        "GET /api/v1/patients",
        "GET /api/v1/patients/{patient_id}",
        "GET /api/v1/patients/{patient_id}/scale-responses",
        "POST /api/v1/patients/{patient_id}/scale-responses",
        "GET /api/v1/sessions",
        "GET /api/v1/sessions/{session_id}",
        "POST /api/v1/exports",
        "GET /api/v1/exports/{export_id}",
        "GET /api/v1/exports/{export_id}/download",
    }


def test_no_operation_answers_a_server_error(token_headers: Any) -> None:
    for operation in _operations():

        @given(case=operation.as_strategy())
        @_SETTINGS
        def check(case: Any) -> None:
            response = case.call(headers=token_headers)
            assert response.status_code < 500, (case.method, case.path, response.text[:300])
            kind = response.headers.get("content-type", [""])[0]  # lower-case names, lists
            assert kind.startswith(("application/json", "application/zip")), kind
            if response.status_code >= 400:
                assert response.json()["message"]

        check()


def test_every_operation_needs_a_token(db: Any) -> None:
    for operation in _operations():

        @given(case=operation.as_strategy())
        @_SETTINGS
        def check(case: Any) -> None:
            wrong = case.call(headers={"Authorization": "Bearer kc_not-a-token"})
            assert wrong.status_code == 401, (case.method, case.path)
            assert case.call(headers={}).status_code == 401, (case.method, case.path)

        check()
