"""How long does one SLA tick take on a big desk, beside the raw driver doing the same SQL?

Builds the embedded default (a SQLite file in a temporary folder) or, with ``--pg-url``, a
PostgreSQL database (its public schema wiped), migrated with ``storage.migrate.upgrade`` and
holding ``--total`` tickets (default 1 000 000), of which ``--open`` (default 100 000) are active
with ``next_ping_at`` in the future and the rest are closed, resolved or cancelled with
``next_ping_at`` NULL. A forked child fills it (SQLite: SQLAlchemy Core ``executemany`` batches
in one transaction; PostgreSQL: ``COPY``; values pre-rendered exactly as the column types store
them, which is checked; the ticket indexes dropped during the inserts and recreated from their
own SQL afterwards), so the memory figures belong to the desk, not to the fill.

The desk is the real one: ``adapters.runtime.build`` with the example config
(``tests.factories.make_settings``; console enabled, so pings are queued in the outbox) and a
frozen clock on a Monday morning, when every calendar is open. Before a configuration is measured
``due`` of the open tickets are "armed": opened (``Ticket.open``, which starts the clocks)
at a creation time picked so that a response or resolution clock is past its warning or due
time, which puts ``next_ping_at`` at or before now. Each ``desk.sla.tick()`` therefore sends real
warnings and breach pings and writes ping stages, history and outbox rows; before every tick
those rows are deleted and the armed tickets re-armed through the desk's own engine, so every run
sees the same due tickets. Reported per configuration: the first tick, the median (min, max) of
the timed ticks, pings sent and rows written, the SQL statements of one tick and their time in
the driver, the tracemalloc peak of one tick and the process's max RSS so far; then the
statements per due ticket by kind, the cost of one driver round trip, and the query plan of the
due-ticket query exactly as the tick sent it.

The reference (issue 10: tick ≤ 2 × raw), at ``--due`` due: the statements and parameters of
one traced tick are captured (SQLAlchemy cursor events, ``benchmarks/sqlreplay.py``) and, after
each timed tick, the database is put back in the same state and they are replayed in one
transaction by the raw driver (plain ``sqlite3`` / plain ``psycopg``, every result read): the
same reads and the same writes with no ORM, no asyncio and no desk logic. The replay must write
as many ping stages, outbox and history rows as the tick did (checked).

Configurations, all at ``--total`` tickets: ``--due`` / 10, ``--due`` and ``--due`` × 10 due
with ``--open`` open; ``--due`` due with ``--open`` / 10 open (the other open tickets closed for
the while); ``--due`` due with ``--open`` open again, to show the machine's drift. ``--runs``
timed ticks each (a third of them at ``--due`` × 10). ``--quick`` (what ``make bench`` runs,
about 25 s on SQLite) measures only ``--due`` due among ``--open`` open, with 1.2 × ``--open``
tickets in all instead of a million and 9 runs; ``--profile`` adds a cProfile of one tick.

The table goes to stderr; stdout gets one JSON line per database (tick ms, raw ms, their ratio).
Run from the repository root: ``.venv/bin/python benchmarks/sla_tick.py [--quick]
[--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_h]``.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import json
import math
import multiprocessing
import os
import pstats
import random
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    bindparam,
    column,
    create_engine,
    delete,
    event,
    func,
    select,
    table,
    text,
    update,
)
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import databases, emit, wipe_pg
from sqlreplay import Capture, replay, statement_kind

from adapters.runtime import Runtime, build
from bot.clock import FrozenClock
from bot.domain import ChatAddress, Status, Ticket
from bot.settings import Settings
from storage.mapping import ticket_values
from storage.migrate import upgrade
from storage.tables import HistoryRow, IdentityRow, OutboxRow, PersonRow, PingStageRow, TicketRow
from tests.factories import make_settings

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 in Berlin: every calendar open
SEED = 3
BATCH = 20_000  # rows per executemany
HISTORY_SPAN = timedelta(days=3 * 365)  # the tickets were opened over the last three years
AGENTS = ("alice", "bob", "carol", "dave")  # people 1-4, as in config.example.toml
L1_AGENTS = (1, 4)  # alice and dave work L1, where every ticket starts
SUBJECTS = (
    "VPN drops every few minutes",
    "Cannot log in to the ERP",
    "Printer on floor 3 is offline",
    "Invoice shows the wrong VAT",
    "Laptop does not boot",
    "Need access to the sales share",
)
# impact, can_work → priority, as in the example config's matrix
PRIORITIES = (
    ("group", "no", "S1"),
    ("group", "limited", "S2"),
    ("one", "no", "S3"),
    ("one", "limited", "S4"),
)
URGENCIES = ("now", "today", "week", "wait")
CLOSED = (Status.CLOSED.value, Status.RESOLVED.value, Status.CANCELLED.value)

TICKETS = TicketRow.__table__
# What arming changes on a ticket: saved before, written back after, so the other
# configurations see the database as it was filled.
SLA_COLUMNS = (
    "impact",
    "can_work",
    "priority",
    "category",
    "tier",
    "chain",
    "policy",
    "status",
    "assignee_id",
    "created_at",
    "updated_at",
    "first_response_at",
    "response_due_at",
    "response_warn_at",
    "resolution_due_at",
    "resolution_warn_at",
    "resolution_started_at",
    "paused_at",
    "paused_seconds",
    "update_due_at",
    "next_ping_at",
    "escalation",
)
RESTORE = (
    update(TICKETS)
    .where(TICKETS.c.number == bindparam("n"))
    .values({name: bindparam(name, type_=TICKETS.c[name].type) for name in SLA_COLUMNS})
)


# -- the fill (runs in a child process) -------------------------------------------------------


@dataclass(frozen=True)
class Filled:
    migrate_s: float
    insert_s: float
    index_s: float
    size_mib: float
    people: int
    indexes: list[str]

    @property
    def total_s(self) -> float:
        return self.migrate_s + self.insert_s + self.index_s


def categories(settings: Settings) -> list[tuple[str | None, list[str], str]]:
    """(category, chain, policy) of an uncategorised ticket and of each category."""
    out: list[tuple[str | None, list[str], str]] = [
        (None, list(settings.default_chain), settings.sla.policy_for(None).name)
    ]
    for category in settings.categories:
        out.append((category.key, list(category.chain), settings.sla.policy_for(category.key).name))
    return out


def open_numbers(total: int, open_count: int, seed: int) -> list[int]:
    """Which ticket numbers are open: a sample of the newest (open × 4) tickets, shuffled."""
    rng = random.Random(seed)
    newest = range(max(1, total - 4 * open_count) + 1, total + 1)
    return rng.sample(newest, open_count)


def stored(instant: datetime) -> str:
    """``instant`` as the desk's UTC column type stores it on SQLite (naive UTC text)."""
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def naive(instant: datetime) -> str:
    """A naive UTC datetime rendered like :func:`stored` (the fill's fast path)."""
    return instant.isoformat(" ", "microseconds")


