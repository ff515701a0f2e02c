"""Prints the desk's messages to the terminal, labelled with where they went."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from adapters.console.options import DESCRIPTOR
from adapters.console.render import render
from bot.clock import Clock
from bot.messages import Button, Message, Route, RouteKind, digest
from bot.ports import Sent

PLATFORM = DESCRIPTOR.name


@dataclass(slots=True)
class Screen:
    """What the terminal shows: the chat it is looking at and the choices on offer."""

    write: Callable[[str], None]
    viewer: str = ""  # the persona's console user id
    visible: frozenset[str] = frozenset()  # chat ids whose buttons the viewer may press
    zone: str = "UTC"
    choices: dict[str, list[Button]] = field(default_factory=dict)  # chat id → last buttons
    order: list[str] = field(default_factory=list)  # chat ids, most recent buttons last

    def latest_choices(self) -> list[Button]:
        for chat_id in reversed(self.order):
            if chat_id in self.visible or chat_id == self.viewer:
                return self.choices[chat_id]
        return []


class ConsoleGateway:
    """The console's ChatGateway: every chat is a labelled block on one screen."""

    platform = PLATFORM

    def __init__(self, screen: Screen, clock: Clock) -> None:
        self.screen = screen
        self.clock = clock
        self._ids = itertools.count(1)

    async def send(
        self,
        route: Route,
        message: Message,
        *,
        edit_id: str = "",
        thread_id: str = "",
        last_digest: str = "",
    ) -> Sent:
        chat_id = route.user_id if route.kind is RouteKind.USER else route.chat_id
        lines, buttons = render(message, zone=route.zone or self.screen.zone, now=self.clock.now())
        shown = digest([lines, [b.label for b in buttons]])
        if edit_id and shown == last_digest:
            return Sent(edit_id, chat_id, shown)  # the card on screen says this already
        self.screen.write(
            self._label(route, chat_id, edited=bool(edit_id), threaded=bool(thread_id))
        )
        for line in lines:
            self.screen.write("  " + line)
        if buttons:
            self.screen.choices[chat_id] = buttons
            if chat_id in self.screen.order:
                self.screen.order.remove(chat_id)
            self.screen.order.append(chat_id)
        message_id = edit_id or str(next(self._ids))
        return Sent(message_id=message_id, chat_id=chat_id, digest=shown)

    def _label(self, route: Route, chat_id: str, *, edited: bool, threaded: bool) -> str:
        if route.kind is RouteKind.CHAT and route.label and route.label != "requester":
            where = f"#{chat_id}"
        elif chat_id == self.screen.viewer:
            where = "you"
        else:
            where = f"@{chat_id}"
        if route.kind is RouteKind.EPHEMERAL:
            where += f" (only @{route.user_id})"
        suffix = " (card updated)" if edited else " (thread)" if threaded else ""
        return f"[{where}]{suffix}"
