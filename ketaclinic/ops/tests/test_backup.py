"""Backups on the database the suite runs on (SQLite and PostgreSQL): a snapshot restored into an
empty database passes the check against its manifest; a non-empty target, a damaged file and a
restored database that lost rows are refused with a message that says why."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from django.db import connection, transaction

from conftest import skip_or_fail
from ketaclinic.audit.models import EventType
from ketaclinic.audit.services import audit_record
from ketaclinic.ops.backup import BackupError, backup_create, read_manifest

pytestmark = pytest.mark.django_db(transaction=True)


def _ketaclinic(database_url: str, var: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "KETACLINIC_VAR_DIR": str(var)}
    return subprocess.run(  # noqa: S603  (this interpreter, fixed arguments)
        [sys.executable, "-m", "ketaclinic", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A URL of a new, empty database of the same kind as the one under test."""
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    for tool in ("pg_dump", "pg_restore"):
        if not _which(tool):
            skip_or_fail(f"{tool} is not installed")
    cfg = connection.settings_dict
    name = f"ketaclinic_restore_{uuid.uuid4().hex[:12]}"
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    auth = f"{cfg['USER']}:{cfg['PASSWORD']}@" if cfg.get("PASSWORD") else f"{cfg['USER']}@"
    yield f"postgres://{auth}{cfg['HOST'] or '127.0.0.1'}:{cfg['PORT'] or 5432}/{name}"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _delete_one_patient(database_url: str) -> None:
    """Lose a row behind the application's back, as a bad restore would."""
    sql = "DELETE FROM patients_patient WHERE mrn = 'M0002'"
    if database_url.startswith("sqlite:"):
        db = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        with db:
            db.execute(sql)
        db.close()
    else:
        with psycopg.connect(database_url, autocommit=True) as pg:
            pg.execute(sql)


def _which(tool: str) -> bool:
    import shutil

    return shutil.which(tool) is not None


@pytest.fixture
def clinic_records(clinic_admin, nurse, make_patient) -> None:
    make_patient(nurse)
    make_patient(nurse)
    with transaction.atomic():
        audit_record(event_type=EventType.CLINIC_UPDATED, actor=clinic_admin)


def test_a_backup_restores_into_an_empty_database_and_passes_its_check(
    clinic_records, empty_database: str, tmp_path: Path
) -> None:
    backup = tmp_path / "clinic.backup"
    manifest = backup_create(backup)
    assert manifest["engine"] == connection.vendor
    assert manifest["row_counts"]["patients_patient"] == 2
    assert any(h["chain"].startswith("clinic:") for h in manifest["audit_heads"])
    assert oct(backup.stat().st_mode & 0o777) == "0o600"  # it holds patient data

    restored = _ketaclinic(empty_database, tmp_path / "var", "backup", "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    assert "check passed" in restored.stdout
    assert f"{sum(manifest['row_counts'].values())} rows as recorded" in restored.stdout

    again = _ketaclinic(empty_database, tmp_path / "var", "backup", "restore", str(backup))
    assert again.returncode != 0
    assert "restore only into an empty database" in again.stderr


def test_a_restored_database_missing_rows_fails_the_check(
    clinic_records, empty_database: str, tmp_path: Path
) -> None:
    backup = tmp_path / "clinic.backup"
    backup_create(backup)
    assert (
        _ketaclinic(empty_database, tmp_path / "v", "backup", "restore", str(backup)).returncode
        == 0
    )
    _delete_one_patient(empty_database)
    check = _ketaclinic(empty_database, tmp_path / "v", "backup", "check", str(backup))
    assert check.returncode != 0
    assert "table patients_patient: 1 rows, backup had 2" in check.stderr


def test_a_damaged_backup_is_refused(clinic_records, tmp_path: Path) -> None:
    backup = tmp_path / "clinic.backup"
    backup_create(backup)
    with tarfile.open(backup) as tar:
        start = tar.getmember(read_manifest(backup)["payload"]).offset_data
    data = bytearray(backup.read_bytes())
    data[start + 100] ^= 0xFF  # one byte of the dump
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(bytes(data))
    with pytest.raises(BackupError, match=r"SHA-256|not a readable"):
        read_manifest(damaged)


def test_a_backup_never_overwrites_a_file(clinic_records, tmp_path: Path) -> None:
    backup = tmp_path / "clinic.backup"
    backup.write_text("keep me", encoding="utf-8")
    with pytest.raises(BackupError, match="exists"):
        backup_create(backup)
    assert backup.read_text(encoding="utf-8") == "keep me"