def check_stored_format(dialect: Dialect) -> None:
    """The fill writes pre-rendered values; make sure they are what the real types write."""
    instant = NOW + timedelta(seconds=1.5)
    as_written = TICKETS.c.next_ping_at.type.dialect_impl(dialect).bind_processor(dialect)
    assert as_written is not None and as_written(instant) == stored(instant), "datetime format"
    as_json = TICKETS.c.chain.type.dialect_impl(dialect).bind_processor(dialect)
    assert as_json is not None and as_json(["L1", "L2"]) == json.dumps(["L1", "L2"]), "JSON"


def ticket_rows(
    total: int, open_set: set[int], requesters: int, settings: Settings, seed: int
) -> Iterator[list[dict[str, Any]]]:
    """Ticket rows in batches, values already as stored: only the columns the tick reads
    plus the NOT NULL ones."""
    rng = random.Random(seed)
    now = NOW.replace(tzinfo=None)  # naive UTC, as stored; ``naive`` renders it
    cats = [(c, json.dumps(chain), chain[0], p) for c, chain, p in categories(settings)]
    batch: list[dict[str, Any]] = []
    for n in range(1, total + 1):
        impact, can_work, priority = rng.choice(PRIORITIES)
        category, chain, tier, policy = rng.choice(cats)
        created = now - HISTORY_SPAN * ((total - n + 1) / total)
        requester = len(AGENTS) + 1 + n % requesters
        row: dict[str, Any] = {
            "number": n,
            "requester_id": requester,
            "requester_chat_platform": "console",
            "requester_chat_id": f"user{requester}",
            "summary": SUBJECTS[n % len(SUBJECTS)],
            "details": "",
            "impact": impact,
            "can_work": can_work,
            "urgency": rng.choice(URGENCIES),
            "priority": priority,
            "tier": tier,
            "chain": chain,
            "category": category,
            "policy": policy,
            "created_at": naive(created),
            "resolution_note": "",
        }
        if n in open_set:
            # due later: the next warning is between a minute and two weeks away
            next_ping = now + timedelta(seconds=rng.randint(60, 14 * 86_400))
            claimed = rng.random() < 0.5
            row.update(
                status=Status.IN_PROGRESS.value if claimed else Status.OPEN.value,
                assignee_id=rng.choice(L1_AGENTS) if claimed else None,
                first_response_at=naive(created + timedelta(minutes=10)) if claimed else None,
                response_due_at=naive(next_ping + timedelta(minutes=15)),
                response_warn_at=None if claimed else naive(next_ping),
                resolution_due_at=naive(next_ping + timedelta(hours=1)),
                resolution_warn_at=naive(next_ping),
                closed_at=None,
                next_ping_at=naive(next_ping),
            )
        else:
            status = rng.choices(CLOSED, (8, 1, 1))[0]
            done = min(created + timedelta(hours=rng.randint(1, 72)), now)
            row.update(
                status=status,
                assignee_id=rng.choice(L1_AGENTS),
                first_response_at=naive(created + timedelta(minutes=10)),
                response_due_at=naive(created + timedelta(minutes=30)),
                response_warn_at=None,
                resolution_due_at=naive(created + timedelta(hours=8)),
                resolution_warn_at=None,
                closed_at=naive(done) if status == Status.CLOSED.value else None,
                next_ping_at=None,
            )
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def people_rows(total: int) -> tuple[int, list[dict[str, Any]], list[dict[str, Any]]]:
    """(requesters, people rows, identity rows): the four agents, then the requesters."""
    requesters = max(100, min(50_000, total // 20))
    people = [{"id": i + 1, "display_name": name.title()} for i, name in enumerate(AGENTS)]
    people += [
        {"id": i, "display_name": f"User {i}"}
        for i in range(len(AGENTS) + 1, len(AGENTS) + 1 + requesters)
    ]
    identities = [
        {"platform": "console", "external_id": name, "person_id": i + 1}
        for i, name in enumerate(AGENTS)
    ]
    identities += [
        {"platform": "console", "external_id": f"user{p['id']}", "person_id": p["id"]}
        for p in people[len(AGENTS) :]
    ]
    return requesters, people, identities


def fill(url: str, total: int, open_count: int, seed: int) -> Filled:
    """Create, migrate and fill the database; returns timings."""
    settings = make_settings(url)
    start = time.perf_counter()
    asyncio.run(upgrade(settings.storage_url))
    migrated = time.perf_counter()
    requesters, people, identities = people_rows(total)
    batches = ticket_rows(
        total, set(open_numbers(total, open_count, seed)), requesters, settings, seed
    )
    if make_url(url).get_backend_name() == "sqlite":
        inserted, indexed, size, indexes = _fill_sqlite(url, people, identities, batches)
    else:
        inserted, indexed, size, indexes = _fill_postgresql(url, people, identities, batches)
    return Filled(
        migrated - start, inserted - migrated, indexed - inserted, size, len(people), indexes
    )


Rows = list[dict[str, Any]]


def _fill_sqlite(
    url: str, people: Rows, identities: Rows, batches: Iterator[Rows]
) -> tuple[float, float, float, list[str]]:
    path = Path(str(make_url(url).database))
    engine = create_engine(f"sqlite:///{path}")
    check_stored_format(engine.dialect)

    @event.listens_for(engine, "connect")
    def _fast(dbapi_connection: Any, _record: Any) -> None:
        # A throwaway file: no fsync, no rollback journal, a big page cache for the indexes.
        for pragma in ("synchronous=OFF", "journal_mode=OFF", "cache_size=-262144"):
            dbapi_connection.execute(f"PRAGMA {pragma}")

    with engine.begin() as conn:
        # The migrated indexes, dropped for the fill and then created again from their own SQL
        # (one sort per index instead of a million random inserts into each).
        indexes = conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master "
            "WHERE type = 'index' AND tbl_name = 'tickets' AND sql IS NOT NULL"
        ).all()
        for name, _sql in indexes:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')
        conn.execute(PersonRow.__table__.insert(), people)
        conn.execute(IdentityRow.__table__.insert(), identities)
        first = next(batches)
        # Values are rendered already (see check_stored_format): a bare table clause binds
        # them as they are, without a million passes through the column types.
        insert = table("tickets", *(column(name) for name in first[0])).insert()
        conn.execute(insert, first)
        for batch in batches:
            conn.execute(insert, batch)
        inserted = time.perf_counter()
        for _name, sql in indexes:
            conn.exec_driver_sql(sql)
    indexed = time.perf_counter()
    engine.dispose()
    return inserted, indexed, path.stat().st_size / 2**20, [name for name, _sql in indexes]


def _fill_postgresql(
    url: str, people: Rows, identities: Rows, batches: Iterator[Rows]
) -> tuple[float, float, float, list[str]]:
    """``COPY`` in text form: the values :func:`ticket_rows` renders (naive UTC text, JSON
    text) are what PostgreSQL parses for ``timestamptz`` and ``jsonb`` in a UTC session."""
    import psycopg

    dsn = make_url(url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(dsn) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        indexes = conn.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = 'tickets' "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"
        ).fetchall()
        for name, _sql in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        for name, rows in (("people", people), ("identities", identities)):
            columns = list(rows[0])
            with conn.cursor().copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
        first = next(batches)
        columns = list(first[0])
        with conn.cursor().copy(f"COPY tickets ({', '.join(columns)}) FROM STDIN") as copy:
            for batch in (first, *batches):
                for row in batch:
                    copy.write_row([row[c] for c in columns])
        for name, column_name in (("people", "id"), ("tickets", "number")):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{name}', '{column_name}'), "
                f"(SELECT max({column_name}) FROM {name}))"
            )
        inserted = time.perf_counter()
        for _name, sql in indexes:
            conn.execute(sql)
        conn.execute("ANALYZE")
        size = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        conn.commit()
    indexed = time.perf_counter()
    return inserted, indexed, (size[0] if size else 0) / 2**20, [name for name, _sql in indexes]


