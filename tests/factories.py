"""The suite's one factories module: settings, tickets and inbound events."""

from __future__ import annotations

import copy
import itertools
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters.platforms import PLATFORMS
from bot.domain import ChatAddress, Ticket
from bot.events import ActionPressed, ChatRef, CommandInvoked, MessageReceived, UserRef
from bot.messages import Action
from bot.settings import Settings, parse_settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config.example.toml"
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday morning
_EXAMPLE_RAW: dict[str, Any] = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
_ids = itertools.count(1)


def example_raw() -> dict[str, Any]:
    """The shipped example config as a dict, to tweak per test."""
    return copy.deepcopy(_EXAMPLE_RAW)


def make_settings(storage_url: str = "sqlite+aiosqlite:///:memory:", **changes: Any) -> Settings:
    raw = example_raw()
    raw["storage"]["url"] = storage_url
    for dotted, value in changes.items():
        node = raw
        *parents, last = dotted.split("__")
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return parse_settings(raw, {}, platforms=PLATFORMS, base_dir=ROOT)


def user(name: str, platform: str = "console") -> UserRef:
    return UserRef(platform, name, name.capitalize())


def dm(name: str, platform: str = "console") -> ChatRef:
    return ChatRef(platform, name, direct=True)


def say(
    name: str, text: str, *, reply_to: str = "", chat: ChatRef | None = None, event_id: str = ""
) -> MessageReceived:
    return MessageReceived(
        event_id or f"e{next(_ids)}", user(name), chat or dm(name), text, reply_to=reply_to
    )


def press(
    name: str,
    action: Action,
    ticket: int | None = None,
    value: str = "",
    *,
    chat: ChatRef | None = None,
) -> ActionPressed:
    return ActionPressed(f"e{next(_ids)}", user(name), chat or dm(name), action, ticket, value)


def command(
    name: str, text: str, *, chat: ChatRef | None = None, event_id: str = ""
) -> CommandInvoked:
    cmd, _, args = text.lstrip("/").partition(" ")
    return CommandInvoked(event_id or f"e{next(_ids)}", user(name), chat or dm(name), cmd, args)


def new_ticket(**changes: Any) -> Ticket:
    """A new, unnumbered S4 ticket of requester 1 in L1 (chain L1, L2, L3), opened at T0;
    keyword arguments override fields."""
    fields: dict[str, Any] = {
        "requester_id": 1,
        "requester_chat": ChatAddress("console", "sam"),
        "summary": "VPN drops every hour",
        "impact": "one",
        "can_work": "limited",
        "urgency": "soon",
        "priority": "S4",
        "tier": "L1",
        "chain": ("L1", "L2", "L3"),
        "created_at": T0,
    }
    fields.update(changes)
    return Ticket(**fields)
