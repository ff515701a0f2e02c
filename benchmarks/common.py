"""What the process benchmarks share: real ``tierdesk run`` processes on a copy of the example
config, the fake Slack Web API that knows every user, seeded realistic questions, /proc
readings and percentiles. Only public surfaces: the CLI, the example config, ``tests/fakes``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fakes.slack_api import FakeSlackApi, slack_user  # noqa: E402

SECRET = "bench-signing-secret-0123456789abcdef"
TOKEN = "xoxb-bench"
CLINC150 = ROOT.parent / "shared" / "data" / "clinc150" / "data_full.json"
QUESTION_SEED = 10
L1_CHANNEL = "C0L1HELP"


# -- questions ---------------------------------------------------------------------------------


def questions(seed: int = QUESTION_SEED, path: Path = CLINC150) -> list[str]:
    """CLINC150's 15 000 ``train`` utterances (real questions people asked an assistant) in a
    seeded order: every run of every benchmark draws the same texts, and no two neighbouring
    requesters write the same thing, so no per-text cache can flatter a figure."""
    data = json.loads(path.read_text(encoding="utf-8"))
    texts = [text for text, _intent in data["train"]]
    random.Random(seed).shuffle(texts)
    return texts


def endless(texts: Sequence[str]) -> Iterator[str]:
    while True:
        yield from texts


# -- figures -----------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (and its reaped children) from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
    return ticks / os.sysconf("SC_CLK_TCK")


def status_kib(pid: int, key: str = "VmRSS") -> int:
    """A ``/proc/PID/status`` figure in KiB (VmRSS, VmHWM, RssAnon, RssFile …)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


def load() -> float:
    return round(os.getloadavg()[0], 2)


# -- the fake Slack Web API --------------------------------------------------------------------


class BenchSlackApi(FakeSlackApi):
    """The tests' fake, knowing every user and timing posts and card updates."""

    def __init__(self) -> None:
        super().__init__()
        self.first_post: dict[str, float] = {}
        self.posts: list[float] = []
        self.updates: list[tuple[float, str, str]] = []  # (when, channel, ts)

    def _answer(self, method: str, args: Any) -> dict[str, Any]:
        if method == "users.info":
            user = str(args.get("user"))
            return {"ok": True, "user": slack_user(user, user.title())}
        now = time.perf_counter()
        if method == "chat.postMessage":
            self.posts.append(now)
            self.first_post.setdefault(str(args["channel"]), now)
        elif method == "chat.update":
            self.updates.append((now, str(args.get("channel")), str(args.get("ts"))))
        return super()._answer(method, args)


# -- tierdesk and reference processes ----------------------------------------------------------

# The bare slack-bolt app of ``slack_first_dm.py`` (and the idle reference of ``idle_rss.py``):
# slack-bolt ``AsyncApp`` on aiohttp with ``process_before_response``; for a message it calls
# ``users.info`` and ``chat.postMessage`` and then acks, with no database.
FIRST_DM_REFERENCE = """
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tierdesk_config(
    folder: Path,
    api_url: str,
    port: int,
    db_url: str,
    checkout: Path = ROOT,
    *,
    l1_slack_agents: Sequence[str] = (),
    ask_details: bool = True,
) -> Path:
    """``config.example.toml`` with the console off, Slack in HTTP mode against ``api_url``,
    ``db_url`` as storage and the checkout's ``kb/``; ``l1_slack_agents`` (Slack user ids)
    join tier L1, whose Slack channel is then :data:`L1_CHANNEL`."""
    text = (checkout / "config.example.toml").read_text()
    text = re.sub(r'(?m)^url = "sqlite\+aiosqlite:///tierdesk.db"', f'url = "{db_url}"', text)
    text = re.sub(r'(?m)^sources = \["kb"\]', f'sources = ["{checkout / "kb"}"]', text)
    text = re.sub(r'(?m)^api_base_url = ".*"', f'api_base_url = "{api_url}"', text)
    text = re.sub(r"(?ms)^(\[adapters.console\]\s*\nenabled = ).*?$", r"\1false", text)
    text = re.sub(r"(?ms)^(\[adapters.slack\]\s*\nenabled = ).*?$", r"\1true", text)
    text = re.sub(r"(?ms)^(\[http\].*?^port = )\d+", rf"\g<1>{port}", text)
    if not ask_details:
        text = re.sub(r"(?m)^ask_details = true", "ask_details = false", text)
    if l1_slack_agents:
        agents = ", ".join(f'"slack:{a}"' for a in l1_slack_agents)
        text, n = re.subn(
            r'(?m)^agents = \["console:alice", "console:dave"\]\nchannels = \{ console = "L1" \}',
            f'agents = ["console:alice", "console:dave", {agents}]\n'
            f'channels = {{ console = "L1", slack = "{L1_CHANNEL}" }}',
            text,
        )
        assert n == 1, "tier L1 not found in config.example.toml"
    path = folder / "config.toml"
    path.write_text(text)
    return path


def tierdesk_env(api_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TELEGRAM_"))}
    env.update(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, API=api_url)
    return env


def tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    @property
    def pid(self) -> int:
        return self.process.pid

    async def stop(self, within: float = 20.0) -> float:
        """SIGTERM, then SIGKILL after ``within`` s; returns the seconds it took to exit.
        Waits without blocking the loop: the fake Web API runs on it, and a desk shutting
        down still delivers what it has acknowledged."""
        start = time.monotonic()
        self.process.terminate()
        while self.process.poll() is None and time.monotonic() - start < within:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        return time.monotonic() - start


def _die_with_parent() -> None:
    """A benchmark killed outright (a timeout, Ctrl-C twice) must not leave its desks
    running and retrying their outbox against a fake that is gone."""
    if sys.platform == "linux":
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def spawn(args: list[str], folder: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            args,
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            preexec_fn=_die_with_parent,
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


async def start_tierdesk(
    name: str, config: Path, port: int, folder: Path, api_url: str, checkout: Path = ROOT
) -> Server:
    log = folder / f"{name}.log"
    args = [str(checkout / ".venv/bin/tierdesk"), "run", "--config", str(config)]
    process = spawn(args, folder, tierdesk_env(api_url), log)
    await wait_listening(port, process, log)
    return Server(name, process, port, log)


async def start_python(
    name: str, source: str, folder: Path, api_url: str, port: int | None = None
) -> Server:
    """``python -c source PORT`` with the Slack credentials and ``API`` in its environment."""
    port = port or free_port()
    log = folder / f"{name}.log"
    process = spawn([sys.executable, "-c", source, str(port)], folder, tierdesk_env(api_url), log)
    await wait_listening(port, process, log)
    return Server(name, process, port, log)


# -- PostgreSQL ----------------------------------------------------------------------------------


def wipe_pg(url: str) -> None:
    """Drop and recreate the public schema of the benchmark database."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


def databases(pg_url: str, sqlite_url: str) -> dict[str, str]:
    found = {"sqlite": sqlite_url}
    if pg_url:
        found["postgresql"] = pg_url
    return found


def emit(line: dict[str, Any]) -> None:
    """The benchmark's result: one JSON line on stdout."""
    print(json.dumps(line), flush=True)
