"""Inbound events: what an adapter tells the desk, in neutral terms.

Each adapter's ``translate`` turns a native update into one of these; ``event_id`` is the
platform's own id of the delivery, so retries and redeliveries are recognised once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.messages import Action


@dataclass(frozen=True, slots=True)
class UserRef:
    """Who sent the event, as the platform knows them."""

    platform: str
    user_id: str
    display_name: str = ""
    timezone: str | None = None


@dataclass(frozen=True, slots=True)
class ChatRef:
    """Where the event happened; ``direct`` for a one-to-one chat with the bot."""

    platform: str
    chat_id: str
    direct: bool = True


@dataclass(frozen=True, slots=True)
class MessageReceived:
    """A user wrote something. ``reply_to`` is the platform id of the message it answers."""

    event_id: str
    user: UserRef
    chat: ChatRef
    text: str
    reply_to: str = ""
    files: tuple[str, ...] = ()
    raw: Mapping[str, object] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class ActionPressed:
    """A user pressed a button the desk offered. ``toast``: the platform shows a short answer
    to the presser alone (Telegram's callback answer), so a refusal comes back from
    :meth:`bot.desk.Desk.handle` for the adapter to show instead of being posted."""

    event_id: str
    user: UserRef
    chat: ChatRef
    action: Action
    ticket: int | None = None
    value: str = ""
    raw: Mapping[str, object] = field(default_factory=dict, compare=False, repr=False)
    toast: bool = False


@dataclass(frozen=True, slots=True)
class CommandInvoked:
    """A user ran a command (``/claim 42``); ``name`` has no slash, ``args`` is the rest."""

    event_id: str
    user: UserRef
    chat: ChatRef
    name: str
    args: str = ""
    raw: Mapping[str, object] = field(default_factory=dict, compare=False, repr=False)


InboundEvent = MessageReceived | ActionPressed | CommandInvoked
