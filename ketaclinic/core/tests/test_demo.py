from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketaclinic.accounts.models import Clinic, Membership, User
from ketaclinic.accounts.permissions import Role
from ketaclinic.audit.verify import audit_chain_verify
from ketaclinic.core.demo import DEMO_PASSWORD
from ketaclinic.patients.models import Diagnosis, Medication, Patient, WeightMeasurement


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_the_demo_clinic_has_every_role_and_forty_patients_with_histories(db) -> None:
    output = _run("demo")
    clinic = Clinic.objects.get(code="demo")
    roles = set(Membership.objects.filter(clinic=clinic).values_list("role", flat=True))
    assert roles == {r.value for r in Role}
    # 40 patients with histories, the screening demo's four kinds (screening/demo.py) and the
    # surveillance demo's patient with an overdue item (surveillance/demo.py).
    assert Patient.objects.filter(clinic=clinic).count() == 45
    assert Diagnosis.objects.filter(patient__clinic=clinic).count() >= 40
    assert Medication.objects.filter(patient__clinic=clinic, is_benzodiazepine=True).exists()
    # Three weights for each of the 40 history patients, one for the surveillance demo patient.
    assert WeightMeasurement.objects.filter(patient__clinic=clinic).count() == 121
    assert DEMO_PASSWORD in output
    for user in User.objects.filter(memberships__clinic=clinic):
        assert user.username in output
        assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert audit_chain_verify().ok


def test_running_the_demo_twice_changes_nothing(db) -> None:
    _run("demo")
    counts = (Patient.objects.count(), User.objects.count(), Diagnosis.objects.count())
    names = sorted(Patient.objects.values_list("family_name", flat=True))
    _run("demo")
    assert (Patient.objects.count(), User.objects.count(), Diagnosis.objects.count()) == counts
    assert sorted(Patient.objects.values_list("family_name", flat=True)) == names


@pytest.mark.real_hashing
def test_demo_users_sign_in_with_the_printed_password_and_code(db) -> None:
    _run("demo")
    # Right after the demo (which signs a session with the prescriber's code), every demo user
    # signs in with the code `demo-code` prints: none is refused as a replay.
    for username in ("nurse", "prescriber", "admin"):
        user = User.objects.get(username=username)
        assert user.check_password(DEMO_PASSWORD)
        code = _run("demo-code", username).strip()
        assert len(code) == 6
        assert code.isdigit()
        assert TOTPDevice.objects.get(user=user).verify_token(code), username


def test_demo_code_names_an_unknown_user(db) -> None:
    with pytest.raises(CommandError, match="'ghost' has no confirmed TOTP device"):
        _run("demo-code", "ghost")
