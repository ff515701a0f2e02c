"""kill -9 under load: a real ``tierdesk run`` (Slack over HTTP, fake Web API) gets
``--events`` direct messages while it is SIGKILLed ``--kills`` times and restarted; then
counts what a user would notice.

Half the kills are timed into the worst gap (the fake Slack API has stored a post and holds
its answer), the others land at whatever the process was doing. Events the process did not
acknowledge are sent again, as Slack does. At the end:

- duplicates: outbox ids Slack shows more than once;
- lost: acknowledged events the desk has no record of, plus outbox rows never delivered.

    .venv/bin/python benchmarks/kill_loop.py [--events 500] [--kills 6] [--db URL]

Bounded: each restart waits at most 30 s, the whole run gives up after ``--budget`` s.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storage.db import make_engine
from storage.migrate import upgrade
from storage.tables import InboundEventRow, OutboxRow
from tests.e2e.slack import payloads
from tests.e2e.slack.desk_process import DeskProcess, free_port
from tests.fakes.slack_api import FakeSlackApi, slack_user

USERS = [f"U{i:04d}" for i in range(25)]
WORDS = ["printer", "vpn", "laptop", "monitor", "mail", "wifi", "badge", "phone"]


async def run(events: int, kills: int, database_url: str, budget: float, seed: int) -> dict:
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="tierdesk-kill-"))
    if not database_url:
        database_url = f"sqlite+aiosqlite:///{work / 'desk.db'}"
    engine = make_engine(database_url)
    await upgrade(engine)
    await engine.dispose()
    api = FakeSlackApi(users={u: slack_user(u, u.title()) for u in USERS}, now=time.time)
    await api.start()
    port = free_port()
    desk = await DeskProcess.start(work, database_url, api.url, "desk-0", port)
    acknowledged: list[str] = []
    sent = 0
    deadline = time.monotonic() + budget
    done_killing = 0
    timed_kills = 0
    progress = asyncio.Event()  # set by the sender after each event

    async def send_all(session: aiohttp.ClientSession) -> None:
        nonlocal sent
        for n in range(events):
            user = USERS[n % len(USERS)]
            text = f"my {rng.choice(WORDS)} is broken ({n})"
            body = payloads.event_body(
                payloads.message_event(user, "D" + user, text), event_id=f"EvKill{n:06d}"
            )
            while time.monotonic() < deadline:
                with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                    if await desk.post(session, body) == 200:
                        acknowledged.append(f"EvKill{n:06d}")
                        break
                await asyncio.sleep(0.2)  # the process is down: Slack retries later
            sent = n + 1
            progress.set()

    async def kill_some() -> None:
        nonlocal desk, done_killing, timed_kills
        for k in range(kills):
            while sent < (k + 1) * events // (kills + 1) and sent < events:
                progress.clear()
                await progress.wait()
            hold = None
            if k % 2 == 0:  # into the gap: Slack has the post, the desk has not heard yet
                hold = api.hold("chat.postMessage")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(hold.accepted.wait(), 10)
                timed_kills += hold.accepted.is_set()
            else:
                await asyncio.sleep(rng.uniform(0, 0.5))
            await desk.kill()
            if hold is not None:
                hold.release()
            done_killing += 1
            desk = await DeskProcess.start(work, database_url, api.url, f"desk-{k + 1}", port)

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        await asyncio.gather(send_all(session), kill_some())
    pending = await wait_settled(database_url, deadline)
    await desk.stop()
    await api.stop()
    return {
        "database": database_url.split("://", 1)[0],
        "events": len(acknowledged),
        "kills": done_killing,
        "kills_in_the_gap": timed_kills,
        "posts": sum(len(v) for v in api.messages.values()),
        "duplicates": duplicates(api),
        "lost": await lost(database_url, acknowledged) + pending,
        "undelivered": pending,
    }


def duplicates(api: FakeSlackApi) -> int:
    seen = collections.Counter(
        m["metadata"]["event_payload"]["outbox_id"]
        for channel in api.messages
        for m in api.tagged(channel)
    )
    return sum(n - 1 for n in seen.values() if n > 1)


async def wait_settled(database_url: str, deadline: float) -> int:
    """Wait until no outbox row is pending (or the budget is spent); how many still are."""
    engine = make_engine(database_url)
    try:
        while True:
            async with engine.connect() as connection:
                pending = await connection.scalar(
                    sa.select(sa.func.count())
                    .select_from(OutboxRow)
                    .where(OutboxRow.delivered_at.is_(None))
                )
            if not pending or time.monotonic() > deadline:
                return int(pending or 0)
            await asyncio.sleep(0.5)
    finally:
        await engine.dispose()


async def lost(database_url: str, acknowledged: list[str]) -> int:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            known = set((await connection.scalars(sa.select(InboundEventRow.event_id))).all())
    finally:
        await engine.dispose()
    return sum(1 for event_id in acknowledged if event_id not in known)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--db", default="", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--budget", type=float, default=240.0, help="seconds for the whole run")
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    result = asyncio.run(run(args.events, args.kills, args.db, args.budget, args.seed))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
