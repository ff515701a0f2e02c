"""Real ``tierdesk run`` processes serving Slack over HTTP against a fake Slack Web API,
to be killed with SIGKILL mid-send (tests and ``benchmarks/kill_loop.py`` use it)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import sqlalchemy as sa

from storage.db import make_engine
from storage.tables import OutboxRow
from tests.e2e.console_process import tierdesk_executable, write_config
from tests.e2e.slack import payloads

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def slack_config(tmp_path: Path, database_url: str, api_url: str, port: int) -> Path:
    """The example config with Slack over HTTP on ``port``, no console, ``database_url``."""
    path = write_config(tmp_path)
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        f'url = "sqlite+aiosqlite:///{tmp_path / "desk.db"}"', f'url = "{database_url}"'
    )
    text = text.replace('enabled = true\nrequester = "sam"', 'enabled = false\nrequester = "sam"')
    text = text.replace('api_base_url = "https://slack.com/api/"', f'api_base_url = "{api_url}"')
    text = text.replace("port = 8080", f"port = {port}")
    path = tmp_path / f"desk-{port}.toml"
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class DeskProcess:
    """One ``tierdesk run`` with its log file."""

    proc: asyncio.subprocess.Process
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    @classmethod
    async def start(
        cls,
        tmp_path: Path,
        database_url: str,
        api_url: str,
        name: str = "desk",
        port: int = 0,
        configure: Callable[[Path], None] | None = None,
    ) -> DeskProcess:
        """``configure`` may rewrite the config file before the desk starts."""
        port = port or free_port()
        config = slack_config(tmp_path, database_url, api_url, port)
        if configure is not None:
            configure(config)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "TELEGRAM_"))}
        env.update(SLACK_BOT_TOKEN="xoxb-test-token", SLACK_SIGNING_SECRET=SECRET)
        log = tmp_path / f"{name}-{port}.log"
        with log.open("wb") as out:
            proc = await asyncio.create_subprocess_exec(
                tierdesk_executable(),
                "run",
                "--config",
                str(config),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                cwd=tmp_path,
                env=env,
            )
        desk = cls(proc, port, log)
        await desk.wait_ready()
        return desk

    async def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        async with aiohttp.ClientSession() as session:
            while time.monotonic() < deadline:
                if self.proc.returncode is not None:
                    raise AssertionError(f"tierdesk exited:\n{self.output}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                        if response.status == 200:
                            return
                await asyncio.sleep(0.1)
        raise AssertionError(f"tierdesk did not start:\n{self.output}")

    @property
    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def post(self, session: aiohttp.ClientSession, body: str) -> int:
        headers = payloads.signed_headers(body, SECRET, content_type="application/json")
        async with session.post(self.url, data=body.encode(), headers=headers) as response:
            return response.status

    async def post_form(self, session: aiohttp.ClientSession, body: str) -> int:
        """A signed form post: a button press, a modal, a slash command."""
        form = "application/x-www-form-urlencoded"
        headers = payloads.signed_headers(body, SECRET, content_type=form)
        async with session.post(self.url, data=body.encode(), headers=headers) as response:
            return response.status

    async def kill(self) -> None:
        """SIGKILL: nothing after the current instruction runs."""
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 20)
            except TimeoutError:
                await self.kill()


async def outbox(database_url: str) -> list[sa.Row]:
    """Every outbox row, oldest first, read with a throwaway engine."""
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            return list(
                (await connection.execute(sa.select(OutboxRow).order_by(OutboxRow.id))).all()
            )
    finally:
        await engine.dispose()


async def wait_delivered(database_url: str, item_id: int, within: float = 30.0) -> sa.Row:
    """Poll until outbox row ``item_id`` is recorded as delivered."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        for row in await outbox(database_url):
            if row.id == item_id and row.delivered_at is not None:
                return row
        await asyncio.sleep(0.2)
    raise AssertionError(f"outbox item {item_id} was not delivered in {within} s")
