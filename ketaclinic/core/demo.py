"""The demo clinic: one clinic, one user of every role, about 40 synthetic patients.

Idempotent (existing rows are left alone) and deterministic (a fixed random seed). Every name is
fictitious. Later capabilities append their own step to ``DEMO_STEPS``.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts.models import Clinic, Membership, User
from ketaclinic.accounts.permissions import Role
from ketaclinic.accounts.services import clinic_create, membership_grant, user_create
from ketaclinic.core.demo_data import DEMO_PASSWORD
from ketaclinic.patients import services as patient_services
from ketaclinic.patients.models import Patient

__all__ = [
    "DEMO_PASSWORD",
    "DEMO_STEPS",
    "DEMO_USERS",
    "DemoUser",
    "demo_totp_key",
    "seed_foundation",
]

SEED = 20261127
CLINIC_CODE = "demo"


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    printed_name: str
    role: Role


DEMO_USERS = (
    DemoUser("prescriber", "Dana", "Reyes", "Dana Reyes, MD", Role.PRESCRIBER),
    DemoUser("nurse", "Sam", "Okafor", "Sam Okafor, RN", Role.NURSE),
    DemoUser("frontdesk", "Lee", "Marsh", "Lee Marsh", Role.FRONT_DESK),
    DemoUser("inventory", "Kim", "Novak", "Kim Novak", Role.INVENTORY_MANAGER),
    DemoUser("researcher", "Priya", "Anand", "Priya Anand, PhD", Role.RESEARCHER),
    DemoUser("admin", "Morgan", "Hale", "Morgan Hale", Role.CLINIC_ADMIN),
)

GIVEN = [
    "Avery",
    "Blake",
    "Casey",
    "Dakota",
    "Emerson",
    "Finley",
    "Harper",
    "Jordan",
    "Kendall",
    "Logan",
    "Morgan",
    "Parker",
    "Quinn",
    "Reese",
    "Rowan",
    "Sawyer",
    "Skyler",
    "Taylor",
    "Marlow",
    "Ellis",
    "Hollis",
    "Indigo",
    "Juniper",
    "Linden",
    "Oakley",
    "Peyton",
]
FAMILY = [
    "Ashdown",
    "Brightwater",
    "Calloway",
    "Dunmore",
    "Everly",
    "Fairhurst",
    "Glenning",
    "Hartwell",
    "Ivesdale",
    "Kestrel",
    "Larkmoor",
    "Merriweather",
    "Northcott",
    "Oakhaven",
    "Pennifold",
    "Quillby",
    "Rosslyn",
    "Stilwater",
    "Thistlewood",
    "Underhay",
    "Vantrell",
    "Westbrook",
    "Yarrowby",
    "Zellmore",
]
CITIES = [("Riverton", "NY", "12601"), ("Millbrook", "NY", "12545"), ("Cold Spring", "NY", "10516")]
HISTORIES = [
    ("F33.2", "Major depressive disorder, recurrent, severe without psychotic features"),
    ("F32.2", "Major depressive disorder, single episode, severe without psychotic features"),
    ("F43.10", "Post-traumatic stress disorder, unspecified"),
    ("F42.2", "Mixed obsessional thoughts and acts"),
    ("G90.50", "Complex regional pain syndrome I, unspecified"),
    ("F41.1", "Generalized anxiety disorder"),
]
MEDICATIONS = [
    ("Sertraline", "100 mg daily", {}),
    ("Bupropion XL", "300 mg daily", {}),
    ("Escitalopram", "20 mg daily", {}),
    ("Lorazepam", "0.5 mg as needed", {"is_benzodiazepine": True}),
    ("Zolpidem", "5 mg at night", {"is_non_benzo_sedative": True}),
    ("Methylphenidate ER", "36 mg daily", {"is_psychostimulant": True}),
    ("Phenelzine", "15 mg three times daily", {"is_maoi": True}),
    ("Tramadol", "50 mg twice daily", {"is_opioid": True}),
    ("Gabapentin", "300 mg three times daily", {}),
    ("Lithium carbonate", "600 mg at night", {}),
]
ALLERGIES = [
    ("Penicillin", "Rash", "moderate"),
    ("Sulfonamides", "Hives", "mild"),
    ("Latex", "Contact dermatitis", "mild"),
]


def demo_totp_key(username: str) -> str:
    """A fixed TOTP key per demo user (hex), so `ketaclinic demo` can be re-run safely."""
    return hashlib.sha256(f"ketaclinic-demo-totp:{username}".encode()).hexdigest()[:40]


def _dea_number() -> str:
    digits = [1, 2, 3, 4, 5, 6]
    check = (digits[0] + digits[2] + digits[4] + 2 * (digits[1] + digits[3] + digits[5])) % 10
    return "BR" + "".join(map(str, digits)) + str(check)


def _clinic() -> Clinic:
    clinic = Clinic.objects.filter(code=CLINIC_CODE).first()
    if clinic is None:
        clinic = clinic_create(
            by=None,
            code=CLINIC_CODE,
            name="Riverside Ketamine Clinic (demo)",
            address="1 Demo Way, Riverton, NY 12601",
            time_zone="America/New_York",
            dea_number=_dea_number(),
            rems_setting_id="DEMO-REMS-0001",
            opening_days=[0, 1, 2, 3, 4],
        )
    return clinic


def _user(clinic: Clinic, spec: DemoUser, by: Membership | None) -> Membership:
    user = User.objects.filter(username=spec.username).first()
    if user is None:
        user = user_create(
            by=by,
            username=spec.username,
            password=DEMO_PASSWORD,
            first_name=spec.first_name,
            last_name=spec.last_name,
            printed_name=spec.printed_name,
        )
    if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        TOTPDevice.objects.create(
            user=user, name="Demo authenticator", key=demo_totp_key(spec.username), confirmed=True
        )
    membership = Membership.objects.filter(user=user, clinic=clinic).first()
    if membership is None:
        membership = membership_grant(by=by, user=user, clinic=clinic, role=spec.role)
    return membership


def _patients(admin: Membership, nurse: Membership, rng: random.Random) -> int:
    created = 0
    today = timezone.now().date()
    now = timezone.now()
    for i in range(40):
        mrn = f"D{1001 + i}"
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        age = rng.randint(19, 78)
        dob = date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
        city, state, postal = rng.choice(CITIES)
        sex = rng.choice(["female", "female", "male", "male", "intersex", "unknown"])
        history = rng.sample(HISTORIES[:2], 1) if i % 5 else [HISTORIES[2 + (i // 5) % 4]]
        if i % 7 == 0:
            history.append(HISTORIES[5])
        meds = rng.sample(MEDICATIONS, rng.randint(1, 3))
        allergy = rng.choice(ALLERGIES) if i % 4 == 0 else None
        weight0 = Decimal(rng.randint(480, 1150)) / 10
        height = Decimal(rng.randint(1520, 1930)) / 10
        if Patient.objects.filter(clinic_id=admin.clinic_id, mrn=mrn).exists():
            continue
        with transaction.atomic():
            patient = patient_services.patient_create(
                by=admin,
                mrn=mrn,
                given_name=given,
                family_name=family,
                date_of_birth=dob,
                sex=sex,
                phone=f"201-555-01{i:02d}",
                email=f"{given.lower()}.{family.lower()}@example.invalid",
                address_line=f"{rng.randint(2, 400)} {rng.choice(FAMILY)} Lane",
                city=city,
                state=state,
                postal_code=postal,
                emergency_contact_name=f"{rng.choice(GIVEN)} {family}",
                emergency_contact_phone=f"201-555-02{i:02d}",
                emergency_contact_relation=rng.choice(["Partner", "Parent", "Sibling", "Friend"]),
                notes="Synthetic demo patient. Prefers morning appointments." if i % 3 == 0 else "",
            )
            for months_ago in (6, 3, 0):
                drift = Decimal(rng.randint(-25, 25)) / 10
                patient_services.weight_record(
                    by=nurse,
                    patient=patient,
                    value=(weight0 + drift)
                    if i % 2
                    else ((weight0 + drift) / Decimal("0.45359237")).quantize(Decimal("0.1")),
                    unit="kg" if i % 2 else "lb",
                    measured_at=now - timedelta(days=30 * months_ago + rng.randint(1, 20)),
                )
            patient_services.height_record(
                by=nurse,
                patient=patient,
                value=height,
                unit="cm",
                measured_at=now - timedelta(days=180),
            )
            for code, text in history:
                patient_services.diagnosis_record(
                    by=nurse,  # diagnoses are transcribed by clinical staff
                    patient=patient,
                    icd10_code=code,
                    text=text,
                    diagnosed_on=today - timedelta(days=rng.randint(400, 4000)),
                )
            for name, dose, flags in meds:
                patient_services.medication_record(
                    by=nurse,
                    patient=patient,
                    name=name,
                    dose_text=dose,
                    started_on=today - timedelta(days=rng.randint(30, 900)),
                    **flags,
                )
            if allergy:
                patient_services.allergy_record(
                    by=nurse,
                    patient=patient,
                    substance=allergy[0],
                    reaction=allergy[1],
                    severity=allergy[2],
                )
        created += 1
    return created


def seed_foundation(out: Callable[[str], None]) -> None:
    rng = random.Random(SEED)  # noqa: S311  (synthetic demo data, not security)
    clinic = _clinic()
    memberships: dict[Role, Membership] = {}
    admin_spec = next(u for u in DEMO_USERS if u.role == Role.CLINIC_ADMIN)
    memberships[Role.CLINIC_ADMIN] = _user(clinic, admin_spec, None)
    for spec in DEMO_USERS:
        if spec.role != Role.CLINIC_ADMIN:
            memberships[spec.role] = _user(clinic, spec, memberships[Role.CLINIC_ADMIN])
    created = _patients(memberships[Role.CLINIC_ADMIN], memberships[Role.NURSE], rng)
    out(
        f"Demo clinic '{clinic.name}': {created} patients created, "
        f"{Patient.objects.filter(clinic=clinic).count()} in all."
    )


def _later_steps() -> list[Callable[[Callable[[str], None]], None]]:
    from ketaclinic.inventory import demo as inventory_demo
    from ketaclinic.scales import demo as scales_demo
    from ketaclinic.screening import demo as screening_demo
    from ketaclinic.surveillance import demo as surveillance_demo
    from ketaclinic.treatment import demo as treatment_demo

    # Treatment first: scale responses in the demo line up with its sessions.
    return [
        treatment_demo.seed,
        scales_demo.seed,
        inventory_demo.seed,
        screening_demo.seed,
        surveillance_demo.seed,  # after treatment: it reads the demo's courses
    ]


DEMO_STEPS: list[Callable[[Callable[[str], None]], None]] = [seed_foundation, *_later_steps()]
