"""Slack's ChatGateway and the user directory, on slack_sdk's ``AsyncWebClient``.

Errors are translated at this boundary (``raise … from exc``)::

    SlackApiError 429 / "ratelimited"        → RateLimited(Retry-After)
    channel_not_found, not_in_channel, …     → RecipientUnavailable (retrying will not help)
    5xx, other API errors, network errors    → GatewayError (the outbox retries with backoff)

The outbox :class:`~bot.delivery.Dispatcher` does retries and stores the ``ts`` we return,
so the client gets no rate-limit retry handler of its own.

Every post carries its outbox id in Slack's message ``metadata`` (event type
:data:`OUTBOX_EVENT`), so a post whose sender died before recording it is found again in
``conversations.history`` / ``conversations.replies`` instead of being posted twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import render_message
from adapters.slack.translate import PLATFORM, Profile, profile_of
from bot.errors import GatewayError, RateLimited, RecipientUnavailable
from bot.messages import Message, Route, RouteKind, digest
from bot.ports import Pictures, Sent

log = logging.getLogger(__name__)

# Slack error codes after which the same call will keep failing.
UNREACHABLE = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "user_not_found",
        "user_not_visible",
        "user_disabled",
        "users_not_found",
        "cannot_dm_bot",
        "messages_tab_disabled",
        "restricted_action",
        "message_not_found",
        "cant_update_message",
        "edit_window_closed",
        "no_permission",
    }
)
OUTBOX_EVENT = "tierdesk_outbox"  # metadata event type of the desk's own posts
READ_BACK_PAGES = 5  # pages of 200 messages looked through for a post since its lease
DEFAULT_RETRY_AFTER = 1.0
PROFILE_TTL = 3600.0  # seconds a users.info answer is trusted


def gateway_error(exc: Exception) -> GatewayError:
    """The desk's error for a failed Web API call."""
    if isinstance(exc, SlackApiError):
        response = exc.response
        status = int(getattr(response, "status_code", getattr(response, "status", 0)) or 0)
        headers: Mapping[str, Any] = getattr(response, "headers", None) or {}
        code = _code(exc)
        if status == 429 or code == "ratelimited":
            return RateLimited(_retry_after(headers), f"slack: {code or 'rate limited'}")
        if code in UNREACHABLE:
            return RecipientUnavailable(f"slack: {code}")
        return GatewayError(f"slack: HTTP {status} {code}".rstrip())
    return GatewayError(f"slack: {type(exc).__name__}: {exc}")


def _code(exc: SlackApiError) -> str:
    """Slack's error code (``ratelimited``, ``missing_scope`` …) of a failed call."""
    data = getattr(exc.response, "data", None)
    return str(data.get("error", "")) if isinstance(data, dict) else ""


def _retry_after(headers: Mapping[str, Any]) -> float:
    value = headers.get("Retry-After") or headers.get("retry-after")
    try:
        return max(float(value), 0.0) if value is not None else DEFAULT_RETRY_AFTER
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER


_TRANSPORT_ERRORS = (SlackClientError, aiohttp.ClientError, asyncio.TimeoutError, OSError)