def fill_in_child(url: str, total: int, open_count: int, seed: int) -> Filled:
    """Run :func:`fill` in a forked child, so its memory never counts as the desk's."""
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:
        return pool.apply(fill, (url, total, open_count, seed))


# -- arming and resetting ---------------------------------------------------------------------


def armed_values(number: int, settings: Settings) -> dict[str, Any]:
    """A ticket opened a while ago whose clocks are now warning or breached (real recompute)."""
    rng = random.Random(number)
    cats = categories(settings)
    for _ in range(1000):
        impact, can_work, priority = rng.choice(PRIORITIES)
        category, chain, policy = rng.choice(cats)
        age = timedelta(minutes=math.exp(rng.uniform(math.log(10), math.log(4 * 24 * 60))))
        claimed = rng.random() < 0.5
        ticket = Ticket(
            requester_id=len(AGENTS) + 1,
            requester_chat=ChatAddress("console", "user5"),
            summary="",
            impact=impact,
            can_work=can_work,
            urgency="now",
            priority=priority,
            tier=chain[0],
            chain=tuple(chain),
            created_at=NOW - age,
            category=category,
        )
        ticket.open(settings.sla)
        assert ticket.clocks.policy == policy
        if claimed:
            ticket.claim(rng.choice(L1_AGENTS), ticket.created_at + age / 4, settings.sla)
        due = ticket.clocks.next_ping_at
        if due is not None and due <= NOW:
            stored = ticket_values(ticket)
            values = {name: stored[name] for name in SLA_COLUMNS}
            values.update(status=ticket.status.value, chain=chain, updated_at=ticket.created_at)
            return {"n": number, **values}
    raise RuntimeError(f"no due state found for ticket {number}")


