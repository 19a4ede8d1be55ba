"""The API's routers, one module per resource (care ``care/emr/api/viewsets/``). Thin: each
operation fetches through the owning app's selectors (clinic and role checked there) and writes
through its services."""
