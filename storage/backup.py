"""``tierdesk backup`` / ``restore`` for SQLite, through SQLite's online backup API.

A backup reads a consistent snapshot while the desk keeps running and writing (in WAL mode
writers are not blocked; what a writer has not committed is not in the copy). A restore
checks that the file is an intact tierdesk database, then copies it over the configured one
page by page with the same API; run it with the desk stopped. PostgreSQL has its own tools
(``pg_dump`` / ``pg_restore``, README "PostgreSQL backups").
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

__all__ = ["BackupError", "Copied", "backup", "restore", "sqlite_file"]


class BackupError(Exception):
    """Why a backup or restore cannot be done; the message is for the operator."""


@dataclass(frozen=True, slots=True)
class Copied:
    pages: int
    tickets: int


def sqlite_file(url: str) -> Path:
    """The database file of a SQLite URL; anything else is refused with what to use."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        raise BackupError(
            f"the database is {parsed.get_backend_name()}, not SQLite: use pg_dump / "
            "pg_restore (README: PostgreSQL backups)"
        )
    if parsed.database in (None, "", ":memory:"):
        raise BackupError("an in-memory database has nothing to back up")
    return Path(parsed.database)


def backup(url: str, target: Path) -> Copied:
    """Copy the live database to ``target`` (which must not exist yet)."""
    source = sqlite_file(url)
    if not source.exists():
        raise BackupError(f"no database at {source}")
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file")
    try:
        with _connect(source) as src, _connect(target) as dst:
            src.backup(dst)
            return _check(dst, target)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def restore(source: Path, url: str) -> Copied:
    """Replace the configured database with the backup ``source`` (desk stopped)."""
    target = sqlite_file(url)
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    with _connect(source) as src:
        copied = _check(src, source)
        target.parent.mkdir(parents=True, exist_ok=True)
        with _connect(target) as dst:
            src.backup(dst)
    return copied


@contextlib.contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(path, timeout=30)
    try:
        yield connection
    finally:
        connection.close()


def _check(db: sqlite3.Connection, path: Path) -> Copied:
    """An intact tierdesk database (its integrity check passes, it has a schema version)."""
    try:
        (integrity,) = db.execute("PRAGMA integrity_check").fetchone()
        version = db.execute("SELECT version_num FROM alembic_version").fetchone()
        (tickets,) = db.execute("SELECT count(*) FROM tickets").fetchone()
        (pages,) = db.execute("PRAGMA page_count").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a tierdesk database ({exc})") from exc
    if integrity != "ok" or version is None:
        raise BackupError(f"{path} is damaged or has no schema version ({integrity})")
    return Copied(int(pages), int(tickets))
