"""The seed of bench/load.py: clinics with sessions in progress, staff signed in, history,
self-report links and API tokens. Synthetic data only, into the scratch database."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass
class Seeded:
    lua: dict[str, Any] = field(default_factory=dict)
    api_tokens: list[str] = field(default_factory=list)
    started: dt.datetime | None = None


def _cookie(member: Any, clinic: Any) -> str:
    """A server-side session made the way the real sign-in leaves it (password, verified TOTP
    device, auth time, active clinic)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ketaclinic.accounts.middleware import AUTH_TIME_KEY, CLINIC_KEY
    from ketaclinic.accounts.sessions import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(member.user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = member.user.get_session_auth_hash()
    store[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=member.user).persistent_id
    store[AUTH_TIME_KEY] = time.time()
    store[CLINIC_KEY] = clinic.pk
    store.set_expiry(3600)
    store.create()
    return str(store.session_key)


def seed(*, clinics: int, chairs: int, links: int) -> Seeded:
    import django

    django.setup()
    from django.utils import timezone

    from ketaclinic import testing
    from ketaclinic.accounts.permissions import Role
    from ketaclinic.api.tokens import api_token_create
    from ketaclinic.scales.services import scale_response_record, self_report_link_create
    from ketaclinic.treatment import services

    password = "loadtest-Harbour-lighthouse-2026"  # noqa: S105 - scratch database only
    out = Seeded()
    per_clinic_links = -(-links // clinics)
    link_rows: list[list[str]] = []
    lua_clinics = []
    for c in range(clinics):
        clinic = testing.make_clinic(f"load{c}", f"Load Clinic {c}", "America/New_York")

        def member(username: str, role: Role, clinic: Any = clinic) -> Any:
            return testing.make_member(
                clinic, username, role, password=password, first_name="L", last_name=username
            )

        admin = member(f"l{c}-admin", Role.CLINIC_ADMIN)
        prescriber = member(f"l{c}-prescriber", Role.PRESCRIBER)
        nurse = member(f"l{c}-nurse", Role.NURSE)
        researcher = member(f"l{c}-researcher", Role.RESEARCHER)
        version = testing.shipped_protocol(admin, "esketamine_trd")
        make_patient = testing.patient_maker()
        now = timezone.now()
        sessions, patients, patient_rows = [], [], []
        for i in range(chairs):
            patient = make_patient(
                prescriber,
                mrn=f"L{c:03d}-{i:03d}",
                given_name="Chair",
                family_name=f"Patient{c}x{i}",
                date_of_birth=dt.date(1980, 1, 1),
            )
            testing.weigh(prescriber, patient, "70", days_ago=30)
            for weeks in (4, 2):  # a little history for the chart
                scale_response_record(
                    by=nurse,
                    patient=patient,
                    code="phq9",
                    answers=[2] * 9,
                    effective_at=now - dt.timedelta(weeks=weeks),
                )
            s = testing.checked_in_session(
                nurse=nurse,
                prescriber=prescriber,
                version=version,
                patient=patient,
                systolic=124,
                diastolic=78,
                vitals_minutes_ago=20,
                chair=f"Chair {i + 1}",
                decision_note="load test",
            )
            services.dose_record(
                by=nurse,
                session=s,
                dose_mg=Decimal("56"),
                product="SPRAVATO",
                lot_number="LOAD",
                expiry_date=(now + dt.timedelta(days=300)).date(),
                device_times=[now - dt.timedelta(minutes=10), now - dt.timedelta(minutes=5)],
            )
            sessions.append(s.pk)
            patients.append(str(patient.pk))
            patient_rows.append(patient)
        for n in range(per_clinic_links):
            patient = patient_rows[n % len(patient_rows)]
            _, secret = self_report_link_create(by=nurse, patient=patient, codes=["phq9"])
            link_rows.append([secret, f"198.51.{c}.{n % 250 + 1}"])
        token = api_token_create(by=researcher, membership=researcher, name="load test exports")
        out.api_tokens.append(token.secret)
        lua_clinics.append(
            {
                "nurse": _cookie(nurse, clinic),
                "prescriber": _cookie(prescriber, clinic),
                "sessions": sessions,
                "patients": patients,
            }
        )
    out.lua = {"clinics": lua_clinics, "links": link_rows}
    out.started = timezone.now()
    return out
