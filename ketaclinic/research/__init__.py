"""Research and interoperability: de-identified and identified exports (CSV, Parquet, FHIR).

Research reads every app below it and is imported by none of them (docs/architecture.md)."""
