"""Capture the SQL a piece of desk work sends, and replay it through the raw driver.

:class:`Capture` listens on an engine's ``before_cursor_execute`` (every statement the driver
runs, ``executemany`` as one) and ``begin``/``commit``/``rollback`` (transactions), and files
each statement with its DBAPI parameters, as the driver received them, under the label of the
current segment (``capture.segment("dm 17")``). :func:`replay` sends the captured segments
again through plain ``sqlite3`` or plain ``psycopg`` (no SQLAlchemy, no asyncio, no thread hop),
one transaction per segment, reading every result, and times each segment: what the same
statements cost the database and its driver alone. Replayed against the same database state
as the capture (a copy of it, or the same rows put back), they write the same rows.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

CONTROL = ("BEGIN", "COMMIT", "ROLLBACK")  # transaction control: counted as transactions
SAVEPOINTS = ("SAVEPOINT", "RELEASE", "ROLLBACK TO")


@dataclass(frozen=True, slots=True)
class Statement:
    sql: str
    params: Any
    many: bool

    @property
    def kind(self) -> str:
        return statement_kind(self.sql)

    @property
    def batched(self) -> bool:
        """Several parameter sets for ``executemany``. (SQLAlchemy's "insertmanyvalues"
        batches arrive flagged as many but are one multi-row statement with one flat
        parameter set, which is executed as it is.)"""
        return (
            self.many
            and isinstance(self.params, list | tuple)
            and bool(self.params)
            and isinstance(self.params[0], list | tuple | dict)
        )


@dataclass
class Segment:
    label: str
    statements: list[Statement] = field(default_factory=list)
    transactions: int = 0  # commits and rollbacks
    seconds: float = 0.0  # wall time of the work, as the caller measured it

    @property
    def work(self) -> list[Statement]:
        """The statements that do something: no transaction control, no savepoints."""
        return [s for s in self.statements if not s.sql.lstrip().upper().startswith(SAVEPOINTS)]

    @property
    def savepoints(self) -> int:
        return len(self.statements) - len(self.work)


_SELECT = re.compile(
    r"\bFROM\s+\"?(\w+)\"?(?:\s+(?:AS\s+\w+\s+)?(?:LEFT\s+)?JOIN\s+\"?(\w+))?", re.I
)


def statement_kind(statement: str) -> str:
    """``SELECT people+identities``, ``INSERT outbox``, ``UPDATE tickets``, ``SAVEPOINT`` …"""
    words = statement.split()
    verb = words[0].upper()
    if verb in ("SAVEPOINT", "RELEASE"):
        return verb
    if verb in ("SELECT", "WITH"):
        found = _SELECT.search(statement)
        tables = "+".join(t for t in found.groups() if t) if found else "?"
        return f"SELECT {tables}"
    target = (words[2] if verb in ("INSERT", "DELETE") else words[1]).strip('"')
    return f"{verb} {target}"


class Capture:
    """Statements and transactions on ``engine`` (a sync engine: ``async_engine.sync_engine``)
    while in ``with capture:``; nothing is kept outside a :meth:`segment`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.segments: list[Segment] = []
        self._current: Segment | None = None

    def __enter__(self) -> Capture:
        event.listen(self.engine, "before_cursor_execute", self._statement)
        for name in ("commit", "rollback"):
            event.listen(self.engine, name, self._transaction)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        for name in ("commit", "rollback"):
            event.remove(self.engine, name, self._transaction)

    @contextmanager
    def segment(self, label: str) -> Iterator[Segment]:
        segment = Segment(label)
        self._current = segment
        start = time.perf_counter()
        try:
            yield segment
        finally:
            segment.seconds = time.perf_counter() - start
            self._current = None
            self.segments.append(segment)

    def _statement(
        self, _conn: Any, _cursor: Any, sql: str, params: Any, _context: Any, many: bool
    ) -> None:
        if self._current is None or sql.lstrip().upper().startswith(CONTROL):
            return
        self._current.statements.append(Statement(sql, params, many))

    def _transaction(self, _conn: Any) -> None:
        if self._current is not None:
            self._current.transactions += 1


def kinds(segments: Sequence[Segment]) -> Counter[str]:
    found: Counter[str] = Counter()
    for segment in segments:
        found.update(s.kind for s in segment.statements)
    return found


# -- replay ------------------------------------------------------------------------------------


def replay(url: str, segments: Sequence[Segment], spent: Counter[str] | None = None) -> list[float]:
    """Run each segment's statements in a transaction of its own through the raw driver of
    ``url`` (``sqlite+aiosqlite:///file`` → ``sqlite3``; ``postgresql+psycopg://…`` →
    ``psycopg``), reading every result; returns each segment's seconds, commit included.
    ``spent`` adds up the seconds by statement kind (and ``COMMIT``)."""
    parsed = make_url(url)
    spent = Counter() if spent is None else spent
    if parsed.get_backend_name() == "sqlite":
        return _replay_sqlite(str(parsed.database), segments, spent)
    dsn = parsed.set(drivername="postgresql").render_as_string(False)
    return _replay_psycopg(dsn, segments, spent)


def _replay_sqlite(path: str, segments: Sequence[Segment], spent: Counter[str]) -> list[float]:
    # As the desk's engine sets up its connections (storage.db): no driver-managed
    # transactions, WAL, foreign keys on, the same busy timeout; BEGIN IMMEDIATE per unit.
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA busy_timeout=10000")
    times = []
    try:
        for segment in segments:
            start = time.perf_counter()
            cursor = connection.cursor()
            cursor.execute("BEGIN IMMEDIATE")
            for s in segment.statements:
                began = time.perf_counter()
                if s.batched:
                    cursor.executemany(s.sql, s.params)
                else:
                    cursor.execute(s.sql, s.params)
                    cursor.fetchall()
                spent[s.kind] += time.perf_counter() - began
            began = time.perf_counter()
            cursor.execute("COMMIT")
            end = time.perf_counter()
            spent["COMMIT"] += end - began
            times.append(end - start)
    finally:
        connection.close()
    return times


def _replay_psycopg(dsn: str, segments: Sequence[Segment], spent: Counter[str]) -> list[float]:
    import psycopg

    times = []
    with psycopg.connect(dsn) as connection:
        for segment in segments:
            start = time.perf_counter()
            with connection.cursor() as cursor:
                for s in segment.statements:
                    began = time.perf_counter()
                    if s.batched:
                        cursor.executemany(s.sql, s.params)
                    else:
                        cursor.execute(s.sql, s.params or None)
                        if cursor.description is not None:
                            cursor.fetchall()
                    spent[s.kind] += time.perf_counter() - began
            began = time.perf_counter()
            connection.commit()
            end = time.perf_counter()
            spent["COMMIT"] += end - began
            times.append(end - start)
    return times


def row_counts(url: str, tables: Sequence[str]) -> dict[str, int]:
    """``count(*)`` of each table, through the raw driver (to check that a replay wrote what
    the capture did)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        with contextlib.closing(sqlite3.connect(str(parsed.database))) as lite:
            return {t: lite.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    import psycopg

    dsn = parsed.set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(dsn) as connection:
        return {t: connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
