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

Phases, each measured on every server, interleaved (reference, tierdesk, reference, tierdesk):
``throughput`` (``--events`` DMs, ``--in-flight`` at a time: DMs per second, CPU per DM from
``/proc/PID/stat``, ack p50/p99, non-200 answers), ``paced`` (``--rate`` DMs per second for
``--paced-seconds``: ack p99) and ``burst`` (``--burst`` DMs at once: time from each event to its
first reply at the fake API, p50/max, and outbox messages per second). One JSON line per database.

Run from the repository root: ``.venv/bin/python benchmarks/slack_first_dm.py [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.slack import payloads  # noqa: E402
from tests.fakes.slack_api import FakeSlackApi, slack_user  # noqa: E402

SECRET = "bench-signing-secret-0123456789abcdef"
TOKEN = "xoxb-bench"

REFERENCE_APP = """
import os, sys
from aiohttp import web
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_sdk.web.async_client import AsyncWebClient

client = AsyncWebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["API"])
app = AsyncApp(signing_secret=os.environ["SLACK_SIGNING_SECRET"], client=client,
               process_before_response=True)

@app.event("message")
async def on_message(ack, body, client):
    event = body["event"]
    await client.users_info(user=event["user"])
    await client.chat_postMessage(channel=event["channel"], text="Who is affected?")
    await ack()

async def handle(request):
    return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

web_app = web.Application()
web_app.router.add_post("/slack/events", handle)
web.run_app(web_app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


class BenchSlackApi(FakeSlackApi):
    """The tests' fake, knowing every user and timing each channel's first post."""

    def __init__(self) -> None:
        super().__init__()
        self.first_post: dict[str, float] = {}
        self.posts: list[float] = []

    def _answer(self, method: str, args: Any) -> dict[str, Any]:
        if method == "users.info":
            user = str(args.get("user"))
            return {"ok": True, "user": slack_user(user, user.title())}
        if method == "chat.postMessage":
            now = time.perf_counter()
            self.posts.append(now)
            self.first_post.setdefault(str(args["channel"]), now)
        return super()._answer(method, args)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (and its reaped children) from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
    return ticks / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    url: str
    log: Path
    users: list[str] = field(default_factory=list)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def tierdesk_config(folder: Path, api_url: str, port: int, db_url: str, checkout: Path) -> Path:
    text = (checkout / "config.example.toml").read_text()
    text = re.sub(r'(?m)^url = "sqlite\+aiosqlite:///tierdesk.db"', f'url = "{db_url}"', text)
    text = re.sub(r'(?m)^sources = \["kb"\]', f'sources = ["{checkout / "kb"}"]', text)
    text = re.sub(r'(?m)^api_base_url = ".*"', f'api_base_url = "{api_url}"', text)
    text = re.sub(r"(?ms)^(\[adapters.console\]\s*\nenabled = ).*?$", r"\1false", text)
    text = re.sub(r"(?ms)^(\[adapters.slack\]\s*\nenabled = ).*?$", r"\1true", text)
    text = re.sub(r"(?ms)^(\[http\].*?^port = )\d+", rf"\g<1>{port}", text)
    path = folder / "config.toml"
    path.write_text(text)
    return path


def tail(log: Path) -> str:
    return log.read_text()[-3000:]


def spawn(args: list[str], folder: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            args, cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )


async def wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited {process.returncode}:\n{tail(log)}")
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"server did not listen on {port}:\n{tail(log)}")


async def start_server(
    name: str, api: BenchSlackApi, folder: Path, db_url: str, checkout: Path
) -> Server:
    port = free_port()
    env = dict(os.environ, SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, API=api.url)
    env.pop("TELEGRAM_BOT_TOKEN", None)
    log = folder / f"{name}.log"
    if name == "reference":
        args = [sys.executable, "-c", REFERENCE_APP, str(port)]
    else:
        config = tierdesk_config(folder, api.url, port, db_url, checkout)
        args = [str(checkout / ".venv/bin/tierdesk"), "run", "--config", str(config)]
    process = spawn(args, folder, env, log)
    await wait_listening(port, process, log)
    return Server(name, process, f"http://127.0.0.1:{port}/slack/events", log)


_users = iter(range(1, 10**9))


async def send_dm(http: aiohttp.ClientSession, server: Server) -> tuple[float, int, str, float]:
    """One signed first DM from a new requester: (ack seconds, status, dm channel, sent at)."""
    user = f"UREQ{next(_users):07d}"
    channel = "D" + user
    body = payloads.event_body(
        payloads.message_event(user, channel, "my vpn keeps disconnecting", channel_type="im")
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
            server.stop()
    finally:
        await api.stop()
        shutil.rmtree(folder, ignore_errors=True)


def wipe_pg(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


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
    if args.quick:
        args.events, args.burst, args.paced_seconds, args.rounds = 100, 100, 2, 1
    databases = {"sqlite": "sqlite+aiosqlite:///tierdesk.db"}
    if args.pg_url:
        databases["postgresql"] = args.pg_url
    for database, url in databases.items():
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
            "in_flight": args.in_flight,
            "rounds": args.rounds,
            "tierdesk": ours,
            "reference": ref,
            "throughput_ratio": round(ours["dms_per_s"] / ref["dms_per_s"], 3),
            "ack_p99_ratio": round(ours["ack_p99_ms"] / ref["ack_p99_ms"], 2),
        }
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
