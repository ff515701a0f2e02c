"""Telegram update → desk event. Pure: reads a parsed ``telegram.Update``, calls nothing.

- a text (or captioned file) message → :class:`MessageReceived`; a private chat is direct;
  a reply carries the replied-to message id, which the desk maps to a ticket's card;
- a message starting with a bot command → :class:`CommandInvoked` (``/claim@desk_bot 42``
  → ``claim``, ``42``); a command addressed to another bot is not ours;
- a deep link (``t.me/<bot>?start=ticket_42`` opens the private chat with ``/start
  ticket_42``) → the desk's ``show``, ``42``, as if ``/show 42`` had been typed;
- a callback query → :class:`ActionPressed`, its data decoded by :mod:`callback_data`;
- anything else (edits, joins, stickers, other bots) → ``None``.

Event ids are the platform's own natural keys: ``m:<chat>:<message id>`` for a message and
``cb:<callback query id>`` for a press. A redelivered update carries the same message or
query, so the desk records it once; unlike ``update_id`` (which Telegram may restart at a
random number after a week without updates) these are never reused.
"""

from __future__ import annotations

import re

from telegram import Chat, Message, Update, User
from telegram.constants import ChatType, MessageEntityType

from adapters.telegram.callback_data import LongValues, decode
from adapters.telegram.options import DESCRIPTOR
from bot.events import (
    ActionPressed,
    ChatRef,
    CommandInvoked,
    InboundEvent,
    MessageReceived,
    UserRef,
)

PLATFORM = DESCRIPTOR.name
DEEP_LINK = re.compile(r"ticket_([0-9]+)")  # the start parameter that shows a ticket


def translate(
    update: Update, *, bot_username: str = "", long_values: LongValues | None = None
) -> InboundEvent | None:
    """The desk event an update means, or None if it means nothing to the desk.

    Raises :class:`~adapters.telegram.callback_data.StaleButton` for a button press whose
    data cannot be understood (the caller answers it with a notice).
    """
    if update.callback_query is not None:
        return _pressed(update, long_values)
    if update.message is not None:
        return _message(update, update.message, bot_username)
    return None


def user_ref(user: User) -> UserRef:
    return UserRef(PLATFORM, str(user.id), user.full_name or user.username or str(user.id))


def chat_ref(chat: Chat) -> ChatRef:
    return ChatRef(PLATFORM, str(chat.id), direct=chat.type == ChatType.PRIVATE)


def _raw(update: Update) -> dict[str, object]:
    return {"update_id": update.update_id}


def _pressed(update: Update, long_values: LongValues | None) -> ActionPressed | None:
    query = update.callback_query
    assert query is not None
    if query.data is None or query.from_user.is_bot:
        return None
    decoded = decode(query.data, long_values)
    user = user_ref(query.from_user)
    message = query.message
    chat = (
        chat_ref(message.chat)
        if message is not None
        else ChatRef(PLATFORM, str(query.from_user.id), direct=True)
    )
    raw = _raw(update) | {"callback_query_id": query.id}
    if message is not None:
        raw["message_id"] = message.message_id
    return ActionPressed(
        f"cb:{query.id}",
        user,
        chat,
        decoded.action,
        decoded.ticket,
        decoded.value,
        raw=raw,
        toast=True,  # a refusal goes in the answerCallbackQuery, seen by the presser only
    )


def _message(update: Update, message: Message, bot_username: str) -> InboundEvent | None:
    sender = message.from_user
    if sender is None or sender.is_bot:
        return None
    event_id = f"m:{message.chat.id}:{message.message_id}"
    user, chat = user_ref(sender), chat_ref(message.chat)
    raw = _raw(update) | {"message_id": message.message_id}
    text = message.text or message.caption or ""
    command = _command(message)
    if command is not None:
        name, _, addressee = command.partition("@")
        if addressee and bot_username and addressee.lower() != bot_username.lower():
            return None  # "/help@other_bot" in a group is for another bot
        name, args = _deep_link(name.lower(), text[len(command) + 1 :].strip())
        return CommandInvoked(event_id, user, chat, name, args, raw=raw)
    files = files_of(message)
    if not text.strip() and not files:
        return None
    return MessageReceived(
        event_id, user, chat, text, reply_to=_reply_to(message), files=files, raw=raw
    )


def _command(message: Message) -> str | None:
    """``claim@desk_bot`` if the text starts with a bot command entity."""
    if not message.text:
        return None
    for entity in message.entities:
        if entity.type == MessageEntityType.BOT_COMMAND and entity.offset == 0:
            return message.text[1 : entity.length]
    return None


def _deep_link(name: str, args: str) -> tuple[str, str]:
    """``("show", "42")`` for ``/start ticket_42``; any other command as it came."""
    link = DEEP_LINK.fullmatch(args) if name == "start" else None
    return ("show", link.group(1)) if link else (name, args)


def _reply_to(message: Message) -> str:
    replied = message.reply_to_message
    if replied is None:
        return ""
    if message.is_topic_message and replied.message_id == message.message_thread_id:
        return ""  # in a forum topic every message "replies" to the topic's first message
    return str(replied.message_id)


def files_of(message: Message) -> tuple[str, ...]:
    """Names of what came attached (Telegram photos have no file name)."""
    names: list[str] = []
    if message.document is not None:
        names.append(message.document.file_name or "document")
    if message.photo:
        largest = message.photo[-1]
        names.append(f"photo {largest.width}×{largest.height}")
    if message.video is not None:
        names.append(message.video.file_name or "video")
    if message.audio is not None:
        names.append(message.audio.file_name or "audio")
    if message.voice is not None:
        names.append("voice message")
    if message.video_note is not None:
        names.append("video message")
    return tuple(names)