class SlackGateway:
    """Posts, updates and threads Block Kit messages; opens DMs on demand (cached)."""

    platform = PLATFORM

    def __init__(self, client: AsyncWebClient, pictures: Pictures | None = None) -> None:
        self.client = client
        self.pictures = pictures
        self._dms: dict[str, str] = {}  # user id → DM channel id

    async def send(
        self,
        route: Route,
        message: Message,
        *,
        edit_id: str = "",
        thread_id: str = "",
        last_digest: str = "",
        outbox_id: int | None = None,
    ) -> Sent:
        payload = render_message(message, zone=route.zone or "UTC")
        shown = digest(payload) if route.card_key else ""  # only a card is edited again
        if edit_id and shown == last_digest:
            return Sent(edit_id, route.chat_id, shown)  # chat.update would change nothing
        try:
            if route.kind is RouteKind.EPHEMERAL:
                response = await self.client.chat_postEphemeral(
                    channel=route.chat_id, user=route.user_id, **payload
                )
                return Sent(str(response.get("message_ts") or ""), route.chat_id)
            channel = route.chat_id
            if route.kind is RouteKind.USER:
                channel = await self.open_dm(route.user_id)
            if edit_id:
                response = await self.client.chat_update(channel=channel, ts=edit_id, **payload)
                return Sent(edit_id, str(response.get("channel") or channel), shown)
            response = await self.client.chat_postMessage(
                channel=channel,
                thread_ts=thread_id or None,
                unfurl_links=False,
                unfurl_media=False,
                metadata=outbox_metadata(outbox_id) if outbox_id is not None else None,
                **payload,
            )
            channel = str(response.get("channel") or channel)
            await self._upload_picture(message, channel, thread_id)
        except _TRANSPORT_ERRORS as exc:
            raise gateway_error(exc) from exc
        return Sent(str(response.get("ts") or ""), channel, shown)

    async def _upload_picture(self, message: Message, channel: str, thread_id: str) -> None:
        """The message's picture as a file in the same conversation, after its text. The text
        is delivered already: a failed upload is logged, not retried with the text again."""
        if not message.picture or self.pictures is None:
            return
        try:
            png = await self.pictures.draw(message.picture)
            if png is not None:
                await self.client.files_upload_v2(
                    channel=channel,
                    thread_ts=thread_id or None,
                    file=png,
                    filename="report.png",
                    title=message.title or "report",
                )
        except (*_TRANSPORT_ERRORS, SlackClientError):
            log.warning(
                "could not upload picture %s to %s", message.picture, channel, exc_info=True
            )

    async def find_sent(
        self, route: Route, outbox_id: int, since: datetime, *, thread_id: str = ""
    ) -> Sent | None:
        """The post tagged ``outbox_id`` since ``since`` (in the thread when ``thread_id``);
        ephemeral messages cannot be read back, so they are never found."""
        if route.kind is RouteKind.EPHEMERAL:
            return None
        try:
            channel = route.chat_id
            if route.kind is RouteKind.USER:
                channel = await self.open_dm(route.user_id)
            args: dict[str, Any] = {
                "channel": channel,
                "oldest": f"{max(since.timestamp(), 0):.6f}",
                "include_all_metadata": True,
                "limit": 200,
            }
            read = self.client.conversations_history
            if thread_id:
                read, args["ts"] = self.client.conversations_replies, thread_id
            for _ in range(READ_BACK_PAGES):
                response = await read(**args)
                for found in response.get("messages") or ():
                    if tagged_outbox_id(found) == outbox_id:
                        return Sent(str(found.get("ts") or ""), channel)
                cursor = (response.get("response_metadata") or {}).get("next_cursor")
                if not response.get("has_more") or not cursor:
                    return None
                args["cursor"] = cursor
        except SlackApiError as exc:
            if _code(exc) != "missing_scope":
                raise gateway_error(exc) from exc
            # an app installed without the history scopes: at least once rather than never
            log.warning("slack: cannot read back outbox item %s (missing_scope)", outbox_id)
            return None
        except _TRANSPORT_ERRORS as exc:
            raise gateway_error(exc) from exc
        log.warning(
            "slack: outbox item %s not in the last %s pages; posting it", outbox_id, READ_BACK_PAGES
        )
        return None

    async def open_dm(self, user_id: str) -> str:
        """The DM channel between the bot and ``user_id`` (``conversations.open``, cached)."""
        cached = self._dms.get(user_id)
        if cached:
            return cached
        try:
            response = await self.client.conversations_open(users=user_id)
        except _TRANSPORT_ERRORS as exc:
            raise gateway_error(exc) from exc
        channel = str((response.get("channel") or {}).get("id") or "")
        if not channel:
            raise GatewayError(f"slack: conversations.open gave no channel for {user_id}")
        self._dms[user_id] = channel
        return channel


def outbox_metadata(outbox_id: int) -> dict[str, Any]:
    """The ``metadata`` of a post: which outbox item it delivers."""
    return {"event_type": OUTBOX_EVENT, "event_payload": {"outbox_id": outbox_id}}


def tagged_outbox_id(message: Mapping[str, Any]) -> int | None:
    """The outbox id a message read back from Slack carries, if it is one of ours."""
    metadata = message.get("metadata") or {}
    if not isinstance(metadata, Mapping) or metadata.get("event_type") != OUTBOX_EVENT:
        return None
    value = (metadata.get("event_payload") or {}).get("outbox_id")
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class Directory:
    """Display names and time zones from ``users.info``, cached for an hour.

    One look-up per person however many of their requests arrive at once: two hundred
    presses by twenty agents make twenty ``users.info`` calls, not two hundred.
    """

    def __init__(self, client: AsyncWebClient, ttl: float = PROFILE_TTL) -> None:
        self.client = client
        self.ttl = ttl
        self._cache: dict[str, tuple[float, Profile]] = {}
        self._asking: dict[str, asyncio.Task[Profile]] = {}

    async def profile(self, user_id: str) -> Profile:
        """The user's profile; an empty one (the desk falls back to the id) if Slack fails."""
        hit = self._cache.get(user_id)
        if hit is not None and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        asking = self._asking.get(user_id)
        if asking is None:  # a task of its own: a caller that gives up stops nobody else
            asking = asyncio.get_running_loop().create_task(self._look_up(user_id, hit))
            self._asking[user_id] = asking
            asking.add_done_callback(lambda _: self._asking.pop(user_id, None))
        return await asyncio.shield(asking)

    async def _look_up(self, user_id: str, hit: tuple[float, Profile] | None) -> Profile:
        try:
            response = await self.client.users_info(user=user_id)
        except _TRANSPORT_ERRORS as exc:
            log.warning("users.info %s failed: %s", user_id, exc)
            return hit[1] if hit else Profile()
        profile = profile_of(response.get("user") or {})
        self._cache[user_id] = (time.monotonic(), profile)
        return profile
