"""Backups: one consistent snapshot in one file, and a restore that proves what it restored.

``backup_create``: SQLite through its online backup API (a consistent copy while the clinic keeps
working); PostgreSQL through ``pg_dump`` (custom format) run on a snapshot exported from a
REPEATABLE READ transaction, the same transaction that counts the rows and reads the audit and
ledger chain heads, so the manifest describes exactly what the dump holds.

The file is a tar archive: ``manifest.json`` (format, engine, time, SHA-256 of the dump, the row
count of every table, the audit chain heads, the ledger heads) and the dump itself. It holds
patient data: keep it encrypted and access-controlled (docs/deployment.md).

``backup_restore`` loads the dump into an empty database (it refuses one that has any table), then
``backup_check`` compares every table's row count with the manifest, verifies the audit chains
(with the recorded heads as anchors: the restored chains must contain them) and the ledger
chains, and compares the ledger heads.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess  # pg_dump and pg_restore: argument lists, never a shell
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from ketaclinic.audit.chain import LEGACY_CHAIN, Anchor
from ketaclinic.audit.verify import audit_chain_verify
from ketaclinic.inventory.verify import ledger_verify

FORMAT = "ketaclinic-backup-1"
MANIFEST = "manifest.json"
PAYLOAD = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


class BackupError(RuntimeError):
    """A backup or restore refused or failed; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class CheckResult:
    ok: bool
    tables: int
    rows: int
    audit_events: int
    ledger_entries: int
    problems: list[str]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tables() -> list[str]:
    return sorted(t for t in connection.introspection.table_names() if not t.startswith("sqlite_"))


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _facts(cursor: Any, tables: list[str]) -> dict[str, Any]:
    """Row counts and chain heads, read through ``cursor`` (the snapshot's or the restored DB's).

    Table names come from the database's own catalogue and are quoted; no value is interpolated."""
    counts = {}
    for table in tables:
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608
        counts[table] = int(cursor.fetchone()[0])
    audit_heads: list[dict[str, Any]] = []
    if "audit_chainhead" in counts:
        cursor.execute("SELECT last_event_id, last_hash FROM audit_chainhead WHERE id = 1")
        for last_event_id, last_hash in cursor.fetchall():
            if last_event_id:
                audit_heads.append({"chain": LEGACY_CHAIN, "seq": last_event_id, "hash": last_hash})
    if "audit_auditchainhead" in counts:
        cursor.execute(
            "SELECT chain, seq, last_hash FROM audit_auditchainhead WHERE seq > 0 ORDER BY chain"
        )
        audit_heads += [{"chain": c, "seq": int(s), "hash": h} for c, s, h in cursor.fetchall()]
    ledger_heads: list[dict[str, Any]] = []
    if "inventory_ledgerhead" in counts:
        cursor.execute(
            "SELECT clinic_id, last_sequence, last_hash FROM inventory_ledgerhead "
            "ORDER BY clinic_id"
        )
        ledger_heads = [
            {"clinic_id": int(c), "sequence": int(s), "hash": h} for c, s, h in cursor.fetchall()
        ]
    return {"row_counts": counts, "audit_heads": audit_heads, "ledger_heads": ledger_heads}


def _pg_env_and_args() -> tuple[dict[str, str], list[str]]:
    cfg = connection.settings_dict
    env = dict(os.environ)
    if cfg.get("PASSWORD"):
        env["PGPASSWORD"] = str(cfg["PASSWORD"])
    args = []
    if cfg.get("HOST"):
        args += ["--host", str(cfg["HOST"])]
    if cfg.get("PORT"):
        args += ["--port", str(cfg["PORT"])]
    if cfg.get("USER"):
        args += ["--username", str(cfg["USER"])]
    return env, args


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"{name} not found: install the PostgreSQL client tools (Debian: postgresql-client)"
        )
    return found


