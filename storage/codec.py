"""JSON form of :class:`bot.messages.Message`, for outbox rows.

A queued message must come back exactly as the desk built it, possibly after a restart and
in another replica, so the encoding is explicit and versioned rather than pickled::

    {"v": 1, "text": "…", "title": "…", "quote": "…", "quote_author": "…",
     "fields": [{"label": "Due", "at": "2025-01-02T10:00:00+01:00", "tz": "Europe/Paris"},
                {"label": "Tier", "text": "L1"}],
     "buttons": [[{"label": "Claim", "action": "cl", "ticket": 42, "value": ""}]]}

A datetime keeps its offset, and its zone name (and fold) when it has one, so it decodes to
an identical value: same wall time, same ``tzinfo``. Naive datetimes are refused: cards show
instants in each reader's time zone, which needs an instant.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.messages import Action, Button, Field, Message

__all__ = ["VERSION", "decode_message", "encode_message"]

VERSION = 1


def encode_message(message: Message) -> dict[str, Any]:
    """A JSON-ready dict for ``message``."""
    encoded = {
        "v": VERSION,
        "text": message.text,
        "title": message.title,
        "fields": [_encode_field(f) for f in message.fields],
        "quote": message.quote,
        "quote_author": message.quote_author,
        "buttons": [[_encode_button(b) for b in row] for row in message.buttons],
        "expects_reply": message.expects_reply,
    }
    if message.picture:
        encoded["picture"] = message.picture
    return encoded


def decode_message(data: dict[str, Any]) -> Message:
    """The message :func:`encode_message` encoded; ``ValueError`` if it is not one."""
    try:
        version = data.get("v")
        if version != VERSION:
            raise ValueError(f"unknown message encoding version {version!r}")
        return Message(
            text=_str(data.get("text", "")),
            title=_str(data.get("title", "")),
            fields=tuple(_decode_field(f) for f in data.get("fields", ())),
            quote=_str(data.get("quote", "")),
            quote_author=_str(data.get("quote_author", "")),
            buttons=tuple(tuple(_decode_button(b) for b in row) for row in data.get("buttons", ())),
            expects_reply=data.get("expects_reply", False) is True,
            picture=_str(data.get("picture", "")),
        )
    except (AttributeError, KeyError, TypeError) as exc:
        raise ValueError(f"not an encoded message: {exc}") from exc


def _encode_field(field: Field) -> dict[str, Any]:
    value = field.value
    if isinstance(value, str):
        return {"label": field.label, "text": value}
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"field {field.label!r}: naive datetime {value.isoformat()}")
    encoded: dict[str, Any] = {"label": field.label, "at": value.isoformat()}
    if isinstance(value.tzinfo, ZoneInfo):
        encoded["tz"] = value.tzinfo.key
        if value.fold:
            encoded["fold"] = 1  # the second 02:30 of a night when clocks go back
    return encoded


def _decode_field(data: dict[str, Any]) -> Field:
    label = _str(data["label"])
    if "text" in data:
        return Field(label, _str(data["text"]))
    at = datetime.fromisoformat(_str(data["at"]))
    if "tz" in data:
        # Same wall time, zone and fold as encoded: equal even for a time inside a DST gap.
        at = at.replace(tzinfo=ZoneInfo(_str(data["tz"])), fold=1 if data.get("fold") else 0)
    return Field(label, at)


def _encode_button(button: Button) -> dict[str, Any]:
    return {
        "label": button.label,
        "action": button.action.value,
        "ticket": button.ticket,
        "value": button.value,
    }


def _decode_button(data: dict[str, Any]) -> Button:
    ticket = data.get("ticket")
    if ticket is not None and (not isinstance(ticket, int) or isinstance(ticket, bool)):
        raise ValueError(f"button ticket {ticket!r} is not a number")
    return Button(
        label=_str(data["label"]),
        action=Action(data["action"]),
        ticket=ticket,
        value=_str(data.get("value", "")),
    )


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected text, got {value!r}")
    return value