@dataclass
class Armed:
    numbers: list[int]
    values: list[dict[str, Any]]  # the due state
    saved: list[dict[str, Any]]  # the state before arming
    outbox_from: int
    history_from: int


async def arm(engine: AsyncEngine, numbers: list[int], settings: Settings) -> Armed:
    async with engine.begin() as conn:
        rows = await conn.execute(
            select(TICKETS.c.number, *(TICKETS.c[name] for name in SLA_COLUMNS)).where(
                TICKETS.c.number.in_(numbers)
            )
        )
        saved = [{"n": r.number, **{name: r._mapping[name] for name in SLA_COLUMNS}} for r in rows]
        outbox_from = await conn.scalar(select(func.coalesce(func.max(OutboxRow.id), 0)))
        history_from = await conn.scalar(select(func.coalesce(func.max(HistoryRow.id), 0)))
    armed = Armed(
        numbers,
        [armed_values(n, settings) for n in numbers],
        saved,
        int(outbox_from or 0),
        int(history_from or 0),
    )
    await reset(engine, armed)
    return armed


async def reset(
    engine: AsyncEngine, armed: Armed, values: list[dict[str, Any]] | None = None
) -> None:
    """Forget what a tick wrote and put the armed tickets back in their due state."""
    async with engine.begin() as conn:
        await _forget(conn, armed)
        await conn.execute(RESTORE, values if values is not None else armed.values)


async def _forget(conn: Any, armed: Armed) -> None:
    await conn.execute(delete(PingStageRow).where(PingStageRow.ticket_number.in_(armed.numbers)))
    await conn.execute(delete(OutboxRow).where(OutboxRow.id > armed.outbox_from))
    await conn.execute(delete(HistoryRow).where(HistoryRow.id > armed.history_from))


