"""The layering of docs/architecture.md, checked: an app's domain modules (models, services,
selectors and the pure modules) import only the apps below it. Views, URL configurations, forms,
template tags, management commands, demo seeding and home panels are the top layer: they compose
several apps and are not checked here. Nothing imports a view module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "ketaclinic"

# app -> apps its domain modules may import (besides itself and ketaclinic.lib).
ALLOWED: dict[str, set[str]] = {
    "lib": set(),
    "audit": set(),
    "accounts": {"audit"},
    "patients": {"accounts", "audit"},
    "alerts": {"patients", "accounts", "audit"},
    "scales": {"alerts", "patients", "accounts", "audit"},
    "pharmacology": set(),
    # screening sits below treatment: enrolment and every dose ask screening (issue 11).
    "screening": {"scales", "alerts", "patients", "audit", "accounts"},
    "treatment": {
        "screening",
        "scales",
        "pharmacology",
        "alerts",
        "patients",
        "accounts",
        "audit",
    },
    "inventory": {"treatment", "alerts", "patients", "audit", "accounts"},
    # research only reads (issue 13); nothing below imports it.
    "research": {
        "ops",
        "treatment",
        "screening",
        "scales",
        "alerts",
        "patients",
        "accounts",
        "audit",
    },
    # surveillance sits on top of the clinical apps (issue 11); only urls, core home and
    # templates use it.
    "surveillance": {
        "treatment",
        "inventory",
        "screening",
        "scales",
        "alerts",
        "patients",
        "accounts",
        "audit",
    },
    # ops: background jobs, backups; a top-layer app whose jobs call several apps' services.
    "ops": {"accounts", "audit", "treatment", "inventory", "surveillance"},
    # the REST API (issue 13): nothing imports it except the URL configuration.
    "api": {"ops", "accounts", "audit", "patients", "scales", "treatment", "research"},
    "core": {
        "accounts",
        "audit",
        "patients",
        "alerts",
        "scales",
        "screening",
        "treatment",
        "pharmacology",
        "inventory",
    },
}
TOP_LAYER = {
    "views.py",
    "urls.py",
    "forms.py",
    "demo.py",
    "home.py",
    "context_processors.py",
    "middleware.py",
    "signals.py",
}
TOP_LAYER_DIRS = {"tests", "management", "templatetags", "migrations", "views"}


def _domain_modules(app: str) -> list[Path]:
    found = []
    for path in sorted((PACKAGE / app).rglob("*.py")):
        parts = set(path.relative_to(PACKAGE / app).parts[:-1])
        if path.name in TOP_LAYER or parts & TOP_LAYER_DIRS:
            continue
        found.append(path)
    return found


def _imported_apps(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    apps: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "ketaclinic" and len(parts) > 1 and parts[1] in ALLOWED:
                apps.add(parts[1])
    return apps


def test_every_app_is_in_the_layer_table() -> None:
    apps = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert apps == set(ALLOWED), "add the new app to ALLOWED here and to docs/architecture.md"


@pytest.mark.parametrize("app", sorted(ALLOWED))
def test_domain_modules_import_only_the_apps_below(app: str) -> None:
    problems = []
    for path in _domain_modules(app):
        extra = _imported_apps(path) - ALLOWED[app] - {app, "lib"}
        if extra:
            problems.append(f"{path.relative_to(PACKAGE)} imports {sorted(extra)}")
    assert not problems, "layering broken (see docs/architecture.md): " + "; ".join(problems)


def test_nothing_imports_a_view_module() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if "tests" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if module and module.startswith("ketaclinic.") and ".views" in f"{module}.":
                if "views" in path.parts:
                    continue  # a views package composes its own modules
                if path.name != "urls.py":
                    offenders.append(str(path.relative_to(PACKAGE)))
    assert not offenders, f"only URL configurations import views: {offenders}"


# Declared data tables: long because they are tables of sourced numbers, not because of logic.
DATA_TABLES = {
    "treatment/domain/library.py": "the shipped protocols, each number with its source",
    "pharmacology/parameters.py": "published PK model parameters with citations",
}
MAX_LINES = 600


def test_no_module_is_over_600_lines() -> None:
    """shared/design.md: a module that grows past 600 lines is split by sub-domain."""
    long = []
    for path in sorted(PACKAGE.parent.glob("*.py")) + sorted(
        p for top in ("ketaclinic", "tests", "bench") for p in (PACKAGE.parent / top).rglob("*.py")
    ):
        relative = path.relative_to(PACKAGE).as_posix() if PACKAGE in path.parents else ""
        if "migrations" in path.parts or relative in DATA_TABLES:
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            long.append(f"{path.relative_to(PACKAGE.parent)} ({lines} lines)")
    assert not long, f"split these by sub-domain (docs/architecture.md): {long}"


def test_the_data_tables_exist() -> None:
    for listed in DATA_TABLES:
        assert (PACKAGE / listed).exists(), f"{listed} is gone: drop it from DATA_TABLES"
