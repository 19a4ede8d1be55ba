"""An ascending-dose phase's steps are edited on the protocol form (SC racemic ketamine for
refractory anxiety: 0.25, 0.5, 1 mg/kg about a week apart, Glue et al. 2017). Before, the web
form had no field for them: a clinic could change the dose range but not the steps it gives."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from ketaclinic import testing
from ketaclinic.treatment.domain.library import SHIPPED_PROTOCOLS
from ketaclinic.treatment.models import Protocol, ProtocolVersion
from ketaclinic.treatment.protocol_forms import DoseStepsField, ProtocolForm

D = Decimal
SC = "sc_racemic_anxiety"
STEPS = "steps__titration"


def _data(protocol: Any, **changes: str) -> dict[str, str]:
    field = DoseStepsField()
    data = {
        k: str(field.prepare_value(v) if isinstance(v, tuple) else v)
        for k, v in ProtocolForm.initial_from(protocol).items()
        if v is not None
    }
    data.update(change_note="ours")
    data.update(changes)
    return data


def _new(code: str = SC, **changes: str) -> dict[str, str]:
    return _data(
        SHIPPED_PROTOCOLS[code], start_from=code, loaded_from=code, code=f"{code}_local", **changes
    )


def test_the_sc_template_shows_its_steps_in_order(clinic_admin, login) -> None:
    response = login(clinic_admin).get(reverse("treatment:protocol_create"), {"start_from": SC})
    form = response.context["form"]
    assert STEPS in form.fields
    html = response.content.decode()
    assert 'value="0.25, 0.5, 1.0"' in html
    assert "the dose of each session, in order (mg/kg)" in html


def test_a_template_without_steps_has_no_steps_field(clinic_admin, login) -> None:
    response = login(clinic_admin).get(
        reverse("treatment:protocol_create"), {"start_from": "esketamine_trd"}
    )
    assert not [f for f in response.context["form"].fields if f.startswith("steps__")]


def test_four_steps_make_four_sessions_and_a_phase_long_enough(clinic_admin, login) -> None:
    client = login(clinic_admin)
    response = client.post(
        reverse("treatment:protocol_create"), _new(**{STEPS: "0.25, 0.5, 0.75, 1"})
    )
    assert response.status_code == 302, response.context["form"].errors
    version = ProtocolVersion.objects.get(family__code=f"{SC}_local")
    titration = version.protocol.schedule[0]
    assert titration.dose_steps == (D("0.25"), D("0.5"), D("0.75"), D("1"))
    assert titration.session_count == 4
    assert titration.length_weeks == 4  # weekly: 3 weeks would not hold 4 sessions


def test_a_descending_step_is_refused_beside_the_steps(clinic_admin, login) -> None:
    client = login(clinic_admin)
    response = client.post(reverse("treatment:protocol_create"), _new(**{STEPS: "0.5, 0.25, 1"}))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert STEPS in errors, errors
    assert "steps ascend: at least the step before (0.5 mg/kg), got 0.25" in errors[STEPS][0]
    assert not Protocol.objects.exists()


def test_a_step_above_the_maximum_is_refused_with_the_allowed_range(clinic_admin, login) -> None:
    client = login(clinic_admin)
    response = client.post(reverse("treatment:protocol_create"), _new(**{STEPS: "0.25, 0.5, 2"}))
    errors = response.context["form"].errors
    assert "must lie within dose range 0.25-1.0 mg/kg, got 2" in " ".join(errors[STEPS])
    assert not Protocol.objects.exists()


def test_text_that_is_not_a_dose_names_the_field_and_the_format(clinic_admin, login) -> None:
    client = login(clinic_admin)
    for bad in ("0.25, abc", "", "0.25,,1", "-0.25", "NaN"):
        response = client.post(reverse("treatment:protocol_create"), _new(**{STEPS: bad}))
        message = " ".join(response.context["form"].errors[STEPS])
        assert "separated by commas" in message, (bad, message)
    assert not Protocol.objects.exists()


def test_a_new_version_keeps_the_steps_and_changes_them(clinic_admin, login) -> None:
    client = login(clinic_admin)
    v1 = testing.shipped_protocol(clinic_admin, SC)
    url = reverse("treatment:protocol_version_new", kwargs={"protocol_id": v1.family_id})
    assert client.get(url).context["form"].initial[STEPS] == (D("0.25"), D("0.5"), D("1.0"))
    response = client.post(url, _data(v1.protocol, **{STEPS: "0.5, 0.75, 1"}))
    assert response.status_code == 302, response.context["form"].errors
    v2 = ProtocolVersion.objects.filter(family=v1.family).order_by("-number").first()
    assert v2 is not None and v2.number == 2
    assert v2.protocol.schedule[0].dose_steps == (D("0.5"), D("0.75"), D("1"))
    # The first version is kept as it was.
    assert ProtocolVersion.objects.get(pk=v1.pk).protocol.schedule[0].dose_steps[0] == D("0.25")


@settings(deadline=None)  # a loaded CI machine is not a slow function
@given(
    st.lists(
        st.decimals(min_value=D("0.001"), max_value=D("99"), places=3, allow_nan=False),
        min_size=1,
        max_size=12,
    )
)
def test_steps_read_back_as_written(steps: list[Decimal]) -> None:
    field = DoseStepsField()
    assert field.clean(field.prepare_value(tuple(steps))) == tuple(steps)
