"""Screening pages; one module per page group."""

from ketaclinic.screening.views.prior_auth import prior_auth
from ketaclinic.screening.views.screening import (
    patient_screenings,
    rems_enrol,
    screening_detail,
    screening_new,
    screening_override,
)
from ketaclinic.screening.views.settings import rems_certification, screening_settings

__all__ = [
    "patient_screenings",
    "prior_auth",
    "rems_certification",
    "rems_enrol",
    "screening_detail",
    "screening_new",
    "screening_override",
    "screening_settings",
]
