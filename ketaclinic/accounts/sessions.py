"""Database sessions whose expiry ends the server-side session (OWASP ASVS 3.3.1-2, check S4).

Django's database backend refuses an expired session but leaves its row until ``clearsessions`` runs.
Here the row of an expired session is deleted the moment it is presented, so an idle timeout ends the
server-side session as a logout does.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self) -> Any:
        key = self.session_key
        session = super()._get_session_from_db()  # type: ignore[misc]  # private in django-stubs
        if session is None and key:
            self.model.objects.filter(session_key=key, expire_date__lte=timezone.now()).delete()
        return session
