"""The Slack app: slack-bolt's ``AsyncApp`` wired to the desk.

HTTP mode serves Events API, interactivity and the slash command on one path of the
process's :class:`~adapters.http.HttpServer`: :mod:`adapters.slack.inbound` checks the
signature, timestamp and shape on the raw body, and bolt sees only requests that passed
(it answers ``url_verification``; it does not check the signature a second time). Socket
Mode is used instead when an app-level token is set.

Events (messages, mentions) are handled *before* they are acknowledged: the desk needs
milliseconds, well inside Slack's 3 seconds, and if it fails (the database is down) bolt
answers 500, so Slack sends the event again and nothing a user wrote is lost. Retries
(``X-Slack-Retry-Num``, or a redelivered Socket Mode envelope) carry the same event id and
are recognised by the desk. Interactive requests (buttons, modals, the slash command) are
handled in a task of their own and acknowledged once it is done, or after
:data:`ACK_WITHIN` seconds if it is slow, because Slack shows an error after 3 seconds and a
modal must be opened while its trigger is fresh. Slack never sends an interaction again, so
acknowledging first would lose a press to a crash between the "ok" and the commit; this way
a press Slack saw acknowledged is saved (bar a handling slower than ``ACK_WITHIN``), and one
that was not shows the user Slack's error, to press again. Should the handling fail, the
user is told to try again (a button value the desk never packed is refused instead).
:meth:`SlackAdapter.drain` waits for those tasks (tests
use it, and ``stop`` uses it so nothing acknowledged is dropped on shutdown).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import replace
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.middleware.authorization.async_single_team_authorization import (
    AsyncSingleTeamAuthorization,
)
from slack_sdk.web.async_client import AsyncWebClient

from adapters.http import HttpServer
from adapters.pictures import ReportPictures
from adapters.slack import inbound, translate
from adapters.slack.gateway import Directory, SlackGateway
from adapters.slack.options import SlackOptions
from adapters.slack.render import prompt_modal
from bot.desk import Desk
from bot.domain import Identity
from bot.errors import GatewayError
from bot.events import ActionPressed, ChatRef, InboundEvent
from bot.views import BUTTON_UNUSABLE, NOT_SAVED

log = logging.getLogger(__name__)

ACK_WITHIN = 2.0  # seconds an interaction's handling may take before Slack hears "ok"


class SlackAdapter:
    """One Slack workspace talking to the desk."""

    def __init__(
        self,
        desk: Desk,
        options: SlackOptions,
        deliver_soon: Callable[[], None] = lambda: None,
    ) -> None:
        self.desk = desk
        self.options = options
        self.deliver_soon = deliver_soon  # replies go out right after the event
        self.client = AsyncWebClient(token=options.bot_token, base_url=options.api_base_url)
        # The outbox's own client and connection pool: under a burst, replies do not queue
        # behind the users.info look-ups of every event being handled.
        self.gateway = SlackGateway(
            AsyncWebClient(token=options.bot_token, base_url=options.api_base_url),
            ReportPictures(desk),
        )
        self.directory = Directory(self.client)
        self.path = options.path
        self.command = options.command
        self.app_token = options.app_token
        self.app = AsyncApp(
            name="tierdesk",  # else bolt walks the whole call stack (inspect.stack) to name it
            signing_secret=options.signing_secret,
            client=self.client,  # without it bolt's client would point at slack.com
            process_before_response=True,  # a failed event gets a 500; see module doc
            request_verification_enabled=False,  # handle_http checked it on the raw body
            ignoring_self_events_enabled=True,
        )
        self._tasks: set[asyncio.Task[None]] = set()
        self._socket: AsyncSocketModeHandler | None = None
        self._register()

    # -- lifecycle -----------------------------------------------------------------------

    async def start(self, http: HttpServer) -> None:
        """Socket Mode when an app token is set, else a route on the HTTP server."""
        for client in (self.client, self.gateway.client):  # a connection pool each, reused
            if client.session is None:
                client.session = aiohttp.ClientSession()
        if self.app_token:
            self._socket = AsyncSocketModeHandler(self.app, self.app_token)
            await self._socket.connect_async()
            log.info("slack: connected in Socket Mode")
        else:
            await self._authorize_once()
            http.add_route("POST", self.path, self.handle_http)
            log.info("slack: events, interactivity and %s on %s", self.command, self.path)

    async def _authorize_once(self) -> None:
        """bolt asks ``auth.test`` at the first request and keeps the answer, but requests
        that arrive together before it has one each ask again (two hundred presses at once:
        two hundred calls). Ask once before serving; if that fails, bolt asks later."""
        for middleware in self.app._async_middleware_list:  # bolt's own list; no setter
            if isinstance(middleware, AsyncSingleTeamAuthorization):
                try:
                    middleware.auth_test_result = await self.client.auth_test()
                except Exception as exc:
                    log.warning("slack: auth.test at start failed (bolt retries it): %s", exc)

    async def check(self) -> None:
        """``/healthz``: the Socket Mode connection is up, or the Web API answers ``auth.test``
        with this token; raises with the reason otherwise."""
        if self._socket is not None:
            if not await self._socket.client.is_connected():
                raise ConnectionError("Socket Mode is not connected")
            return
        await self.client.auth_test()

    async def stop(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        await self.drain()
        for client in (self.client, self.gateway.client):
            if client.session is not None:
                await client.session.close()
                client.session = None

    async def drain(self) -> None:
        """Wait until every acknowledged request has been handled."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def handle_http(self, request: web.Request) -> web.Response:
        """aiohttp → bolt → aiohttp, once :func:`inbound.refusal` let the request through:
        401 for anything unsigned, forged or stale, 400 for a signed request bolt could not
        route (one warning line, no traceback)."""
        refused = inbound.refusal(
            await request.read(),
            request.headers,
            request.content_type,
            self.options.signing_secret,
        )
        if refused is not None:
            log.warning("slack: refused a request with %s: %s", refused.status, refused.reason)
            return web.Response(status=refused.status, text=refused.reason)
        retry = request.headers.get("X-Slack-Retry-Num")
        if retry:
            log.info("slack: retry %s (%s)", retry, request.headers.get("X-Slack-Retry-Reason", ""))
        response = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    # -- listeners -----------------------------------------------------------------------

    def _register(self) -> None:
        self.app.event("message")(self._on_message)
        self.app.event("app_mention")(self._on_mention)
        self.app.action(re.compile("^" + re.escape(translate.ACTION_ID_PREFIX)))(self._on_action)
        self.app.view(translate.PROMPT_CALLBACK_ID)(self._on_view)
        self.app.command(self.command)(self._on_command)
        self.app.event(re.compile(".*"))(self._on_other_event)  # last: the others first

    @staticmethod
    async def _on_other_event(ack: AsyncAck) -> None:
        """An event type the desk does not handle (the app subscribed to it, or Slack
        added one): acknowledged, else Slack sends it again and again."""
        await ack()

    async def _handled_then_acked(
        self, ack: AsyncAck, work: Coroutine[Any, Any, None], user_id: str, channel_id: str
    ) -> None:
        """Handle an interaction in a task of its own (on failure its user is told), and
        acknowledge it once that is done or :data:`ACK_WITHIN` has passed."""
        task = asyncio.get_running_loop().create_task(self._guarded(work, user_id, channel_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        await asyncio.wait({task}, timeout=ACK_WITHIN)
        await ack()

    async def _guarded(
        self, work: Coroutine[Any, Any, None], user_id: str, channel_id: str
    ) -> None:
        try:
            await work
        except Exception:
            log.exception("slack: handling a request from %s failed", user_id)
            await self._apologise(user_id, channel_id)

    async def _apologise(self, user_id: str, channel_id: str, text: str = NOT_SAVED) -> None:
        """Straight through the Web API: the desk (and its outbox) may be what failed."""
        if not user_id:
            return
        try:
            if channel_id:
                await self.client.chat_postEphemeral(channel=channel_id, user=user_id, text=text)
            else:
                await self.client.chat_postMessage(channel=user_id, text=text)
        except Exception as exc:
            log.warning("slack: could not tell %s that their request failed: %s", user_id, exc)

    async def _on_message(
        self, ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        author = translate.message_author(body.get("event") or {}, context.bot_user_id or "")
        if author is not None:
            await self._message(body, author)  # raising answers 500: Slack sends it again
        await ack()

    async def _message(self, body: Mapping[str, Any], author: str) -> None:
        profile = await self.directory.profile(author)
        names = await self._names(str((body.get("event") or {}).get("text") or ""))
        await self._handle(translate.message_received(body, profile, names))

    async def _on_mention(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        event = body.get("event") or {}
        if translate.mention_wants_intake(event):
            await self._mention(body, str(event["user"]))  # raising answers 500, as above
        await ack()

    async def _mention(self, body: Mapping[str, Any], author: str) -> None:
        dm = await self.gateway.open_dm(author)
        profile = await self.directory.profile(author)
        names = await self._names(str((body.get("event") or {}).get("text") or ""))
        await self._handle(translate.mention_invoked(body, profile, dm, names))

    async def _on_action(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        user_id = str((body.get("user") or {}).get("id") or "")
        channel_id = str((body.get("channel") or {}).get("id") or "")
        await self._handled_then_acked(ack, self._action(body), user_id, channel_id)

    async def _action(self, body: Mapping[str, Any]) -> None:
        event = translate.action_pressed(body)
        if event is None:  # our action id, but a value the desk never packed: say so
            user_id = str((body.get("user") or {}).get("id") or "")
            log.warning("slack: unusable button value from %s", user_id)
            channel_id = str((body.get("channel") or {}).get("id") or "")
            await self._apologise(user_id, channel_id, BUTTON_UNUSABLE)
            return
        agent = self.desk.is_agent(Identity(translate.PLATFORM, event.user.user_id))
        if translate.asks_for_text(event) and agent:
            if await self._open_prompt(body, event):
                return
        profile = await self.directory.profile(event.user.user_id)
        await self._handle(replace(event, user=translate.user_ref(event.user.user_id, profile)))

    async def _open_prompt(self, body: Mapping[str, Any], event: ActionPressed) -> bool:
        """Ask for the reason / note / reply in a modal; False if Slack would not open it."""
        if event.ticket is None or not body.get("trigger_id"):
            return False
        view = prompt_modal(event.action, event.ticket, translate.prompt_metadata(event))
        try:
            await self.client.views_open(trigger_id=str(body["trigger_id"]), view=view)
        except Exception as exc:  # expired trigger, network: fall back to the desk's prompt
            log.warning("slack: views.open failed: %s", exc)
            return False
        return True

    async def _on_view(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        user_id = str((body.get("user") or {}).get("id") or "")
        await self._handled_then_acked(ack, self._view(body), user_id, "")  # closes the modal

    async def _view(self, body: Mapping[str, Any]) -> None:
        user_id = str((body.get("user") or {}).get("id") or "")
        event = translate.prompt_submitted(body, await self.directory.profile(user_id))
        if event is not None:
            await self._handle(event)

    async def _on_command(self, ack: AsyncAck, body: dict[str, Any]) -> None:
        user_id, channel_id = str(body.get("user_id") or ""), str(body.get("channel_id") or "")
        await self._handled_then_acked(ack, self._command(body), user_id, channel_id)

    async def _command(self, body: Mapping[str, Any]) -> None:
        user_id = str(body.get("user_id") or "")
        profile = await self.directory.profile(user_id)
        names = await self._names(str(body.get("text") or ""))
        event = translate.command_invoked(body, profile, self.desk.commands, names)
        if translate.command_wants_dm(event):
            try:
                dm = await self.gateway.open_dm(user_id)
            except GatewayError as exc:  # answer where it was typed instead
                log.warning("slack: cannot open a DM with %s: %s", user_id, exc)
            else:
                event = replace(event, chat=ChatRef(translate.PLATFORM, dm, direct=True))
        await self._handle(event)

    # -- helpers -------------------------------------------------------------------------

    async def _names(self, raw: str) -> dict[str, str]:
        """Display names of the people a message mentions, so the desk shows "@Alice"; the
        desk records them too (a mentioned agent may be assigned before they write)."""
        profiles = {
            user_id: await self.directory.profile(user_id)
            for user_id in dict.fromkeys(translate.mentioned_users(raw))
        }
        await self.desk.meet(translate.user_ref(u, p) for u, p in profiles.items())
        return {u: p.display_name for u, p in profiles.items() if p.display_name}

    async def _handle(self, event: InboundEvent) -> None:
        if not await self.desk.handle(event):
            log.info("slack: %s was already handled (a retry)", event.event_id)
            return
        self.deliver_soon()
