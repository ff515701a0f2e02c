"""How fast does a real ``tierdesk run`` take first DMs over Slack's HTTP events, beside a bare
slack-bolt app making the same Web API calls with no database, measured in the same run?

Both servers are separate processes behind the same fake Slack Web API (``tests.fakes.slack_api``,
run in this process together with the load generator). Every event is a correctly signed
``message.im`` from a requester who has never written before, so each one is a *first DM*: the
profile look-up, the desk's unit of work (event id, conversation, outbox) and the reply.

- the reference (``--reference``): slack-bolt ``AsyncApp`` on aiohttp with
  ``process_before_response``; its listener calls ``users.info`` and ``chat.postMessage`` and
  then acks, so its ack includes the same Web API calls tierdesk's first reply needs;
- tierdesk: ``tierdesk run`` on a copy of ``config.example.toml`` with the console off and Slack
  in HTTP mode on SQLite (a fresh file) or PostgreSQL (``--pg-url``, its public schema wiped).

Each requester's first DM is the next of CLINC150's 15 000 ``train`` utterances in a seeded
order (``common.questions``: real, varied questions, the same ones for every server and run), so
no cache keyed on the text can flatter the figures; the reference ignores the text but makes the
same Web API calls.

Phases, each measured on every server, interleaved (reference, tierdesk, reference, tierdesk):
``throughput`` (``--events`` DMs, ``--in-flight`` at a time: DMs per second, CPU per DM from
``/proc/PID/stat``, ack p50/p99, non-200 answers), ``paced`` (``--rate`` DMs per second for
``--paced-seconds``: ack p99) and ``burst`` (``--burst`` DMs at once: time from each event to its
first reply at the fake API, p50/max, and outbox messages per second). One JSON line per database.

Run from the repository root: ``.venv/bin/python benchmarks/slack_first_dm.py [--quick]``
(``--quick``: 200 DMs, 3 s paced, a burst of 200, one round; what ``make bench`` runs).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    FIRST_DM_REFERENCE,
    ROOT,
    SECRET,
    BenchSlackApi,
    Server,
    cpu_seconds,
    databases,
    emit,
    endless,
    free_port,
    percentile,
    questions,
    start_python,
    start_tierdesk,
    tierdesk_config,
    wipe_pg,
)

from tests.e2e.slack import payloads


async def start_server(
    name: str, api: BenchSlackApi, folder: Path, db_url: str, checkout: Path
) -> Server:
    if name == "reference":
        return await start_python(name, FIRST_DM_REFERENCE, folder, api.url)
    port = free_port()
    config = tierdesk_config(folder, api.url, port, db_url, checkout)
    return await start_tierdesk(name, config, port, folder, api.url, checkout)


_users = iter(range(1, 10**9))
QUESTIONS = questions()  # CLINC150 train utterances, seeded order (common.questions)
_texts = endless(QUESTIONS)


async def send_dm(http: aiohttp.ClientSession, server: Server) -> tuple[float, int, str, float]:
    """One signed first DM from a new requester, asking the next of :data:`QUESTIONS`:
    (ack seconds, status, dm channel, sent at)."""
    user = f"UREQ{next(_users):07d}"
    channel = "D" + user
    body = payloads.event_body(
        payloads.message_event(user, channel, next(_texts), channel_type="im")
    )
    headers = payloads.signed_headers(body, SECRET, content_type="application/json")
    sent = time.perf_counter()
    async with http.post(server.url, data=body.encode(), headers=headers) as response:
        await response.read()
        status = response.status
    return time.perf_counter() - sent, status, channel, sent


async def throughput(
    http: aiohttp.ClientSession, server: Server, events: int, in_flight: int
) -> dict[str, float]:
    pid = server.process.pid
    queue = iter(range(events))
    acks: list[float] = []
    errors = 0

    async def worker() -> None:
        nonlocal errors
        for _ in queue:
            seconds, status, _, _ = await send_dm(http, server)
            acks.append(seconds)
            errors += status != 200

    cpu0, t0 = cpu_seconds(pid), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    wall = time.perf_counter() - t0
    await asyncio.sleep(0.5)  # the outbox's replies still going out belong to these DMs
    cpu = cpu_seconds(pid) - cpu0
    return {
        "dms_per_s": round(events / wall, 1),
        "cpu_ms_per_dm": round(1000 * cpu / events, 2),
        "ack_p50_ms": round(1000 * percentile(acks, 0.5), 1),
        "ack_p99_ms": round(1000 * percentile(acks, 0.99), 1),
        "ack_max_ms": round(1000 * max(acks), 1),
        "non_200": errors,
    }


async def paced(
    http: aiohttp.ClientSession, server: Server, rate: float, seconds: float
) -> dict[str, float]:
    tasks = []
    start = time.perf_counter()
    for i in range(int(rate * seconds)):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(send_dm(http, server)))
    results = await asyncio.gather(*tasks)
    acks = [r[0] for r in results]
    return {
        "paced_ack_p99_ms": round(1000 * percentile(acks, 0.99), 1),
        "paced_non_200": sum(r[1] != 200 for r in results),
    }


async def burst(
    http: aiohttp.ClientSession, server: Server, api: BenchSlackApi, count: int
) -> dict[str, float]:
    posts_before = len(api.posts)
    results = await asyncio.gather(*(send_dm(http, server) for _ in range(count)))
    deadline = time.perf_counter() + 120
    channels = {r[2]: r[3] for r in results}
    while time.perf_counter() < deadline and not all(c in api.first_post for c in channels):  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    waits = [api.first_post[c] - sent for c, sent in channels.items() if c in api.first_post]
    posts = api.posts[posts_before:]
    span = (posts[-1] - posts[0]) if len(posts) > 1 else float("nan")
    return {
        "burst_first_reply_p50_s": round(percentile(waits, 0.5), 2),
        "burst_first_reply_max_s": round(max(waits), 2) if waits else float("nan"),
        "burst_unanswered": len(channels) - len(waits),
        "burst_non_200": sum(r[1] != 200 for r in results),
        "outbox_msgs_per_s": round(len(posts) / span, 1) if span == span and span else 0.0,
    }


async def measure(name: str, args: argparse.Namespace, db_url: str) -> dict[str, float]:
    global _texts
    _texts = endless(QUESTIONS)  # every server is asked the same questions in the same order
    api = BenchSlackApi()
    await api.start()
    folder = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    try:
        server = await start_server(name, api, folder, db_url, args.checkout)
        try:
            timeout = aiohttp.ClientTimeout(total=60)
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
                await throughput(http, server, 20, 5)  # warm-up: imports, caches, connections
                figures = await throughput(http, server, args.events, args.in_flight)
                figures |= await paced(http, server, args.rate, args.paced_seconds)
                figures |= await burst(http, server, api, args.burst)
            return figures
        finally:
            await server.stop()
    finally:
        await api.stop()
        shutil.rmtree(folder, ignore_errors=True)


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(statistics.median(run[key] for run in runs), 2) for key in runs[0]}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=600)
    parser.add_argument("--in-flight", type=int, default=20)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--paced-seconds", type=float, default=6)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--pg-url", default="", help="also measure on this PostgreSQL (wiped)")
    parser.add_argument("--quick", action="store_true", help="a small sanity run")
    parser.add_argument(
        "--checkout",
        type=Path,
        default=ROOT,
        help="the checkout whose .venv/bin/tierdesk, example config and kb/ are measured "
        "(another commit's worktree, for a before/after in the same run)",
    )
    args = parser.parse_args()
    if args.quick:  # fits `make bench`: about 40 s per database on the 2-core machine
        args.events, args.burst, args.paced_seconds, args.rounds = 200, 200, 3, 1
    for database, url in databases(args.pg_url, "sqlite+aiosqlite:///tierdesk.db").items():
        reference: list[dict[str, float]] = []
        desk: list[dict[str, float]] = []
        for _ in range(args.rounds):
            reference.append(await measure("reference", args, url))
            if database == "postgresql":
                wipe_pg(url)
            desk.append(await measure("tierdesk", args, url))
        ref, ours = median_of(reference), median_of(desk)
        line = {
            "benchmark": "slack_first_dm",
            "database": database,
            "events": args.events,
            "burst": args.burst,
            "in_flight": args.in_flight,
            "texts": "clinc150 train, seeded",
            "rounds": args.rounds,
            "tierdesk": ours,
            "reference": ref,
            "throughput_ratio": round(ours["dms_per_s"] / ref["dms_per_s"], 3),
            "ack_p99_ratio": round(ours["ack_p99_ms"] / ref["ack_p99_ms"], 2),
        }
        emit(line)


if __name__ == "__main__":
    asyncio.run(main())