async def disarm(engine: AsyncEngine, armed: Armed) -> None:
    await reset(engine, armed, armed.saved)


async def park(engine: AsyncEngine, numbers: Sequence[int]) -> None:
    """Close the given open tickets, keeping what :func:`unpark` needs in a side table."""
    async with engine.begin() as conn:
        for i in range(0, len(numbers), 10_000):
            chunk = list(numbers[i : i + 10_000])
            into = "INSERT INTO bench_parked " if i else "CREATE TABLE bench_parked AS "
            await conn.execute(
                text(
                    into + "SELECT number, status, next_ping_at FROM tickets "
                    "WHERE number IN :numbers"
                ).bindparams(bindparam("numbers", expanding=True)),
                {"numbers": chunk},
            )
        closed = NOW - timedelta(days=1)
        await conn.execute(
            update(TICKETS)
            .where(
                TICKETS.c.number.in_(select(column("number")).select_from(table("bench_parked")))
            )
            .values(
                status=Status.CLOSED.value, resolved_at=closed, closed_at=closed, next_ping_at=None
            )
        )


async def unpark(engine: AsyncEngine) -> None:
    """Open the parked tickets again, as they were."""
    async with engine.begin() as conn:
        await conn.exec_driver_sql(
            "UPDATE tickets SET status = p.status, next_ping_at = p.next_ping_at, "
            "resolved_at = NULL, closed_at = NULL FROM bench_parked AS p "
            "WHERE tickets.number = p.number"
        )
        await conn.exec_driver_sql("DROP TABLE bench_parked")


# -- measuring --------------------------------------------------------------------------------


@dataclass
class Result:
    open: int
    due: int
    first_ms: float
    runs_ms: list[float]
    pings: int
    stages: int
    outbox: int
    history: int
    statements: Counter[str]
    sql_ms: float
    due_query_ms: float
    traced_peak_mib: float
    rss_mib: float
    max_rss_mib: float
    plan: list[str]
    note: str = ""
    raw_ms: list[float] = field(default_factory=list)  # the raw driver's replays
    transactions: int = 0  # of one tick
    raw_by_kind: Counter[str] = field(default_factory=Counter)  # ms per replay, by statement

    @property
    def median_ms(self) -> float:
        return statistics.median(self.runs_ms)

    @property
    def raw_median_ms(self) -> float:
        return statistics.median(self.raw_ms) if self.raw_ms else float("nan")


def rss_mib() -> float:
    """Resident memory of this process now (Linux), in MiB."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * 4096 / 2**20


def max_rss_mib() -> float:
    """The peak resident memory of this process so far, in MiB."""
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, rss_mib())


class SqlTrace:
    """Counts the statements a tick sends by kind, their time in the driver, and keeps the
    due-ticket query for EXPLAIN."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine.sync_engine
        self.kinds: Counter[str] = Counter()
        self.seconds = 0.0
        self.due_seconds = 0.0  # the due-ticket queries alone
        self.due_query: tuple[str, Any] | None = None

    def __enter__(self) -> SqlTrace:
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)

    def _before(
        self, _conn: Connection, _cursor: Any, sql: str, params: Any, context: Any, _many: bool
    ) -> None:
        context._bench_start = time.perf_counter()
        context._bench_due = "FROM tickets" in sql and "next_ping_at <=" in sql
        self.kinds[statement_kind(sql)] += 1
        if context._bench_due:
            self.due_query = (sql, params)

    def _after(
        self, _conn: Connection, _cursor: Any, _sql: str, _params: Any, context: Any, _many: bool
    ) -> None:
        elapsed = time.perf_counter() - context._bench_start
        self.seconds += elapsed
        if context._bench_due:
            self.due_seconds += elapsed


async def count(engine: AsyncEngine, armed: Armed) -> tuple[int, int, int]:
    """Ping stages, outbox rows and history rows the last tick wrote."""
    async with engine.connect() as conn:
        stages = await conn.scalar(
            select(func.count()).where(PingStageRow.ticket_number.in_(armed.numbers))
        )
        outbox = await conn.scalar(select(func.count()).where(OutboxRow.id > armed.outbox_from))
        history = await conn.scalar(select(func.count()).where(HistoryRow.id > armed.history_from))
    return int(stages or 0), int(outbox or 0), int(history or 0)


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


async def explain(engine: AsyncEngine, query: tuple[str, Any]) -> list[str]:
    statement, params = query
    sqlite = is_sqlite(engine)
    async with engine.connect() as conn:
        explained = f"EXPLAIN QUERY PLAN {statement}" if sqlite else f"EXPLAIN {statement}"
        result = await conn.exec_driver_sql(explained, params)
        return [str(row[-1]).strip() for row in result]


