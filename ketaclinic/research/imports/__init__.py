"""CSV imports of patients and historical scale responses (validated, batched, re-runnable)."""

from ketaclinic.research.imports.common import ImportFileError, ImportResult, RowProblem
from ketaclinic.research.imports.patients import import_patients
from ketaclinic.research.imports.responses import import_responses

__all__ = ["ImportFileError", "ImportResult", "RowProblem", "import_patients", "import_responses"]
