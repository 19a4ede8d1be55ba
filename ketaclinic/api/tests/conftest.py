"""Fixtures of the API tests: a bearer token for a persona, and the request headers that carry it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ketaclinic.accounts.models import Membership
from ketaclinic.api.tokens import api_token_create


@pytest.fixture
def bearer(db: Any) -> Callable[..., dict[str, str]]:
    """``bearer(membership)``: the headers of a request with a new token of that membership."""

    def _bearer(membership: Membership, **kwargs: Any) -> dict[str, str]:
        new = api_token_create(by=membership, membership=membership, name="test client", **kwargs)
        return {"Authorization": f"Bearer {new.secret}"}

    return _bearer
