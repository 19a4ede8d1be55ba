"""De-identified and identified exports: tables, writers, the data dictionary."""

from ketaclinic.research.export.dictionary import dictionary_markdown
from ketaclinic.research.export.run import (
    FORMATS,
    ExportError,
    export_deidentified,
    export_identified_fhir,
)

__all__ = [
    "FORMATS",
    "ExportError",
    "dictionary_markdown",
    "export_deidentified",
    "export_identified_fhir",
]
