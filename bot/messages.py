"""Platform-neutral outbound messages.

Nothing in a message is markup: titles, labels and values are plain text, and every
renderer escapes them for its platform and adds formatting from the structure alone. So a
requester who types ``<!channel>`` or ``<b>`` can never ping or break a channel.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.durations import format_instant

# A web address as people type it; trailing punctuation belongs to the sentence, not the link.
_LINK = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)[^\s<>]+", re.IGNORECASE)
_LINK_TAIL = ".,;:!?)]}'\""


def split_links(text: str) -> list[tuple[str, bool]]:
    """``text`` as pieces in order, each flagged True if it is a web address. Renderers show
    those pieces inert (not clickable, and never a label hiding its target), so a link in
    what a requester wrote cannot be passed off as the desk's."""
    pieces: list[tuple[str, bool]] = []
    start = 0
    for match in _LINK.finditer(text):
        link = match.group()
        while link[-1] in _LINK_TAIL and not (
            link[-1] == ")" and link.count("(") >= link.count(")")  # Foo_(bar) keeps its ")"
        ):
            link = link[:-1]
        end = match.start() + len(link)
        if match.start() > start:
            pieces.append((text[start : match.start()], False))
        pieces.append((link, True))
        start = end
    if start < len(text):
        pieces.append((text[start:], False))
    return pieces


class Action(StrEnum):
    """What a button asks the desk to do. Values are short: Telegram packs them in 64 bytes."""

    CHOOSE = "ch"  # an intake answer; value carries the choice
    SOLVED = "ok"  # a suggested article solved it; value = article id
    NEED_HELP = "nh"  # none of the suggestions helped
    CLAIM = "cl"
    REPLY = "rp"
    ESCALATE = "es"
    RESOLVE = "rs"
    PRIORITY = "pr"  # value = new priority
    WAITING = "wt"
    REOPEN = "ro"
    CLOSE = "cs"
    RATE = "rt"  # value = 1..5
    SHOW = "sh"
    ACK = "ak"  # acknowledge an SLA breach ping
    ANSWER = "an"  # send the requester an article and resolve; value = article id
    DECLARE = "di"  # declare a proposed incident; ticket = the incident's id
    UNRELATED = "nr"  # a proposed incident is not one; ticket = the incident's id
    JOIN = "ji"  # a requester adds their report to an open incident; ticket = its id
    COMMAND = "ic"  # take command of an incident; ticket = its id


@dataclass(frozen=True, slots=True)
class Button:
    """A choice offered to the reader; pressing it sends ``action`` back to the desk."""

    label: str
    action: Action
    ticket: int | None = None
    value: str = ""


BUTTON_FORMAT = "1"  # version of the packed form; bumping it makes old buttons stale
MAX_TICKET = 2**31 - 1  # the largest number a ticket column holds on every database


@dataclass(frozen=True, slots=True)
class Pressed:
    """What a packed button asks for when it comes back (its label stayed on the screen)."""

    action: Action
    ticket: int | None
    value: str


def pack_button(button: Button, value: str | None = None) -> str:
    """``1|cl|42|value``: how a button travels in a platform's payload (Slack's ``value``,
    Telegram's ``callback_data``): format, action, ticket (or empty), value. ``value``
    stands in for the button's own (Telegram puts a digest of a long one there)."""
    ticket = "" if button.ticket is None else str(button.ticket)
    shown = button.value if value is None else value
    return f"{BUTTON_FORMAT}|{button.action.value}|{ticket}|{shown}"


def unpack_button(text: str) -> Pressed | None:
    """The press a packed button carries; None for anything the desk did not pack (an
    unknown action, a ticket number out of range)."""
    parts = text.split("|", 3)
    if len(parts) != 4 or parts[0] != BUTTON_FORMAT:
        return None
    _, code, ticket_text, value = parts
    try:
        action = Action(code)
    except ValueError:
        return None
    if ticket_text and not (ticket_text.isdigit() and ticket_text.isascii()):
        return None
    if ticket_text and (len(ticket_text) > 10 or not 0 < int(ticket_text) <= MAX_TICKET):
        return None  # not a number the desk gave out: never let it reach the database
    return Pressed(action, int(ticket_text) if ticket_text else None, value)


@dataclass(frozen=True, slots=True)
class Field:
    """A labelled value on a card; datetimes are shown in each reader's own time zone."""

    label: str
    value: str | datetime

    def shown(self, zone: str, now: datetime | None = None) -> str:
        """The value as text: a datetime in ``zone``, with "in 15m" when ``now`` is given."""
        value = self.value
        return format_instant(value, zone, now) if isinstance(value, datetime) else value


@dataclass(frozen=True, slots=True)
class Message:
    """What the desk says. ``quote`` holds text written by a user, relayed verbatim."""

    text: str = ""
    title: str = ""
    fields: tuple[Field, ...] = ()
    quote: str = ""
    quote_author: str = ""
    buttons: tuple[tuple[Button, ...], ...] = ()
    expects_reply: bool = False  # the desk waits for typed text (a reason, a note)
    # a picture to show with it, by name ("report:604800": the report of the last 7 days);
    # drawn when sent by the adapters' :class:`~bot.ports.Pictures`, never stored
    picture: str = ""

    def plain(self, zone: str = "UTC") -> str:
        """A text-only rendering (notification previews, logs, tests); times in ``zone``."""
        parts = [p for p in (self.title, self.text) if p]
        parts += [f"{f.label}: {f.shown(zone)}" for f in self.fields]
        if self.quote:
            parts.append(f"{self.quote_author}: {self.quote}" if self.quote_author else self.quote)
        return "\n".join(parts)


class RouteKind(StrEnum):
    """How a delivery reaches its chat."""

    CHAT = "chat"  # a channel, group or existing direct chat
    USER = "user"  # a direct message to a user; the adapter opens the DM if needed
    EPHEMERAL = "ephemeral"  # shown only to ``user_id`` inside ``chat_id`` where supported


@dataclass(frozen=True, slots=True)
class Route:
    """A concrete destination on one platform, resolved by the desk when the message is queued.

    ``card_key`` names a message that is edited in place when sent again (a ticket card);
    ``thread_key`` names a card under which the message is threaded (a ticket's thread).
    """

    platform: str
    kind: RouteKind
    chat_id: str = ""
    user_id: str = ""
    card_key: str = ""
    thread_key: str = ""
    label: str = ""  # who or where, for humans reading the console or a log
    zone: str = ""  # the reader's time zone for datetimes, when the desk knows it


@dataclass(slots=True)
class OutboxItem:
    """A message waiting for its platform to confirm delivery."""

    route: Route
    message: Message
    created_at: datetime
    ticket_number: int | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    last_error: str = ""
    id: int | None = None
    leased_at: datetime | None = None  # first time a sender took it: it may be out there since


def card_key(ticket_number: int, tier: str) -> str:
    """The key of a ticket's card in one tier's channel."""
    return f"ticket:{ticket_number}:{tier}"


def incident_key(incident_id: int, tier: str) -> str:
    """The key of an incident's card in one tier's channel (its updates thread under it)."""
    return f"incident:{incident_id}:{tier}"


def digest(rendered: object) -> str:
    """A fingerprint of a rendered payload (JSON-able), to tell an unchanged card."""
    text = json.dumps(rendered, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
