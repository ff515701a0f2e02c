"""``tierdesk run`` as a service manager or a container runs it: stdin is /dev/null.

Real processes: the console must stay off without a terminal, the process must keep
serving until SIGTERM, and SIGTERM must end it cleanly after the delivery in flight.
A terminal (a pty) still gets the console, as ``make run`` does.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import os
import pty
import signal
import socket
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.cli import main
from tests.e2e.console_process import tierdesk_executable, write_config
from tests.fakes.telegram_api import TOKEN, FakeBotApi, person

WAIT = 30.0  # seconds a step may take on a busy machine before the test fails
CONSOLE_OFF = "tierdesk: console off: stdin is not a terminal"
SAM = person(501, "Sam")
DAY = timedelta(days=1)


class Service:
    """A ``tierdesk run`` with stdin on /dev/null; its output read line by line."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.lines: list[str] = []

    async def expect(self, text: str) -> None:
        async with asyncio.timeout(WAIT):
            while not any(text in line for line in self.lines):
                assert self.proc.stdout is not None
                raw = await self.proc.stdout.readline()
                if not raw:
                    raise AssertionError(f"ended before {text!r}:\n" + "\n".join(self.lines))
                self.lines.append(raw.decode().rstrip("\n"))

    async def finish(self) -> tuple[int, str]:
        """Exit status and stderr once the process has ended."""
        assert self.proc.stderr is not None
        async with asyncio.timeout(WAIT):
            err = (await self.proc.stderr.read()).decode()
            return await self.proc.wait(), err


@contextlib.asynccontextmanager
async def service(config: Path, env: dict[str, str] | None = None) -> AsyncIterator[Service]:
    proc = await asyncio.create_subprocess_exec(
        tierdesk_executable(),
        "run",
        "--config",
        str(config),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=config.parent,
        env={**os.environ, **(env or {})},
    )
    try:
        yield Service(proc)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


@dataclass
class HoldingBotApi(FakeBotApi):
    """Answers ``sendMessage`` only when the test releases it: a delivery in flight."""

    sending: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        result = await super()._api_sendMessage(params)
        self.sending.set()
        await self.release.wait()
        return result


async def test_without_a_terminal_the_console_stays_off_until_sigterm(tmp_path: Path) -> None:
    async with service(write_config(tmp_path)) as desk:
        await desk.expect(CONSOLE_OFF)  # said once, and stdin's end does not stop it
        assert "platforms none" in desk.lines[0]
        desk.proc.send_signal(signal.SIGTERM)
        code, err = await desk.finish()
    assert code == 0
    assert err == ""  # no CancelledError tracebacks from the scheduler's jobs
    assert sum(CONSOLE_OFF in line for line in desk.lines) == 1


async def test_a_starting_desk_primes_incident_detection_with_the_last_day(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path)
    assert (
        await asyncio.to_thread(main, ["demo", "seed", "--days", "7", "--config", str(config)]) == 0
    )
    with contextlib.closing(sqlite3.connect(tmp_path / "desk.db")) as db, db:
        recent = (_now() - timedelta(hours=2)).strftime("%Y-%m-%d %H:%M:%S.%f")
        db.execute(  # five seeded tickets opened two hours ago, whatever the weekday
            "UPDATE tickets SET created_at = ? WHERE number IN "
            "(SELECT number FROM tickets WHERE status != 'cancelled' ORDER BY number LIMIT 5)",
            (recent,),
        )
        rows = db.execute("SELECT created_at FROM tickets WHERE status != 'cancelled'").fetchall()
    opened = [datetime.fromisoformat(at).replace(tzinfo=UTC) for (at,) in rows]
    day = [at for at in opened if at >= _now() - DAY]
    assert 5 <= len(day) < len(opened)
    async with service(config) as desk:
        await desk.expect(CONSOLE_OFF)
        # what the detector compares a new report with from its first minute: the day's
        # tickets, not an empty memory that takes three routine questions for a storm
        assert f"incident detection primed with {len(day)} ticket" in desk.lines[0]
        desk.proc.send_signal(signal.SIGTERM)
        assert (await desk.finish())[0] == 0


def _now() -> datetime:
    return datetime.now(UTC)


