"""SQL statements, transactions and in-process time per first DM, beside the raw driver
replaying the same statements.

Builds the real desk in this process (``adapters.runtime.build`` on the settings ``tierdesk
run`` would load from a copy of ``config.example.toml``: console off, Slack on) on a fresh SQLite
file, or on PostgreSQL (``--pg-url``, its public schema wiped), and hands ``Desk.handle``
``--dms`` first DMs as ``bot.events.MessageReceived`` from distinct Slack users, each asking the
next of CLINC150's ``train`` utterances in a seeded order (``common.questions``), as the Slack
adapter hands them over after ``users.info`` (display name and time zone known):

- ``new``: requesters the desk has never met (their person and identity are created);
- ``known``: requesters already signed up: recorded beforehand with ``Desk.meet``, as an agent
  mentioning them or an earlier conversation would have, so the DM is their first to the desk.

Per ``Desk.handle``: the statements the driver ran (SQLAlchemy ``before_cursor_execute`` on
``runtime.engine.sync_engine``; BEGIN/COMMIT are counted as transactions, not statements;
savepoints are statements and also shown apart), transactions (``commit``/``rollback`` events)
and wall time p50/p99 (the first ``--warmup`` DMs, which calibrate the knowledge index, are not
counted). Target (issue 10): at most 4 statements and 1 transaction per first DM.

The reference, in the same run: before the measured DMs the database is copied (SQLite:
``sqlite3`` backup; PostgreSQL: ``CREATE DATABASE … TEMPLATE``), and every DM's captured
statements are replayed with their parameters against the copy through the raw driver (plain
``sqlite3`` / ``psycopg``, one transaction per DM, every result read): the same rows written with
no ORM, no asyncio and no desk logic (``benchmarks/sqlreplay.py``).

Opening a ticket (issue 13 added incident detection to it): ``--opens`` of the ``known``
requesters, their intake set at its last question, press *Open ticket* (the real
``Desk.handle`` of that press, categories taken in turn, CLINC150 texts, so a storm is rare):
half with detection on, half off, and the statements per press of each and their difference
(``open``; not replayed). Target: detection adds about one statement per opened ticket
(SQLite; PostgreSQL adds its per-category lock).

Run from the repository root: ``.venv/bin/python benchmarks/desk_handle.py [--quick]
[--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_h]``. One JSON line per database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import sqlite3
import statistics
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    databases,
    emit,
    free_port,
    load,
    percentile,
    questions,
    tierdesk_config,
    tierdesk_env,
    wipe_pg,
)
from sqlreplay import Capture, Segment, kinds, replay, row_counts

from adapters.platforms import PLATFORMS
from adapters.runtime import Runtime, build
from bot.domain import Conversation
from bot.events import ActionPressed, ChatRef, MessageReceived, UserRef
from bot.messages import Action
from bot.services.intake import Step
from bot.settings import load_settings
from bot.views.intake import SUBMIT

ZONE = "Europe/Berlin"
TARGET_STATEMENTS = 4
TARGET_TRANSACTIONS = 1
TABLES = ("inbound_events", "people", "identities", "conversations", "outbox")


def first_dm(n: int, prefix: str, text: str) -> MessageReceived:
    user_id = f"U{prefix}{n:07d}"
    return MessageReceived(
        event_id=f"Ev{prefix}{n:08d}",
        user=UserRef("slack", user_id, f"Requester {prefix}{n}", ZONE),
        chat=ChatRef("slack", "D" + user_id, direct=True),
        text=text,
    )


CATEGORIES = ("access", "hardware", "network")


async def open_tickets(
    runtime: Runtime, capture: Capture, label: str, numbers: range, texts: Iterator[str]
) -> None:
    """Known requesters ``numbers`` press *Open ticket* at the end of an intake (their
    dialogs set at the confirmation), each press captured as one ``label`` segment."""
    now = runtime.clock.now()
    async with runtime.uow_factory() as uow:
        for n in numbers:
            user = first_dm(n, "K", "").user
            conversation = await uow.conversations.get("slack", "D" + user.user_id, user.user_id)
            data: dict[str, object] = {
                "description": next(texts),
                "impact": "one",
                "can_work": "limited",
                "urgency": "today",
                "category": CATEGORIES[n % len(CATEGORIES)],
            }
            person_id = conversation.person_id if conversation else None
            await uow.conversations.save(
                Conversation(
                    "slack", "D" + user.user_id, user.user_id, person_id, Step.CONFIRM, data, now
                )
            )
        await uow.commit()
    for n in numbers:
        user = first_dm(n, "K", "").user
        event = ActionPressed(
            event_id=f"Ev{label}{n:08d}",
            user=user,
            chat=ChatRef("slack", "D" + user.user_id, direct=True),
            action=Action.CHOOSE,
            ticket=None,
            value=SUBMIT,
        )
        with capture.segment(label):
            assert await runtime.desk.handle(event)


@contextlib.contextmanager
def copied(url: str, folder: Path) -> Iterator[str]:
    """A copy of the database at ``url`` as it is now; yields its URL."""
    if url.startswith("sqlite"):
        source = url.split("///", 1)[1]
        target = folder / "replay.db"
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        src.close()
        dst.close()
        yield f"sqlite+aiosqlite:///{target}"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(False)
    name = f"{parsed.database}_replay"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{parsed.database}"')
    try:
        yield parsed.set(database=name).render_as_string(False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def summary(segments: list[Segment], raw: list[float]) -> dict[str, Any]:
    statements = [len(s.statements) for s in segments]
    transactions = [s.transactions for s in segments]
    handle_ms = [1000 * s.seconds for s in segments]
    raw_ms = [1000 * r for r in raw]
    by_kind = {k: round(n / len(segments), 2) for k, n in kinds(segments).most_common()}
    return {
        "statements_per_dm": round(statistics.mean(statements), 2),
        "statements_max": max(statements),
        "savepoints_per_dm": round(statistics.mean(s.savepoints for s in segments), 2),
        "transactions_per_dm": round(statistics.mean(transactions), 2),
        "handle_p50_ms": round(percentile(handle_ms, 0.5), 2),
        "handle_p99_ms": round(percentile(handle_ms, 0.99), 2),
        "raw_p50_ms": round(percentile(raw_ms, 0.5), 3),
        "raw_p99_ms": round(percentile(raw_ms, 0.99), 3),
        "handle_over_raw_p50": round(percentile(handle_ms, 0.5) / percentile(raw_ms, 0.5), 1),
        "by_kind": by_kind,
    }


async def measure(url: str, args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    config = tierdesk_config(folder, "http://127.0.0.1:9/api/", free_port(), url)
    settings = load_settings(config, tierdesk_env("http://127.0.0.1:9/api/"), platforms=PLATFORMS)
    runtime: Runtime = await build(settings)
    texts = iter(questions())
    try:
        for n in range(args.warmup):  # imports, statement caches, knowledge calibration
            await runtime.desk.handle(first_dm(n, "W", next(texts)))
        await runtime.engine.dispose()  # PostgreSQL: no session may hold the template
        with copied(url, folder) as copy_url, Capture(runtime.engine.sync_engine) as capture:
            with capture.segment("meet"):
                known = [first_dm(n, "K", "") for n in range(args.dms)]
                await runtime.desk.meet(e.user for e in known)
            for label, prefix in (("known", "K"), ("new", "N")):
                for n in range(args.dms):
                    event = first_dm(n, prefix, next(texts))
                    with capture.segment(label):
                        handled = await runtime.desk.handle(event)
                    assert handled, f"{event.event_id} was taken for a duplicate"
            raw = replay(copy_url, capture.segments)
            written, replayed = row_counts(url, TABLES), row_counts(copy_url, TABLES)
            assert written == replayed, f"the replay wrote {replayed}, the desk {written}"
        opens = min(args.opens, args.dms) // 2
        with Capture(runtime.engine.sync_engine) as opening:
            await open_tickets(runtime, opening, "open_detecting", range(opens), texts)
            incidents = runtime.desk.incidents
            detecting = incidents.config
            incidents.config = replace(detecting, enabled=False)
            try:
                await open_tickets(runtime, opening, "open_plain", range(opens, 2 * opens), texts)
            finally:
                incidents.config = detecting
    finally:
        await runtime.close()
    figures: dict[str, Any] = {}
    for label in ("new", "known"):
        picked = [i for i, s in enumerate(capture.segments) if s.label == label]
        figures[label] = summary([capture.segments[i] for i in picked], [raw[i] for i in picked])
    per_press = {
        label: [len(s.statements) for s in opening.segments if s.label == label]
        for label in ("open_detecting", "open_plain")
    }
    on, off = per_press["open_detecting"], per_press["open_plain"]
    figures["open"] = {
        "tickets": len(on) + len(off),
        "statements_per_open": round(statistics.mean(on), 2),
        "statements_median": statistics.median(on),
        "statements_max": max(on),
        "statements_per_open_without_detection": round(statistics.mean(off), 2),
        "statements_median_without_detection": statistics.median(off),
        # the usual case, no storm: the detector's one read (and on PostgreSQL its lock)
        "detection_statements_median": statistics.median(on) - statistics.median(off),
        # proposals made or extended meanwhile add the incident's rows and its card
        "detection_statements_mean": round(statistics.mean(on) - statistics.mean(off), 2),
        "by_kind": {
            k: round(n / len(on), 2)
            for k, n in kinds(
                [s for s in opening.segments if s.label == "open_detecting"]
            ).most_common()
        },
    }
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dms", type=int, default=500, help="measured first DMs per kind")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument(
        "--opens", type=int, default=200, help="tickets opened (half without detection)"
    )
    parser.add_argument("--pg-url", default="", help="also measure on this PostgreSQL (wiped)")
    parser.add_argument("--quick", action="store_true", help="200 DMs per kind (make bench)")
    args = parser.parse_args()
    if args.quick:
        args.dms = 200
        args.opens = 100
    for database, url in databases(args.pg_url, "").items():
        folder = Path(tempfile.mkdtemp(prefix="bench-handle-"))
        try:
            if database == "sqlite":
                url = f"sqlite+aiosqlite:///{folder / 'desk.db'}"
            else:
                wipe_pg(url)
            load_before = load()
            figures = await measure(url, args, folder)
            emit(
                {
                    "benchmark": "desk_handle",
                    "database": database,
                    "dms": args.dms,
                    "texts": "clinc150 train, seeded",
                    **figures,
                    "target": {
                        "statements_per_dm": TARGET_STATEMENTS,
                        "transactions_per_dm": TARGET_TRANSACTIONS,
                    },
                    # the target is the first DM of a requester the desk has never met
                    "met": figures["new"]["statements_max"] <= TARGET_STATEMENTS
                    and figures["new"]["transactions_per_dm"] <= TARGET_TRANSACTIONS,
                    "load": [load_before, load()],
                }
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
