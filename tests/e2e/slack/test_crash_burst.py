"""kill -9 at random points of a burst of intakes and agent actions, on SQLite and
PostgreSQL: the desk restarts on the same port and what it did not acknowledge is sent
again (as Slack retries). Every acknowledged event's effects are there (the next question
came, or the conversation would stall), nothing is half-written (each requester has one
ticket, each claim one history entry), no outbox message is lost or sent twice, and the
SLA pings that fell due while the desk was down go out once after the restart."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import aiohttp
import sqlalchemy as sa

from storage.db import make_engine
from storage.tables import TicketRow
from storage.types import UTCDateTime
from tests.e2e.slack import payloads
from tests.e2e.slack.desk_process import DeskProcess, free_port, outbox
from tests.e2e.slack.test_replicas import (
    ALICE,
    L1,
    Replicas,
    fast_sla,
    ping_stages,
    posted_outbox_ids,
    tickets,
    until,
)
from tests.fakes.slack_api import FakeSlackApi, slack_user

REQUESTERS = [f"UCRASH{i}" for i in range(3)]
KILLS = 1  # in the burst; one more while pings fall due


async def time_passes(database_url: str, seconds: float) -> None:
    """What ``seconds`` with the desk down do to its tickets, without waiting them: every time
    stored on a ticket (opened, due, warned, next ping, …) moves that far into the past."""
    table = TicketRow.__table__
    stamps = [c for c in table.columns if isinstance(c.type, UTCDateTime)]
    back = timedelta(seconds=seconds)
    engine = make_engine(database_url)
    try:
        async with engine.begin() as connection:
            rows = (await connection.execute(sa.select(table))).mappings().all()
            for row in rows:
                moved = {c.name: row[c.name] - back for c in stamps if row[c.name] is not None}
                await connection.execute(
                    sa.update(table).where(table.c.number == row["number"]).values(moved)
                )
    finally:
        await engine.dispose()


async def test_kill_9_at_random_points_of_a_burst_loses_and_repeats_nothing(
    database_url: str, tmp_path: Path
) -> None:
    seed = random.randrange(1_000_000)
    chance = random.Random(seed)
    people = {u: slack_user(u, f"Crash {u[-1]}") for u in REQUESTERS}
    api = FakeSlackApi(users=people | {ALICE: slack_user(ALICE, "Alice")}, now=time.time)
    await api.start()
    port = free_port()
    start = DeskProcess.start
    desk = await start(tmp_path, database_url, api.url, "crash-0", port, configure=fast_sla)
    try:
        async with aiohttp.ClientSession() as http:
            replicas = Replicas(api, [desk], http)

            async def kills() -> None:
                """kill -9 when the burst has made a random amount of progress (Slack
                posts so far), then restart on the same port at once."""
                for round_, at in enumerate(sorted(chance.sample(range(4, 22), KILLS)), 1):
                    await until(lambda at=at: len(api.of("chat.postMessage")) >= at, "progress")
                    await replicas.desks[0].kill()
                    replicas.desks[0] = await start(
                        tmp_path, database_url, api.url, f"crash-{round_}", port, configure=fast_sla
                    )

            async def burst() -> None:
                await asyncio.gather(
                    *(
                        replicas.intake(u, f"laptop {i} will not boot")
                        for i, u in enumerate(REQUESTERS)
                    )
                )
                cards = [
                    c
                    for c in api.of("chat.postMessage")
                    if c.channel == L1 and not c.args.get("thread_ts")
                ]
                for card in cards[:1]:  # agent actions in the burst too
                    body = payloads.action_body(ALICE, L1, card.ts, card.button("Claim"))
                    await replicas.send(body, "application/x-www-form-urlencoded")

            await asyncio.gather(burst(), kills())

            # Down while the S1 tickets' pings fall due; they go out once after the restart.
            await replicas.desks[0].kill()
            opened = await tickets(database_url)
            due = max(t.response_due_at for t in opened if t.assignee_id is None)
            await time_passes(database_url, max(0.0, due.timestamp() + 1 - time.time()))
            opened = await tickets(database_url)
            replicas.desks[0] = await start(
                tmp_path, database_url, api.url, "crash-last", port, configure=fast_sla
            )

            assert sorted(t.requester_chat_id for t in opened) == sorted(
                f"D{u}" for u in REQUESTERS
            ), f"seed {seed}"
            unclaimed = {t.number for t in opened if t.assignee_id is None}
            assert len(unclaimed) == len(REQUESTERS) - 1, f"seed {seed}"

            deadline = time.monotonic() + 30
            while True:
                stages = await ping_stages(database_url)
                breached = {
                    s.ticket_number
                    for s in stages
                    if s.key.startswith("response") and s.key.endswith("breach")
                }
                rows = await outbox(database_url)
                delivered = all(r.delivered_at is not None for r in rows)
                if unclaimed <= breached and delivered:
                    break
                assert time.monotonic() < deadline, f"seed {seed}: {breached}, {delivered}"
                await asyncio.sleep(0.3)

            posted = posted_outbox_ids(api)
            assert {i: n for i, n in posted.items() if n > 1} == {}, f"seed {seed}"
            in_slack = {m["ts"] for channel in api.messages.values() for m in channel}
            lost = [r.id for r in rows if r.kind != "ephemeral" and r.sent_id not in in_slack]
            assert lost == [], f"seed {seed}"
            claims = Counter(
                c.text for c in api.of("chat.postMessage") if c.text.startswith("Alice claimed")
            )
            assert len(claims) == 1 and set(claims.values()) == {1}, f"seed {seed}: {claims}"
            print(
                f"crash burst (seed {seed}): {KILLS + 1} kill -9, {len(opened)} tickets, "
                f"{len(rows)} messages, {len(stages)} ping stages, "
                f"{replicas.unacknowledged} requests resent, 0 lost, 0 twice"
            )
    finally:
        await replicas.desks[0].stop()
        await api.stop()