async def test_sigterm_finishes_the_delivery_in_flight(tmp_path: Path) -> None:
    api = HoldingBotApi()
    await api.start()
    try:
        config = write_config(tmp_path)
        text = config.read_text(encoding="utf-8")
        for old, new in (
            ('"https://api.telegram.org/bot"', f'"{api.base_url}"'),
            ('"https://api.telegram.org/file/bot"', f'"{api.base_file_url}"'),
        ):
            assert old in text
            text = text.replace(old, new)
        config.write_text(text, encoding="utf-8")
        async with service(config, {"TELEGRAM_BOT_TOKEN": TOKEN}) as desk:
            await desk.expect(CONSOLE_OFF)
            assert "platforms telegram" in desk.lines[0]
            api.push(api.text(SAM, "my laptop will not boot"))
            async with asyncio.timeout(WAIT):
                await api.sending.wait()  # the desk's answer is on its way to Telegram
            desk.proc.send_signal(signal.SIGTERM)
            with pytest.raises(TimeoutError):  # it waits for the answer to be confirmed
                await asyncio.wait_for(asyncio.shield(desk.proc.wait()), 1.0)
            api.release.set()
            code, err = await desk.finish()
    finally:
        api.release.set()
        await api.stop()
    assert code == 0
    assert "Traceback" not in err, err
    assert api.sent_to(SAM["id"])
    with contextlib.closing(sqlite3.connect(tmp_path / "desk.db")) as db:
        pending = db.execute("SELECT count(*) FROM outbox WHERE delivered_at IS NULL").fetchone()
        delivered = db.execute("SELECT count(*) FROM outbox WHERE delivered_at IS NOT NULL")
        assert (pending[0], delivered.fetchone()[0] > 0) == (0, True)  # recorded as sent


def test_a_terminal_still_gets_the_console(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    leader, follower = pty.openpty()
    try:
        os.write(leader, b"/whoami\n/quit\n")
        with open(follower, encoding="utf-8", closefd=False) as terminal:
            monkeypatch.setattr("sys.stdin", terminal)
            assert main(["run", "--config", str(write_config(tmp_path))]) == 0
    finally:
        os.close(leader)
        os.close(follower)
    out = capsys.readouterr().out
    assert "platforms console" in out
    assert "Console: you are a requester" in out and "You are sam (requester)." in out
    assert CONSOLE_OFF not in out


def test_a_console_that_ends_at_once_leaves_no_traceback(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Scripted input that is already over: the periodic jobs have just been handed to the
    # loop when the shutdown starts, and must neither be cut off nor start afterwards.
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(["run", "--console", "--config", str(write_config(tmp_path))]) == 0
    captured = capsys.readouterr()
    assert "You are sam (requester)." in captured.out
    assert captured.err == ""
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []  # APScheduler logged 'Job ... raised an exception' (CancelledError)


async def test_sigint_ends_a_console_waiting_for_input(tmp_path: Path) -> None:
    # The console waits for a line the user never types: Ctrl-C (SIGINT) must still end
    # the process cleanly, without waiting for Enter.
    leader, follower = pty.openpty()
    try:
        proc = await asyncio.create_subprocess_exec(
            tierdesk_executable(),
            "run",
            "--config",
            str(write_config(tmp_path)),
            stdin=follower,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=tmp_path,
        )
        desk = Service(proc)
        try:
            await desk.expect("You are sam (requester).")
            assert "platforms console" in desk.lines[0]
            proc.send_signal(signal.SIGINT)
            code, err = await desk.finish()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    finally:
        os.close(leader)
        os.close(follower)
    assert code == 0
    assert "Traceback" not in err, err


def test_run_console_runs_the_console_even_where_the_config_turned_it_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    text = config.read_text(encoding="utf-8")
    assert "[adapters.console]\nenabled = true\n" in text
    config.write_text(
        text.replace(
            "[adapters.console]\nenabled = true\n", "[adapters.console]\nenabled = false\n"
        ),
        encoding="utf-8",
    )
    monkeypatch.setattr("sys.stdin", io.StringIO("/whoami\n"))
    assert main(["run", "--console", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "platforms console" in out and out.count("You are sam (requester).") == 2


async def test_http_enabled_alone_serves_health_and_metrics(tmp_path: Path) -> None:
    # No webhook needs the server; `[http] enabled = true` starts it anyway (a status page
    # or a metrics scrape of a console- or polling-only desk). No token: no page at /.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = write_config(tmp_path)
    text = config.read_text(encoding="utf-8")
    text = text.replace("port = 8080\nenabled = false", f"port = {port}\nenabled = true")
    config.write_text(text, encoding="utf-8")
    root = f"http://127.0.0.1:{port}"
    async with service(config) as desk, aiohttp.ClientSession() as http:
        await desk.expect(CONSOLE_OFF)
        async with http.get(f"{root}/healthz") as response:
            assert response.status == 200
            checks = (await response.json())["checks"]
        assert checks == {"database": "ok", "scheduler": "ok"}
        async with http.get(f"{root}/metrics") as response:
            assert response.status == 200
            assert "tierdesk_open_tickets" in await response.text()
        async with http.get(f"{root}/") as response:
            assert response.status == 404  # no status_token configured: the page is off
        desk.proc.send_signal(signal.SIGTERM)
        code, err = await desk.finish()
    assert (code, err) == (0, "")