async def round_trip_ms(engine: AsyncEngine, times: int = 300) -> tuple[float, float]:
    """One primary-key SELECT through the desk's engine (aiosqlite: a thread hop per
    statement; psycopg async) and through the plain driver (sqlite3, psycopg), in ms."""
    mark = "?" if is_sqlite(engine) else "%s"
    statement = f"SELECT number, status FROM tickets WHERE number = {mark}"
    async with engine.connect() as conn:
        await conn.exec_driver_sql(statement, (1,))
        start = time.perf_counter()
        for n in range(1, times + 1):
            (await conn.exec_driver_sql(statement, (n,))).all()
        desk = (time.perf_counter() - start) * 1000 / times
    if is_sqlite(engine):
        plain: Any = sqlite3.connect(str(engine.url.database))
    else:
        import psycopg

        plain = psycopg.connect(engine.url.set(drivername="postgresql").render_as_string(False))
    try:
        plain.execute(statement, (1,)).fetchall()
        start = time.perf_counter()
        for n in range(1, times + 1):
            plain.execute(statement, (n,)).fetchall()
        bare = (time.perf_counter() - start) * 1000 / times
    finally:
        plain.close()
    return desk, bare


async def timed_tick(runtime: Runtime) -> tuple[float, int]:
    gc.collect()
    start = time.perf_counter()
    sent = await runtime.desk.sla.tick()
    return (time.perf_counter() - start) * 1000, sent


async def measure(
    runtime: Runtime,
    numbers: list[int],
    open_count: int,
    runs: int,
    note: str = "",
    *,
    raw: bool = False,
) -> Result:
    """First tick, a traced tick (SQL by kind, statements captured), ``runs`` timed ticks,
    one tick for memory. ``raw``: each timed tick is followed by the raw driver replaying the
    traced tick's statements (``benchmarks/sqlreplay.py``) in one transaction on the same
    database state (put back by :func:`reset`), timed too; it must write the same rows."""
    engine = runtime.engine
    url = engine.url.render_as_string(False)
    armed = await arm(engine, numbers, runtime.settings)
    first_ms, pings = await timed_tick(runtime)
    written = await count(engine, armed)
    stages = written[0]
    assert stages == pings, f"{pings} pings sent but {stages} stages recorded"

    await reset(engine, armed)
    with (
        SqlTrace(engine) as trace,
        Capture(engine.sync_engine) as capture,
        capture.segment("tick"),
    ):
        await runtime.desk.sla.tick()
    assert trace.due_query is not None, "the tick sent no due-ticket query"
    plan = await explain(engine, trace.due_query)
    tick = capture.segments
    if raw:
        await reset(engine, armed)
        replay(url, tick)  # warm: the driver's statement cache, the pages
        replayed = await count(engine, armed)
        assert replayed == written, f"the replay wrote {replayed}, the tick {written}"

    runs_ms, raw_ms = [], []
    spent: Counter[str] = Counter()
    for _ in range(runs):
        await reset(engine, armed)
        ms, sent = await timed_tick(runtime)
        assert sent == pings, f"a run sent {sent} pings, the first {pings}"
        runs_ms.append(ms)
        if raw:
            await reset(engine, armed)
            gc.collect()
            raw_ms.append(1000 * replay(url, tick, spent)[0])

    await reset(engine, armed)
    gc.collect()
    tracemalloc.start()
    await runtime.desk.sla.tick()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    await disarm(engine, armed)
    return Result(
        open_count,
        len(numbers),
        first_ms,
        runs_ms,
        pings,
        *written,
        trace.kinds,
        trace.seconds * 1000,
        trace.due_seconds * 1000,
        peak / 2**20,
        rss_mib(),
        max_rss_mib(),
        plan,
        note,
        raw_ms,
        tick[0].transactions,
        Counter({kind: 1000 * t / max(1, runs) for kind, t in spent.items()}),
    )


async def profile(runtime: Runtime, numbers: list[int], top: int = 25) -> str:
    """cProfile of one tick: the top functions by own time and by cumulative time."""
    armed = await arm(runtime.engine, numbers, runtime.settings)
    profiler = cProfile.Profile()
    gc.collect()
    profiler.enable()
    await runtime.desk.sla.tick()
    profiler.disable()
    await disarm(runtime.engine, armed)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).strip_dirs()
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


# -- the run ----------------------------------------------------------------------------------


@dataclass
class Bench:
    results: list[Result]
    round_trip_ms: tuple[float, float]
    profile: str


