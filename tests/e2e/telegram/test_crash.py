"""A real ``tierdesk run`` killed with SIGKILL after Telegram served it a button press and
before the desk committed it: after the restart the press is handled, once.

The moment is made certain, not timed: the test holds SQLite's write lock, so the process
has the update (the fake served it) and cannot commit it. It is killed once it confirms
the update to Telegram (a ``getUpdates`` offset above its id: the stock updater does that
at once) or, when it does not, after a grace period. Then the lock goes and the desk
restarts on the same database.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.e2e.console_process import tierdesk_executable, write_config
from tests.e2e.telegram.conftest import SAM
from tests.fakes.telegram_api import TOKEN, Call, FakeBotApi

WAIT = 30.0  # seconds a start-up or an answer may take on a busy machine
GRACE = 1.0  # seconds the killed process had to confirm the press


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    fake = FakeBotApi()
    await fake.start()
    yield fake
    await fake.stop()


def telegram_config(tmp_path: Path, api: FakeBotApi) -> Path:
    """The example config on a file database, Telegram on the fake, no console."""
    path = write_config(tmp_path)
    text = path.read_text(encoding="utf-8")
    text = text.replace("[adapters.console]\nenabled = true", "[adapters.console]\nenabled = false")
    text = text.replace(
        '[adapters.telegram]\nenabled = "auto"\ntoken = "${TELEGRAM_BOT_TOKEN:-}"',
        f'[adapters.telegram]\nenabled = true\ntoken = "{TOKEN}"\npoll_timeout = 1',
    )
    text = text.replace('base_url = "https://api.telegram.org/bot"', f'base_url = "{api.base_url}"')
    text = text.replace(
        'base_file_url = "https://api.telegram.org/file/bot"',
        f'base_file_url = "{api.base_file_url}"',
    )
    path.write_text(text, encoding="utf-8")
    return path


async def start_desk(config: Path) -> asyncio.subprocess.Process:
    log = (config.parent / "desk.log").open("ab")
    return await asyncio.create_subprocess_exec(
        tierdesk_executable(),
        "run",
        "--config",
        str(config),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=log,
        stderr=log,
        cwd=config.parent,
    )


async def within(wait: float, condition: Callable[[], bool]) -> bool:
    """Whether ``condition`` comes true within ``wait`` seconds."""
    deadline = asyncio.get_running_loop().time() + wait
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            return False
        await asyncio.sleep(0.01)
    return True


async def until(condition: Callable[[], bool], what: str) -> None:
    if not await within(WAIT, condition):
        raise AssertionError(f"timed out waiting for {what}")


def polls_since(api: FakeBotApi, mark: int) -> int:
    return len(api.of("getUpdates", mark))


def confirmed(api: FakeBotApi, update_id: int) -> bool:
    return any(int(c.params.get("offset") or 0) > update_id for c in api.of("getUpdates"))


async def test_a_press_is_not_lost_when_the_process_is_killed_before_saving_it(
    tmp_path: Path, api: FakeBotApi
) -> None:
    config = telegram_config(tmp_path, api)
    desk = await start_desk(config)
    try:
        await until(lambda: polls_since(api, 0) > 0, "the desk to poll")
        first = api.text(SAM, "my vpn keeps disconnecting")
        api.push(first)
        await until(
            lambda: confirmed(api, first["update_id"]) and bool(api.sent_to(SAM["id"])),
            "the first message to be answered",
        )
        (offer,) = api.sent_to(SAM["id"])
        assert "These articles might help" in offer.plain

        lock = sqlite3.connect(tmp_path / "desk.db", isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")  # the desk can read, but commits nothing
        press = api.press(SAM, offer, "I still need help")
        api.push(press)
        await until(lambda: press["update_id"] in api.served, "the press to be served")
        early = await within(GRACE, lambda: confirmed(api, press["update_id"]))
        desk.kill()  # SIGKILL: no clean-up runs
        await desk.wait()
        lock.rollback()
        lock.close()
        assert not early, "the press was confirmed to Telegram before the desk saved it"
        assert api.sent_to(SAM["id"]) == [offer]  # nothing came of the press yet

        mark = len(api.calls)
        desk = await start_desk(config)
        await until(lambda: bool(questions(api, mark)), "the press to be handled after a restart")
        await until(lambda: confirmed(api, press["update_id"]), "the press to be done with")
        (question,) = questions(api, mark)  # handled once, and Telegram will not send it again
        assert "Who is affected?" in question.plain
        answers = [
            c
            for c in api.of("answerCallbackQuery", mark)
            if c.params["callback_query_id"] == press["callback_query"]["id"]
        ]
        assert len(answers) == 1  # the button stopped spinning
    finally:
        if desk.returncode is None:
            desk.terminate()
            await desk.wait()


def questions(api: FakeBotApi, since: int) -> list[Call]:
    return [c for c in api.sent_to(SAM["id"], since) if "Who is affected?" in c.plain]
