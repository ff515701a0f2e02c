"""How fast does a real ``tierdesk run`` empty a full outbox over Slack, with nothing else to do?

``slack_first_dm.py``'s burst times the outbox while it shares the process with a thousand
events being handled: once the outbox keeps up, its messages per second there are the rate
at which events produce replies, not what it can send. This measures the outbox alone:
``--items`` messages are queued in a fresh SQLite database (first replies to as many direct
chats; with ``--cards``, also a ticket card and a thread note in a tier channel per ticket),
then ``tierdesk run`` starts against the fake Slack Web API of ``tests/fakes/slack_api.py``
(in this process) and its scheduled delivery round sends them. Prints one JSON line per
database (``--pg-url`` adds PostgreSQL, its public schema wiped): messages per second from
the first post to the last, and whether every note landed in its card's thread.
``--checkout DIR`` measures another commit's worktree (its ``.venv``), so a before and after
can share one run of the machine.

Run from the repository root: ``.venv/bin/python benchmarks/outbox_drain.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402
    BenchSlackApi,
    databases,
    emit,
    free_port,
    start_tierdesk,
    tierdesk_config,
    wipe_pg,
)
from bot.messages import Message, OutboxItem, Route, RouteKind  # noqa: E402
from storage.db import make_engine  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.uow import SqlUnitOfWorkFactory  # noqa: E402

TIER = "C0L1HELP"


def items(count: int, cards: int) -> list[OutboxItem]:
    now = datetime.now(UTC)
    queued = []
    for n in range(cards):
        key = f"ticket:{n + 1}:L1"
        for text, route in (
            ("card", Route("slack", RouteKind.CHAT, chat_id=TIER, card_key=key, label="L1")),
            ("note", Route("slack", RouteKind.CHAT, chat_id=TIER, thread_key=key, label="L1")),
        ):
            queued.append(OutboxItem(route, Message(f"{text} {n}"), now, ticket_number=n + 1))
    for n in range(count):
        route = Route("slack", RouteKind.CHAT, chat_id=f"DUREQ{n:07d}", label="requester")
        queued.append(OutboxItem(route, Message("Who is affected?"), now))
    return queued


async def queue(url: str, count: int, cards: int) -> None:
    await upgrade(url)
    engine = make_engine(url)
    try:
        uow_factory = SqlUnitOfWorkFactory(engine)
        async with uow_factory() as uow:
            for item in items(count, cards):
                await uow.outbox.add_many([item])
            await uow.commit()
    finally:
        await engine.dispose()


async def measure(checkout: Path, count: int, cards: int, db_url: str) -> dict[str, Any]:
    api = BenchSlackApi()
    await api.start()
    folder = Path(tempfile.mkdtemp(prefix="bench-drain-"))
    try:
        if db_url.startswith("postgresql"):
            wipe_pg(db_url)
        else:
            db_url = f"sqlite+aiosqlite:///{folder / 'tierdesk.db'}"
        await queue(db_url, count, cards)
        total = count + 2 * cards
        port = free_port()
        config = tierdesk_config(folder, api.url, port, db_url, checkout)
        server = await start_tierdesk("tierdesk", config, port, folder, api.url, checkout)
        try:
            deadline = time.perf_counter() + 300
            while len(api.posts) < total and time.perf_counter() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
        finally:
            await server.stop()
        posts = api.posts
        span = posts[-1] - posts[0] if len(posts) > 1 else float("nan")
        tier = api.messages.get(TIER, [])
        cards_ts = {m["ts"] for m in tier if not m.get("thread_ts")}
        notes = [m for m in tier if m.get("thread_ts")]
        return {
            "posted": len(posts),
            "outbox_msgs_per_s": round(len(posts) / span, 1) if span == span and span else 0.0,
            "notes_in_their_thread": len(notes) == cards
            and all(m["thread_ts"] in cards_ts for m in notes),
        }
    finally:
        await api.stop()
        shutil.rmtree(folder, ignore_errors=True)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=2000, help="first replies to direct chats")
    parser.add_argument("--cards", type=int, default=0, help="tickets with a card and a note")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--pg-url", default="", help="also measure on this PostgreSQL (wiped)")
    parser.add_argument("--checkout", type=Path, default=ROOT)
    args = parser.parse_args()
    for database, url in databases(args.pg_url, "sqlite").items():
        runs = [
            await measure(args.checkout, args.items, args.cards, url) for _ in range(args.rounds)
        ]
        rates = sorted(run["outbox_msgs_per_s"] for run in runs)
        emit(
            {
                "benchmark": "outbox_drain",
                "database": database,
                "checkout": str(args.checkout),
                "items": args.items,
                "cards": args.cards,
                "outbox_msgs_per_s": rates[len(rates) // 2],
                "runs": runs,
            }
        )


if __name__ == "__main__":
    asyncio.run(main())
