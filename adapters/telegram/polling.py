"""Long polling that confirms an update to Telegram only once the desk has handled it.

Telegram drops an update for good as soon as ``getUpdates`` is called with an offset above
its id. PTB's stock ``Updater`` puts a batch on a queue and asks for the next one at once,
so a crash (kill -9, OOM, a lost host) between "queued" and "saved by the desk" loses the
batch. This loop handles each update to the end (the desk commits it) before the next
``getUpdates`` carries its id + 1. A crash before that means Telegram sends the update
again, and the desk, which records every event id, does nothing twice. An update the desk
could not save (the database is away) is not confirmed either: the loop pauses, backing
off as after a failed ``getUpdates``, and fetches it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from telegram import Bot, Update
from telegram.error import TelegramError

log = logging.getLogger(__name__)

FIRST_BACKOFF = 1.0  # seconds after a failed getUpdates, doubled up to MAX_BACKOFF
MAX_BACKOFF = 30.0

Process = Callable[[Update], Awaitable[None]]
OnError = Callable[[TelegramError], None]
Failed = Callable[[int], bool]


class Poller:
    """``getUpdates`` → process each update → only then the next ``getUpdates``."""

    def __init__(
        self,
        bot: Bot,
        process: Process,
        *,
        timeout: int,
        allowed_updates: Sequence[str],
        on_error: OnError,
        failed: Failed = lambda update_id: False,
    ) -> None:
        self.bot = bot
        self.process = process
        self.timeout = timeout
        self.allowed_updates = list(allowed_updates)
        self.on_error = on_error
        self.failed = failed  # the update was not saved: leave it unconfirmed
        self.offset: int | None = None  # the next update id wanted; confirms those below
        self.first_backoff = FIRST_BACKOFF
        self._task: asyncio.Task[None] | None = None
        self._fetch: asyncio.Future[tuple[Update, ...]] | None = None
        self._stopping = asyncio.Event()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        """Remove a webhook (Telegram refuses getUpdates while one is set), then poll."""
        await self.bot.delete_webhook()
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="telegram:polling")

    async def stop(self) -> None:
        """Let the update being handled finish, then confirm what was handled."""
        self._stopping.set()  # ends a pause after a failure at once
        if self._fetch is not None:
            self._fetch.cancel()  # a long poll waiting for news
        if self._task is not None:
            await self._task
        if self.offset is not None:
            with contextlib.suppress(TelegramError):  # unconfirmed ones come again: harmless
                await self.bot.get_updates(offset=self.offset, timeout=0, limit=1)

    async def _run(self) -> None:
        failures = 0  # in a row
        while not self._stopping.is_set():
            self._fetch = asyncio.ensure_future(
                self.bot.get_updates(
                    offset=self.offset, timeout=self.timeout, allowed_updates=self.allowed_updates
                )
            )
            try:
                updates = await self._fetch
            except asyncio.CancelledError:
                if self._stopping.is_set():
                    return
                raise
            except Exception as exc:  # keep polling, a little slower each time
                if isinstance(exc, TelegramError):
                    self.on_error(exc)
                else:
                    log.exception("telegram: getUpdates failed")
                failures = await self._pause(failures)
                continue
            finally:
                self._fetch = None
            saved = True
            for update in updates:
                try:
                    await self.process(update)  # the application's error handler logs failures
                except Exception:
                    log.exception("telegram: processing update %s failed", update.update_id)
                    saved = False
                if not saved or self.failed(update.update_id):
                    saved = False
                    break  # unconfirmed: Telegram serves it again from this offset
                self.offset = update.update_id + 1
                if self._stopping.is_set():
                    return
            failures = 0 if saved else await self._pause(failures)

    async def _pause(self, failures: int) -> int:
        """Wait before trying again (doubling, up to :data:`MAX_BACKOFF`, ended early by
        :meth:`stop`); returns the failures in a row."""
        pause = min(self.first_backoff * 2**failures, MAX_BACKOFF)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), pause)
        return failures + 1