async def bench(url: str, args: argparse.Namespace) -> Bench:
    settings = make_settings(url)
    print(f"desk process before build: RSS {rss_mib():.0f} MiB", file=sys.stderr)
    runtime = await build(settings, clock=FrozenClock(NOW), migrate=False)
    profiled = ""
    try:
        order = open_numbers(args.total, args.open, args.seed)  # shuffled: the first get due
        results = []
        dues = (
            [args.due] if args.quick else sorted({max(1, args.due // 10), args.due, args.due * 10})
        )
        for due in dues:
            runs = args.runs if due <= args.due else max(1, args.runs // 3)
            results.append(
                await measure(runtime, order[:due], args.open, runs, raw=due == args.due)
            )
            print(f"  {args.open:>9,} open, {due:>5,} due done", file=sys.stderr)
        trip = await round_trip_ms(runtime.engine)
        if args.profile:
            profiled = await profile(runtime, order[: args.due])
        if not args.quick:
            # Fewer open tickets, the same due ones; then all open again, to see the drift of
            # this machine between the two.
            fewer = max(args.due, args.open // 10)
            await park(runtime.engine, order[fewer:])
            results.append(await measure(runtime, order[: args.due], fewer, args.runs))
            print(f"  {fewer:>9,} open, {args.due:>5,} due done", file=sys.stderr)
            await unpark(runtime.engine)
            again = await measure(runtime, order[: args.due], args.open, args.runs, "again")
            results.append(again)
            print(f"  {args.open:>9,} open, {args.due:>5,} due done (again)", file=sys.stderr)
    finally:
        await runtime.close()
    return Bench(results, trip, profiled)


def report(run: Bench, filled: Filled, args: argparse.Namespace, load: str, database: str) -> None:
    """The human-readable table, on stderr (stdout has the JSON line)."""
    out = sys.stderr
    name = "SQLite" if database == "sqlite" else "PostgreSQL"
    print(
        f"\nSLA tick on {name}, {args.total:,} tickets ({filled.people:,} people), database "
        f"{filled.size_mib:.0f} MiB. Setup {filled.total_s:.1f} s: migrate "
        f"{filled.migrate_s:.1f} s, insert {filled.insert_s:.1f} s, "
        f"{len(filled.indexes)} ticket indexes {filled.index_s:.1f} s. Load average {load}.",
        file=out,
    )
    print("ms per tick; median/min/max of the timed runs that follow the first tick\n", file=out)
    print(
        f"{'open':>14} {'due':>6} | {'first':>7} {'median':>7} {'min':>7} {'max':>7} {'runs':>4} "
        f"{'ms/due':>6} {'raw':>6} | {'pings':>5} {'stages':>6} {'outbox':>6} {'hist':>5} | "
        f"{'SQL':>5} {'SQL ms':>6} {'due q':>5} | {'peak MiB':>8} {'RSS':>4} {'maxRSS':>6}",
        file=out,
    )
    print("-" * 144, file=out)
    for r in run.results:
        label = f"{r.open:,}" + (f" ({r.note})" if r.note else "")
        raw = f"{r.raw_median_ms:6.1f}" if r.raw_ms else f"{'':>6}"
        print(
            f"{label:>14} {r.due:>6,} | {r.first_ms:7.1f} {r.median_ms:7.1f} "
            f"{min(r.runs_ms):7.1f} {max(r.runs_ms):7.1f} {len(r.runs_ms):>4} "
            f"{r.median_ms / r.due:6.2f} {raw} | {r.pings:>5} {r.stages:>6} {r.outbox:>6} "
            f"{r.history:>5} | {r.statements.total():>5} {r.sql_ms:6.1f} {r.due_query_ms:5.1f} | "
            f"{r.traced_peak_mib:8.1f} {r.rss_mib:4.0f} {r.max_rss_mib:6.0f}",
            file=out,
        )
    main = main_result(run, args)
    verdict = "met" if main.median_ms <= 2 * main.raw_median_ms else "NOT met"
    print(
        f"\nTarget (tick ≤ 2 × the raw driver's replay of its statements, {args.due} due, "
        f"{args.open:,} open): {main.median_ms:.1f} ms vs {main.raw_median_ms:.1f} ms raw, "
        f"ratio {main.median_ms / main.raw_median_ms:.2f}, {verdict}.",
        file=out,
    )
    print(
        "first = the configuration's first tick (the very first one also compiles the "
        "statements); raw = median of the raw driver replaying\nthe statements of one traced "
        "tick in one transaction; SQL / SQL ms = statements one tick sent and their time in "
        "the driver\n(aiosqlite thread hops included); due q = the due-ticket query's share of "
        "it; peak MiB = tracemalloc peak of one tick;\nRSS / maxRSS = this process now / its "
        "peak so far, in MiB (the fill ran in a child process); (again) = the first\n"
        "configuration measured once more at the end, to show this machine's drift.",
        file=out,
    )
    desk, bare = run.round_trip_ms
    per_due = ", ".join(
        f"{kind} {n / main.due:.2f}" for kind, n in main.statements.most_common() if n > 1
    )
    print(
        f"\nStatements per due ticket at the main configuration: {per_due}."
        f"\nOne primary-key SELECT: {desk:.3f} ms through the desk's engine, "
        f"{bare:.3f} ms through the plain driver.",
        file=out,
    )
    slowest = ", ".join(f"{k} {ms:.1f}" for k, ms in main.raw_by_kind.most_common(6))
    print(f"Raw replay, ms by statement: {slowest}.", file=out)
    print("\nQuery plan of the tick's due-ticket query, as the tick sent it:", file=out)
    for r in run.results:
        if r.due == args.due:
            print(f"  {r.open:,} open, {r.due} due: " + "; ".join(r.plan), file=out)


def main_result(run: Bench, args: argparse.Namespace) -> Result:
    return next(r for r in run.results if r.due == args.due and r.raw_ms)


def json_line(
    run: Bench, filled: Filled, args: argparse.Namespace, database: str
) -> dict[str, Any]:
    main = main_result(run, args)
    return {
        "benchmark": "sla_tick",
        "database": database,
        "total": args.total,
        "open": args.open,
        "due": args.due,
        "runs": len(main.runs_ms),
        "tick_ms": round(main.median_ms, 1),
        "tick_min_ms": round(min(main.runs_ms), 1),
        "raw_ms": round(main.raw_median_ms, 1),
        "raw_min_ms": round(min(main.raw_ms), 1),
        "ratio": round(main.median_ms / main.raw_median_ms, 2),
        "ratio_of_minimums": round(min(main.runs_ms) / min(main.raw_ms), 2),
        "target_ratio": 2.0,
        "met": main.median_ms <= 2 * main.raw_median_ms,
        "statements": main.statements.total(),
        "transactions": main.transactions,
        "pings": main.pings,
        "rows": {"stages": main.stages, "outbox": main.outbox, "history": main.history},
        "sql_ms": round(main.sql_ms, 1),
        "raw_ms_by_statement": {k: round(ms, 1) for k, ms in main.raw_by_kind.most_common(6)},
        "others_ms": {
            f"{r.open}/{r.due}" + (f" {r.note}" if r.note else ""): round(r.median_ms, 1)
            for r in run.results
            if r is not main
        },
        "fill_s": round(filled.total_s, 1),
        "max_rss_mib": round(max(r.max_rss_mib for r in run.results)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--total", type=int, help="tickets in all (1 000 000)")
    parser.add_argument("--open", type=int, default=100_000, help="active tickets")
    parser.add_argument("--due", type=int, default=100, help="tickets due at the tick")
    parser.add_argument("--runs", type=int, help="timed ticks per configuration (7)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--pg-url", default="", help="also measure on this PostgreSQL (wiped)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="--total 1.2 × --open (120 000), only --due due (with its raw replay), 9 runs",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile one tick at --due")
    args = parser.parse_args()
    args.total = args.total or (args.open * 6 // 5 if args.quick else 1_000_000)
    args.runs = args.runs or (9 if args.quick else 7)
    if not 0 < args.due * 10 <= args.open <= args.total:
        parser.error("need 0 < due × 10 <= open <= total")

    for database, url in databases(args.pg_url, "").items():
        load_before = os.getloadavg()[0]
        with tempfile.TemporaryDirectory(prefix="tierdesk-sla-") as folder:
            if database == "sqlite":
                url = f"sqlite+aiosqlite:///{Path(folder) / 'sla.db'}"
            else:
                wipe_pg(url)
            print(f"filling {database} with {args.total:,} tickets …", file=sys.stderr)
            filled = fill_in_child(url, args.total, args.open, args.seed)
            print(
                f"setup {filled.total_s:.1f} s: migrate {filled.migrate_s:.1f} s, insert "
                f"{filled.insert_s:.1f} s, indexes {filled.index_s:.1f} s",
                file=sys.stderr,
            )
            run = asyncio.run(bench(url, args))
        load_after = os.getloadavg()[0]
        load = f"{load_before:.1f} at the start, {load_after:.1f} at the end"
        report(run, filled, args, load, database)
        if run.profile:
            print(f"\ncProfile of one tick at {args.due} due\n{run.profile}", file=sys.stderr)
        line = json_line(run, filled, args, database)
        emit(line | {"load": [round(load_before, 2), round(load_after, 2)]})


if __name__ == "__main__":
    main()
