"""The Telegram :class:`~bot.ports.ChatGateway`: neutral messages out through the Bot API.

Where a route goes::

    RouteKind.CHAT       the chat id (a tier group or a requester's private chat)
    RouteKind.USER       the user's private chat (its id is the user id)
    RouteKind.EPHEMERAL  Telegram has none: the group, naming the user (the route's label)
                         in a mention; a prompt for text gets a selective ForceReply so
                         only they are asked. (A refusal of a button press never gets
                         here: the adapter shows it in the callback answer.)

``thread_id`` (the card a message belongs under) becomes a reply to that message;
``edit_id`` edits the card in place with ``editMessageText``. SDK errors become the desk's
gateway errors with ``raise … from exc``::

    RetryAfter (429)                     → RateLimited(retry_after)
    Forbidden, BadRequest, ChatMigrated  → RecipientUnavailable (retrying will not help)
    NetworkError, TimedOut, anything else → GatewayError (the outbox retries with backoff)
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import replace
from datetime import timedelta

from telegram import (
    Bot,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    ReplyParameters,
)
from telegram import Message as TgMessage
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from adapters.telegram.callback_data import LongValues
from adapters.telegram.render import Rendered, render
from adapters.telegram.translate import PLATFORM
from bot.clock import Clock
from bot.errors import GatewayError, RateLimited, RecipientUnavailable
from bot.messages import Message, Route, RouteKind, digest
from bot.ports import Pictures, Sent
from bot.services.outbox import ticket_of_key

log = logging.getLogger(__name__)

NOT_MODIFIED = "message is not modified"
EDIT_GONE = ("message to edit not found", "message can't be edited")


class TelegramGateway:
    """Sends and edits messages with a PTB ``Bot``."""

    platform = PLATFORM

    def __init__(
        self,
        bot: Bot,
        clock: Clock,
        zone: str,
        long_values: LongValues | None = None,
        pictures: Pictures | None = None,
    ) -> None:
        self.bot = bot
        self.pictures = pictures
        self.clock = clock
        self.zone = zone  # the desk's default zone, for readers whose zone is unknown
        self.long_values = long_values if long_values is not None else LongValues()

    async def send(
        self,
        route: Route,
        message: Message,
        *,
        edit_id: str = "",
        thread_id: str = "",
        last_digest: str = "",
    ) -> Sent:
        try:  # before drawing: the press may come to another replica
            await self.long_values.keep(b for row in message.buttons for b in row)
        except Exception as exc:
            raise GatewayError(f"could not store long button values: {exc}") from exc
        chat_id = route.user_id if route.kind is RouteKind.USER else route.chat_id
        private = route.kind is RouteKind.EPHEMERAL and route.user_id == chat_id
        for_user = route.user_id if route.kind is RouteKind.EPHEMERAL and not private else ""
        rendered = render(
            message,
            zone=route.zone or self.zone,
            now=None if route.card_key else self.clock.now(),  # cards: absolute times only
            long_values=self.long_values,
            for_user=for_user,
            for_name=route.label,
            single=bool(edit_id or route.card_key),
            rest_at=_show_command(route),
        )
        shown = rendered_digest(rendered)
        if edit_id and shown == last_digest:
            return Sent(edit_id, chat_id, shown)  # editMessageText: "message is not modified"
        try:
            if edit_id:
                sent = await self._edit(chat_id, edit_id, rendered, thread_id)
            else:
                sent = await self._post(chat_id, rendered, thread_id)
                await self._send_picture(message, sent.chat_id or chat_id)
        except TelegramError as exc:
            raise gateway_error(exc) from exc
        return replace(sent, digest=shown)

    async def _send_picture(self, message: Message, chat_id: str) -> None:
        """The message's picture as a photo after its text. The text is delivered already:
        a failed photo is logged, not retried with the text again."""
        if not message.picture or self.pictures is None:
            return
        try:
            png = await self.pictures.draw(message.picture)
            if png is not None:
                await self.bot.send_photo(chat_id, photo=png, caption=message.title[:1024])
        except TelegramError:
            log.warning("could not send picture %s to %s", message.picture, chat_id, exc_info=True)

    async def _post(self, chat_id: str, rendered: Rendered, thread_id: str) -> Sent:
        reply = (
            ReplyParameters(int(thread_id), allow_sending_without_reply=True)
            if thread_id.isdigit()
            else None
        )
        sent: TgMessage | None = None
        last = len(rendered.chunks) - 1
        for i, chunk in enumerate(rendered.chunks):
            sent = await self.bot.send_message(
                chat_id,
                chunk,
                parse_mode=ParseMode.HTML,
                reply_markup=rendered.reply_markup if i == last else None,
                reply_parameters=reply,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        assert sent is not None
        return Sent(message_id=str(sent.message_id), chat_id=str(sent.chat_id))

    async def _edit(self, chat_id: str, edit_id: str, rendered: Rendered, thread_id: str) -> Sent:
        markup = rendered.reply_markup
        if not isinstance(markup, InlineKeyboardMarkup):
            markup = InlineKeyboardMarkup([])  # the card lost its buttons: remove them
        try:
            await self.bot.edit_message_text(
                rendered.chunks[0],
                chat_id=chat_id,
                message_id=int(edit_id),
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except BadRequest as exc:
            text = exc.message.lower()
            if NOT_MODIFIED in text:
                return Sent(message_id=edit_id, chat_id=chat_id)
            if any(gone in text for gone in EDIT_GONE):
                log.warning(
                    "card %s in %s cannot be edited (%s); posting it anew", edit_id, chat_id, exc
                )
                return await self._post(chat_id, rendered, thread_id)
            raise
        return Sent(message_id=edit_id, chat_id=chat_id)


def rendered_digest(rendered: Rendered) -> str:
    """What a message shows (its text and buttons), as :attr:`bot.ports.Sent.digest`."""
    markup = rendered.reply_markup.to_dict() if rendered.reply_markup is not None else None
    return digest({"chunks": rendered.chunks, "markup": markup})


def _show_command(route: Route) -> str:
    """Where a card cut for Telegram is shown whole: ``/show N`` for its ticket."""
    number = ticket_of_key(route.card_key)
    return f"/show {number}" if number is not None else ""


def gateway_error(exc: TelegramError) -> GatewayError:
    """The desk's view of a Bot API failure."""
    if isinstance(exc, RetryAfter):
        return RateLimited(retry_seconds(exc), f"telegram: {exc.message}")
    if isinstance(exc, ChatMigrated):
        return RecipientUnavailable(
            f"telegram: the group became supergroup {exc.new_chat_id}; update the tier's channel"
        )
    if isinstance(exc, Forbidden | BadRequest):  # BadRequest is a NetworkError: check it first
        return RecipientUnavailable(f"telegram: {exc.message}")
    return GatewayError(f"telegram: {exc.message}")


def retry_seconds(exc: RetryAfter) -> float:
    """``retry_after`` in seconds, whether PTB hands out an int or a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22 warns that the int form is deprecated
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
