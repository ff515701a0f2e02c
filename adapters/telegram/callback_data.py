"""Button ↔ ``callback_data``: the one place that encodes and decodes Telegram button payloads.

Telegram gives a button at most 64 bytes of ``callback_data``. The data is the desk's packed
button (:func:`bot.messages.pack_button`, the same as Slack's button value)::

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
from dataclasses import replace

from bot.messages import Button, Pressed, pack_button, unpack_button

DIGEST_MARK = "~"
MAX_BYTES = 64


class StaleButton(ValueError):
    """The data is not ours, from another format version, or its long value is forgotten."""


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
    """The ``callback_data`` for a button (:func:`bot.messages.pack_button`); always at most
    64 bytes.

    Raises ValueError for a value that does not fit and no registry to keep it in.
    """
    data = pack_button(button)
    if len(data.encode("utf-8")) <= MAX_BYTES and not button.value.startswith(DIGEST_MARK):
        return data
    if long_values is None:
        raise ValueError(f"button value too long for callback_data: {button.value[:40]!r}…")
    data = pack_button(button, DIGEST_MARK + long_values.remember(button.value))
    if len(data.encode("utf-8")) > MAX_BYTES:  # only a ticket number of absurd length
        raise ValueError(f"callback_data would exceed {MAX_BYTES} bytes: {data!r}")
    return data


def decode(data: str, long_values: LongValues | None = None) -> Pressed:
    """The press a button carries; raises :class:`StaleButton` if it cannot be understood."""
    pressed = unpack_button(data)
    if pressed is None:
        raise StaleButton(f"not a button of this desk (or of an older format): {data[:64]!r}")
    if pressed.value.startswith(DIGEST_MARK):
        recalled = long_values.recall(pressed.value[1:]) if long_values is not None else None
        if recalled is None:
            raise StaleButton("this button's value is no longer known")
        return replace(pressed, value=recalled)
    return pressed
