"""Button ↔ ``callback_data``: the one place that encodes and decodes Telegram button payloads.

Telegram gives a button at most 64 bytes of ``callback_data``. The data is the desk's packed
button (:func:`bot.messages.pack_button`, the same as Slack's button value)::

    1|cl|42|          version 1, Action.CLAIM, ticket 42, no value
    1|ch||group       version 1, Action.CHOOSE, no ticket, value "group"
    1|ok||~Xq3…       a value too long for 64 bytes (or starting with "~"): its digest

A digest is resolved through a :class:`LongValues` registry the gateway filled before it
drew the button. The registry keeps recent values in memory and every value in a
:class:`ButtonValueStore` (the database), so a button drawn by one replica can be pressed on
another, or after a restart; a digest found nowhere answers "out of date" instead of
guessing. In practice values are configuration keys (≤ 32 characters) and fit literally.
"""

from __future__ import annotations

import base64
import hashlib
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Protocol

from bot.messages import Button, Pressed, pack_button, unpack_button

DIGEST_MARK = "~"
MAX_BYTES = 64


class StaleButton(ValueError):
    """The data is not ours, from another format version, or its long value is forgotten."""


class ButtonValueStore(Protocol):
    """Where long values outlive the process (``storage.shared.SqlButtonValues``)."""

    async def keep(self, values: Mapping[str, str]) -> None:
        """Record digest → value pairs; a digest already recorded is left as it is."""
        ...

    async def recall(self, key: str) -> str | None: ...


class LongValues:
    """Digest → value for values too long to travel inside ``callback_data``: a bounded LRU
    in memory in front of an optional shared ``store``."""

    def __init__(self, capacity: int = 10_000, store: ButtonValueStore | None = None) -> None:
        self.capacity = capacity
        self.store = store
        self._values: OrderedDict[str, str] = OrderedDict()

    async def keep(self, buttons: Iterable[Button]) -> None:
        """Store the long values of buttons about to be drawn, before they are drawn: a
        press may come to any replica once the message is out."""
        fresh = {
            digest(b.value): b.value
            for b in buttons
            if needs_digest(b) and digest(b.value) not in self._values
        }
        if fresh and self.store is not None:
            await self.store.keep(fresh)
        for value in fresh.values():
            self.remember(value)

    async def load(self, data: str) -> None:
        """Bring the long value a pressed button's ``data`` names into memory from the
        store, so :func:`decode` finds it; nothing for data without one."""
        pressed = unpack_button(data)
        if pressed is None or not pressed.value.startswith(DIGEST_MARK) or self.store is None:
            return
        key = pressed.value[1:]
        if key in self._values:
            return
        value = await self.store.recall(key)
        if value is not None and digest(value) == key:
            self.remember(value)

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


def needs_digest(button: Button) -> bool:
    """The value cannot travel literally: too long, or it could be taken for a digest."""
    return len(pack_button(button).encode("utf-8")) > MAX_BYTES or button.value.startswith(
        DIGEST_MARK
    )


def encode(button: Button, long_values: LongValues | None = None) -> str:
    """The ``callback_data`` for a button (:func:`bot.messages.pack_button`); always at most
    64 bytes.

    Raises ValueError for a value that does not fit and no registry to keep it in.
    """
    if not needs_digest(button):
        return pack_button(button)
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