def _run(argv: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        # The tools' messages name objects and options, not row contents.
        raise BackupError(f"{Path(argv[0]).name} failed: {done.stderr.strip()[-500:]}")


def _dump_sqlite(target: Path) -> dict[str, Any]:
    connection.ensure_connection()
    source = connection.connection
    copy = sqlite3.connect(target)
    try:
        source.backup(copy)
        tables = sorted(
            r[0]
            for r in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not r[0].startswith("sqlite_")
        )
        return _facts(copy.cursor(), tables)
    finally:
        copy.close()


def _dump_postgresql(target: Path) -> dict[str, Any]:
    env, args = _pg_env_and_args()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        argv = [_tool("pg_dump"), *args, "--format=custom", "--no-owner", "--no-privileges"]
        argv += [
            f"--snapshot={snapshot}",
            f"--file={target}",
            str(connection.settings_dict["NAME"]),
        ]
        _run(argv, env)
        return _facts(cursor, _tables())


def backup_create(path: Path) -> dict[str, Any]:
    """Write a backup of the default database to ``path``; returns the manifest."""
    vendor = connection.vendor
    if vendor not in PAYLOAD:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {vendor}")
    path = path.resolve()
    if path.exists():
        raise BackupError(f"{path} exists: choose a new file name (a backup never overwrites one)")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ketaclinic-backup-", dir=path.parent) as tmp:
        dump = Path(tmp) / PAYLOAD[vendor]
        facts = _dump_sqlite(dump) if vendor == "sqlite" else _dump_postgresql(dump)
        manifest = {
            "format": FORMAT,
            "engine": vendor,
            "created_at": timezone.now().isoformat(),
            "payload": PAYLOAD[vendor],
            "payload_sha256": _sha256(dump),
            **facts,
        }
        partial = Path(tmp) / "backup.tar"
        with tarfile.open(partial, "w") as tar:
            data = json.dumps(manifest, indent=2, sort_keys=True).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mtime = int(timezone.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
            tar.add(dump, arcname=PAYLOAD[vendor])
        os.chmod(partial, 0o600)  # it holds patient data
        with partial.open("rb") as fh:
            os.fsync(fh.fileno())
        os.link(partial, path)  # fails rather than overwrite a file created meanwhile
    return manifest


@contextmanager
def _opened(path: Path) -> Iterator[tuple[dict[str, Any], Path]]:
    try:
        tar = tarfile.open(path, "r")
    except (OSError, tarfile.TarError) as exc:
        raise BackupError(f"{path}: not a readable ketaclinic backup ({exc})") from None
    with tar, tempfile.TemporaryDirectory(prefix="ketaclinic-restore-") as tmp:
        try:
            manifest = json.load(tar.extractfile(MANIFEST))  # type: ignore[arg-type]
        except (KeyError, ValueError, TypeError):
            raise BackupError(f"{path}: no valid {MANIFEST}; not a ketaclinic backup") from None
        if manifest.get("format") != FORMAT:
            raise BackupError(f"{path}: format {manifest.get('format')!r}, expected {FORMAT!r}")
        name = manifest.get("payload")
        if name not in PAYLOAD.values():
            raise BackupError(f"{path}: unknown payload {name!r}")
        tar.extract(name, tmp, filter="data")
        dump = Path(tmp) / name
        if _sha256(dump) != manifest.get("payload_sha256"):
            raise BackupError(
                f"{path}: the dump does not match its recorded SHA-256 (damaged file)"
            )
        yield manifest, dump


def read_manifest(path: Path) -> dict[str, Any]:
    with _opened(path) as (manifest, _):
        return manifest


def backup_restore(path: Path) -> CheckResult:
    """Load ``path`` into the (empty) default database, then check it against the manifest."""
    with _opened(path) as (manifest, dump):
        if manifest["engine"] != connection.vendor:
            raise BackupError(
                f"this backup is of a {manifest['engine']} database; the configured database "
                f"(DATABASE_URL) is {connection.vendor}"
            )
        existing = _tables()
        if existing:
            raise BackupError(
                f"the configured database already has {len(existing)} tables: restore only "
                "into an empty database (create a new one and point DATABASE_URL at it)"
            )
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            source = sqlite3.connect(dump)
            try:
                source.backup(connection.connection)
            finally:
                source.close()
        else:
            env, args = _pg_env_and_args()
            argv = [_tool("pg_restore"), *args, "--no-owner", "--no-privileges", "--exit-on-error"]
            argv += ["--dbname", str(connection.settings_dict["NAME"]), str(dump)]
            connection.close()
            _run(argv, env)
        connection.close()
    return backup_check(manifest)


def backup_check(manifest: dict[str, Any]) -> CheckResult:
    """Compare the default database with a backup's manifest and verify both kinds of chain."""
    problems: list[str] = []
    with connection.cursor() as cursor:
        facts = _facts(cursor, sorted(manifest["row_counts"]))
    expected: dict[str, int] = manifest["row_counts"]
    for table, count in sorted(expected.items()):
        if facts["row_counts"].get(table) != count:
            problems.append(
                f"table {table}: {facts['row_counts'].get(table)} rows, backup had {count}"
            )
    if facts["audit_heads"] != manifest["audit_heads"]:
        problems.append("the audit chain heads differ from those the backup recorded")
    if facts["ledger_heads"] != manifest["ledger_heads"]:
        problems.append("the ledger heads differ from those the backup recorded")
    anchors = [Anchor(h["chain"], h["seq"], h["hash"]) for h in manifest["audit_heads"]]
    audit = audit_chain_verify(anchors=anchors)
    if not audit.ok:
        problems.append(f"audit chain: {audit.problem}")
    ledger = ledger_verify()
    if not ledger.ok:
        problems.append(f"ledger chain of clinic {ledger.clinic_id}: {ledger.problem}")
    return CheckResult(
        ok=not problems,
        tables=len(expected),
        rows=sum(expected.values()),
        audit_events=audit.events,
        ledger_entries=ledger.entries,
        problems=problems,
    )
