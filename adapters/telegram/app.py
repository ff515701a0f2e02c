"""The Telegram adapter at run time: a python-telegram-bot ``Application`` feeding the desk.

Long polling by default, with :class:`~adapters.telegram.polling.Poller` rather than PTB's
``Updater`` (which confirms an update to Telegram before it is handled, so a crash lost
it): an update is confirmed only after the desk committed it; webhook mode when
``webhook_url`` is set: ``setWebhook`` with a ``secret_token``, and a route on the
process's one :class:`~adapters.http.HttpServer` that refuses any request without that
secret (403, nothing touched) and hands the rest to ``Application.process_update``.

Every update goes through one handler: translate → :meth:`Desk.handle` (which records the
event id first, so redeliveries do nothing) → deliver the outbox. Every callback query is
answered. A handler failure in webhook mode answers 500, so Telegram delivers the update
again; in polling mode the handler retries a few times, and if the desk still cannot save
it (the database is down) the user is told to try again rather than left waiting.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScope,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    CallbackQuery,
    Update,
)
from telegram.error import Conflict, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler
from telegram.request import HTTPXRequest

from adapters.host import ExclusiveLock
from adapters.http import HttpServer
from adapters.pictures import ReportPictures
from adapters.singleton import Singleton
from adapters.telegram.callback_data import ButtonValueStore, LongValues, StaleButton
from adapters.telegram.gateway import TelegramGateway
from adapters.telegram.options import TelegramOptions
from adapters.telegram.polling import Poller
from adapters.telegram.translate import PLATFORM, translate
from bot.clock import Clock
from bot.desk import Desk
from bot.events import InboundEvent
from bot.settings import Settings
from bot.views import AGENT_COMMANDS, NOT_SAVED, REQUESTER_COMMANDS, ChatCommand

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ("message", "callback_query")
HANDLE_ATTEMPTS = 3
GIVE_UP_AFTER = 600.0  # seconds an update may keep failing before it is given up
RETRY_PAUSE = 0.5  # seconds, times the attempt number, between polling-mode attempts
ANSWER_LIMIT = 200  # characters of an answerCallbackQuery text
TOAST_LIMIT = 50  # longer answers are shown as an alert (a toast vanishes before it is read)
STALE_BUTTON = "This button is out of date. Please use the matching command instead."

START = BotCommand("start", "Start, or open a ticket from a link")  # Telegram's own entry


def _menu(commands: tuple[ChatCommand, ...], known: set[str]) -> list[BotCommand]:
    """A command menu (descriptions 3-256 characters) of the commands the desk knows."""
    return [
        BotCommand(c.name, (f"/{c.name} {c.usage}: {c.what}" if c.usage else c.what)[:256])
        for c in commands
        if c.name in known
    ]


Deliver = Callable[[], Awaitable[int]]


class TelegramAdapter:
    """One bot: its PTB application, its gateway, and how updates reach the desk."""

    def __init__(
        self,
        options: TelegramOptions,
        desk: Desk,
        settings: Settings,
        clock: Clock,
        *,
        deliver: Deliver | None = None,
        button_values: ButtonValueStore | None = None,
        lock: ExclusiveLock | None = None,
    ) -> None:
        self.options = options
        self.desk = desk
        self.settings = settings
        self.deliver = deliver
        self.long_values = LongValues(store=button_values)
        builder = (
            ApplicationBuilder()
            .token(options.token)
            .base_url(options.base_url)
            .base_file_url(options.base_file_url)
        )
        if all(url.startswith("http://") for url in (options.base_url, options.base_file_url)):
            # a local Bot API server over plain HTTP: no TLS, so no certificate store to load
            # (34 ms for each of the two clients)
            builder = builder.request(_plain_http(256)).get_updates_request(_plain_http(1))
        builder = builder.updater(None)  # polling is the Poller's, webhooks the HTTP server's
        self.application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)
        self.gateway = TelegramGateway(
            self.application.bot,
            clock,
            settings.timezone,
            self.long_values,
            ReportPictures(desk),
        )
        self.poller = Poller(
            self.application.bot,
            self.application.process_update,
            timeout=int(options.poll_timeout),
            allowed_updates=ALLOWED_UPDATES,
            on_error=_polling_error,
            failed=self._take_failure,
        )
        # Long polling runs in the one replica holding ``lock`` (none: this process polls).
        self.polling = (
            Singleton("telegram polling", lock, self.poller.start, self.poller.stop)
            if lock is not None
            else None
        )
        self.processed = 0  # updates handled so far (successfully or not)
        self.retry_pause = RETRY_PAUSE
        self._failed: set[int] = set()  # updates to be delivered again by Telegram
        self._failing_since: dict[int, float] = {}  # polling: first failure, monotonic
        self.give_up_after = GIVE_UP_AFTER

    @property
    def bot(self) -> Bot:
        return self.application.bot

    # -- life cycle ----------------------------------------------------------------------

    async def start(self, http: HttpServer | None = None) -> None:
        """getMe, register commands, then poll or set the webhook and add its route."""
        await self.application.initialize()
        await self.register_commands()
        if self.options.webhook:
            if http is None:
                raise RuntimeError("webhook mode needs the HTTP server")
            http.add_route("POST", self.options.webhook_path, self.webhook)
            await self.bot.set_webhook(
                self.options.webhook_url,
                secret_token=self.options.webhook_secret,
                allowed_updates=list(ALLOWED_UPDATES),
            )
        await self.application.start()
        if not self.options.webhook:
            await (self.polling.open() if self.polling else self.poller.start())
        log.info(
            "telegram: @%s started (%s)",
            self.bot.username,
            "webhook" if self.options.webhook else "long polling",
        )

    async def check(self) -> None:
        """``/healthz``: the Bot API answers ``getMe`` with this token (raises otherwise)."""
        await self.bot.get_me()

    async def stop(self) -> None:
        """Stop polling and processing; a webhook stays set for the next start."""
        if self.polling is not None:
            await self.polling.close()
        if self.poller.running:
            await self.poller.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    async def register_commands(self) -> None:
        """``setMyCommands``: requester commands for everyone, agent ones in the tier groups
        and in each agent's private chat. Only commands the desk knows are listed."""
        known = set(self.desk.commands)
        requester = [START, *_menu(REQUESTER_COMMANDS, known)]
        agent = _menu(AGENT_COMMANDS, known)
        plans: list[tuple[list[BotCommand], BotCommandScope]] = [
            (requester, BotCommandScopeDefault())
        ]
        help_cmd = [c for c in requester if c.command == "help"]
        for tier in self.settings.tiers:
            if PLATFORM in tier.channels:
                plans.append((help_cmd + agent, BotCommandScopeChat(tier.channels[PLATFORM])))
        mine = {c.command for c in requester}
        both = requester + [c for c in agent if c.command not in mine]  # names must be unique
        for user_id in sorted(self.settings.agent_ids(PLATFORM)):
            plans.append((both, BotCommandScopeChat(user_id)))
        for commands, scope in plans:
            try:
                await self.bot.set_my_commands(commands, scope=scope)
            except TelegramError as exc:  # e.g. an agent who never opened a chat with the bot
                log.warning("telegram: setMyCommands for %s failed: %s", scope.type, exc)

    # -- updates -------------------------------------------------------------------------

    async def webhook(self, request: web.Request) -> web.Response:
        """The webhook route: 403 without the right secret, else process the update."""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.options.webhook_secret.encode()):
            return web.Response(status=403, text="forbidden")
        try:
            data = json.loads(await request.text())
        except ValueError:
            return web.Response(status=400, text="not JSON")
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.Response(status=400, text="not an update")
        update = Update.de_json(data, self.bot)
        await self.application.process_update(update)
        if update.update_id in self._failed:
            self._failed.discard(update.update_id)
            return web.Response(status=500, text="failed; please deliver again")
        return web.Response(text="ok")

    async def handle(self, update: Update) -> None:
        """Translate one update, let the desk handle it, then deliver what it queued. A
        button press is answered once the desk is done, with its refusal if it refused."""
        query = update.callback_query
        if query is not None and query.data:
            await self.long_values.load(query.data)  # drawn by another replica, or before
        try:
            event = translate(update, bot_username=self.bot.username, long_values=self.long_values)
        except StaleButton as exc:
            log.info("telegram: stale button pressed: %s", exc)
            await self._answer(query, STALE_BUTTON)
            return
        if event is None:
            await self._answer(query)
            return
        answer = ""
        try:
            answer = await self._to_desk(update, event)
        finally:
            await self._answer(query, answer)
        if self.options.deliver_after_update and self.deliver is not None:
            try:
                await self.deliver()
            except Exception:  # the event is stored; the scheduler delivers later
                log.exception("telegram: delivering after update %s failed", update.update_id)

    async def _to_desk(self, update: Update, event: InboundEvent) -> str:
        """Desk.handle, retried in polling mode; returns its refusal of a button press.

        When every attempt fails (the database is away) the update stays unconfirmed: the
        error handler marks it failed, and the poller fetches it again after a pause rather
        than moving the offset past it. Only an update failing for :data:`GIVE_UP_AFTER`
        (a bug, not an outage) is given up, with an apology, so it cannot block the bot."""
        for attempt in range(1, HANDLE_ATTEMPTS + 1):
            try:
                answer = (await self.desk.handle(event)).refusal
            except Exception:
                if self.options.webhook:
                    raise  # the error handler logs it; the webhook answers 500 → redelivery
                if attempt == HANDLE_ATTEMPTS:
                    since = self._failing_since.setdefault(update.update_id, time.monotonic())
                    if time.monotonic() - since < self.give_up_after:
                        raise  # the error handler logs it and marks it for fetching again
                    self._failing_since.pop(update.update_id, None)
                    log.exception("telegram: giving up on update %s", update.update_id)
                    await self._apologise(update)
                    return ""
                log.warning("telegram: handling %s failed, retrying", event.event_id)
                await asyncio.sleep(self.retry_pause * attempt)
            else:
                self._failing_since.pop(update.update_id, None)
                return answer
        raise AssertionError("unreachable")

    def _take_failure(self, update_id: int) -> bool:
        """Whether ``update_id`` failed (the poller then leaves it unconfirmed)."""
        if update_id in self._failed:
            self._failed.discard(update_id)
            return True
        return False

    async def _on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await self.handle(update)
        finally:
            self.processed += 1

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram: update %r failed", update, exc_info=context.error)
        if isinstance(update, Update):  # the webhook answers 500; polling fetches it again
            self._failed.add(update.update_id)

    async def _apologise(self, update: Update) -> None:
        """Straight through the Bot API: the desk (and its outbox) may be what failed."""
        chat = update.effective_chat
        if chat is None:
            return
        try:
            await self.bot.send_message(chat.id, NOT_SAVED)
        except TelegramError as exc:
            log.warning("telegram: could not tell chat %s that its update failed: %s", chat.id, exc)

    async def _answer(self, query: CallbackQuery | None, text: str = "") -> None:
        """Every callback query is answered, or the button keeps spinning. Text for the
        presser alone: a toast, or an alert they close when it is too long for one."""
        if query is None:
            return
        if len(text) > ANSWER_LIMIT:
            text = text[: ANSWER_LIMIT - 1] + "…"
        try:
            await self.bot.answer_callback_query(
                query.id, text=text or None, show_alert=len(text) > TOAST_LIMIT or None
            )
        except TelegramError as exc:  # too old, or already answered
            log.info("telegram: answerCallbackQuery failed: %s", exc)


def _polling_error(exc: TelegramError) -> None:
    if isinstance(exc, Conflict):
        log.error(
            "telegram: 409 Conflict: another process is polling this bot. Run one poller, "
            "or use webhook mode for several replicas."
        )
    else:
        log.warning("telegram: polling failed: %s", exc)


def _plain_http(pool: int) -> HTTPXRequest:
    """The client ApplicationBuilder would make (same pool size and time-outs), without
    loading the certificate store a plain-HTTP server never uses."""
    return HTTPXRequest(connection_pool_size=pool, httpx_kwargs={"verify": False})
