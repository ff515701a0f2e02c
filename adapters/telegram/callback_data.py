"""Button ↔ ``callback_data``: the one place that encodes and decodes Telegram button payloads.

Telegram gives a button at most 64 bytes of ``callback_data``. The format is versioned and
compact, built from the desk's :class:`~bot.messages.Action` values alone (no action is
special-cased, so new desk actions work without touching this module)::

    1|cl|42|          version 1, Action.CLAIM, ticket 42, no value
    1|ch||group       version 1, Action.CHOOSE, no ticket, value "group"
    1|ok||~Xq3…       a value too long for 64 bytes (or starting with "~"): its digest

A digest is resolved through a :class:`LongValues` registry the renderer filled when it
drew the button. The registry lives in memory, so after a restart such a button answers
"out of date" instead of guessing; in practice values are configuration keys (≤ 32
characters) and fit literally.
"""

from __future__ import annotations

import base64
import hashlib
from collections import OrderedDict
from dataclasses import dataclass

from bot.messages import Action, Button

VERSION = "1"
SEPARATOR = "|"
DIGEST_MARK = "~"
MAX_BYTES = 64
_ACTIONS = {action.value: action for action in Action}


class StaleButton(ValueError):
    """The data is not ours, from another format version, or its long value is forgotten."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """What a pressed button asks for."""

    action: Action
    ticket: int | None
    value: str


class LongValues:
    """Digest → value for values too long to travel inside ``callback_data`` (bounded LRU)."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._values: OrderedDict[str, str] = OrderedDict()

    def remember(self, value: str) -> str:
        key = digest(value)
        self._values[key] = value
        self._values.move_to_end(key)
        while len(self._values) > self.capacity:
            self._values.popitem(last=False)
        return key

    def recall(self, key: str) -> str | None:
        return self._values.get(key)

    def __len__(self) -> int:
        return len(self._values)


def digest(value: str) -> str:
    """16 URL-safe characters (96 bits) naming ``value``."""
    raw = hashlib.sha256(value.encode("utf-8")).digest()[:12]
    return base64.urlsafe_b64encode(raw).decode("ascii")


def encode(button: Button, long_values: LongValues | None = None) -> str:
    """The ``callback_data`` for a button; always at most 64 bytes.

    Raises ValueError for a value that does not fit and no registry to keep it in.
    """
    ticket = "" if button.ticket is None else str(button.ticket)
    head = SEPARATOR.join((VERSION, button.action.value, ticket)) + SEPARATOR
    data = head + button.value
    if len(data.encode("utf-8")) <= MAX_BYTES and not button.value.startswith(DIGEST_MARK):
        return data
    if long_values is None:
        raise ValueError(f"button value too long for callback_data: {button.value[:40]!r}…")
    data = head + DIGEST_MARK + long_values.remember(button.value)
    if len(data.encode("utf-8")) > MAX_BYTES:  # only a ticket number of absurd length
        raise ValueError(f"callback_data would exceed {MAX_BYTES} bytes: {data!r}")
    return data


def decode(data: str, long_values: LongValues | None = None) -> Decoded:
    """The action a button carries; raises :class:`StaleButton` if it cannot be understood."""
    parts = data.split(SEPARATOR, 3)
    if len(parts) != 4 or parts[0] != VERSION:
        raise StaleButton(f"unknown callback data format: {data[:64]!r}")
    _, code, ticket_text, value = parts
    action = _ACTIONS.get(code)
    if action is None:
        raise StaleButton(f"unknown action {code!r}")
    if ticket_text and not (ticket_text.isdigit() and ticket_text.isascii()):
        raise StaleButton(f"bad ticket number {ticket_text!r}")
    if value.startswith(DIGEST_MARK):
        recalled = long_values.recall(value[1:]) if long_values is not None else None
        if recalled is None:
            raise StaleButton("this button's value is no longer known")
        value = recalled
    return Decoded(action, int(ticket_text) if ticket_text else None, value)
