"""The pure modules import without Django.

Every module of ``treatment/domain/``, ``pharmacology/``, ``scales/scoring/`` and ``lib/``, and
the public rules module ``treatment/safety.py``, is
imported in a fresh interpreter (``sys.executable``, no ``DJANGO_SETTINGS_MODULE``); the test fails
when a ``django`` module is in ``sys.modules`` afterwards, naming the module whose import pulled it
in and the line of ``ketaclinic`` that imported Django. The modules are found in the file tree, so a
new module is covered the day it is added.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_DIR = ROOT / "ketaclinic"

# The pure parts of the code, as folders of the package (or one module, by its .py path).
PURE_TREES = (
    "treatment/domain",
    "treatment/safety.py",
    "pharmacology",
    "scales/scoring",
    "screening/rules",
    "surveillance/rules",
    "inventory/domain",
    "research/deid",
    "research/stats.py",
    "research/fhir",
    "lib",
)

# Never pure, wherever they are: Django's own kinds of module.
DJANGO_DIRS = {
    "tests": "tests run under pytest-django (the pure libraries' tests use no database, but share "
    "the project's fixtures)",
    "migrations": "Django migrations",
    "management": "management commands are Django's entry points (e.g. `ketaclinic pk`)",
}
DJANGO_FILES = {
    "pharmacology/apps.py": "the AppConfig that registers the app with Django (its `pk` command)",
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def pure_modules(tree: str) -> list[str]:
    """The modules of a folder of the package, or the one module a ``.py`` path names."""
    if tree.endswith(".py"):
        return [module_name(PACKAGE_DIR / tree)]
    found = []
    for path in sorted((PACKAGE_DIR / tree).rglob("*.py")):
        relative = path.relative_to(PACKAGE_DIR)
        if DJANGO_DIRS.keys() & set(relative.parts[:-1]):
            continue
        if relative.as_posix() in DJANGO_FILES:
            continue
        found.append(module_name(path))
    return found


# Run in the fresh interpreter: import the modules one by one; a meta-path hook notes the first
# Django import and the innermost ketaclinic line that made it.
CHILD = """
import importlib, json, sys, traceback

first = {}

class Spy:
    def find_spec(self, name, path=None, target=None):
        if not first and (name == "django" or name.startswith("django.")):
            lines = [f for f in traceback.extract_stack() if "/ketaclinic/" in f.filename]
            where = lines[-1] if lines else None
            first["django_module"] = name
            first["line"] = f"{where.filename}:{where.lineno}: {where.line}" if where else ""
        return None

sys.meta_path.insert(0, Spy())
report = {"culprit": None, "django": [], "line": "", "error": None, "imported": []}
for name in json.loads(sys.argv[1]):
    try:
        importlib.import_module(name)
    except Exception as exc:
        report["error"] = f"{name}: {type(exc).__name__}: {exc}"
    django = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
    if django or report["error"]:
        report["culprit"], report["django"] = name, django
        report["line"] = first.get("line", "")
        break
    report["imported"].append(name)
print(json.dumps(report))
"""


def import_fresh(modules: list[str]) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", CHILD, json.dumps(modules)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


@pytest.mark.parametrize("tree", PURE_TREES)
def test_every_pure_module_imports_without_django(tree: str) -> None:
    modules = pure_modules(tree)
    assert modules, f"no modules found under ketaclinic/{tree}"
    report = import_fresh(modules)
    assert report["error"] is None, f"a pure module fails to import: {report['error']}"
    assert not report["django"], (
        f"importing {report['culprit']} pulls in Django ({', '.join(report['django'])}); "  # type: ignore[arg-type]
        f"the first Django import is at {report['line'] or '(outside ketaclinic)'}"
    )
    assert report["imported"] == modules


def test_the_modules_are_found_in_the_file_tree() -> None:
    assert "ketaclinic.treatment.domain.dosing" in pure_modules("treatment/domain")
    assert pure_modules("treatment/safety.py") == ["ketaclinic.treatment.safety"]
    assert "ketaclinic.scales.scoring.phq9" in pure_modules("scales/scoring")
    pharmacology = pure_modules("pharmacology")
    assert "ketaclinic.pharmacology" in pharmacology
    assert "ketaclinic.pharmacology.engine" in pharmacology
    assert not [m for m in pharmacology if ".management" in m or m.endswith(".apps")]
    assert not [m for m in pure_modules("lib") if ".tests" in m]
    for listed in DJANGO_FILES:
        assert (PACKAGE_DIR / listed).exists(), f"{listed} is gone"


def test_a_django_import_is_caught_and_named() -> None:
    report = import_fresh(["ketaclinic.lib.units", "django.utils.functional", "ketaclinic.lib.dea"])
    assert report["culprit"] == "django.utils.functional"
    assert "django.utils.functional" in report["django"]  # type: ignore[operator]
    assert report["imported"] == ["ketaclinic.lib.units"]
