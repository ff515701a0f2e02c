"""A chat gateway that records what it was asked to send, and can be told to fail."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from bot.errors import GatewayError
from bot.messages import Message, Route
from bot.ports import Sent


@dataclass(frozen=True, slots=True)
class Delivery:
    route: Route
    message: Message
    edit_id: str
    thread_id: str
    message_id: str

    @property
    def where(self) -> str:
        """``#L1`` for a channel, ``@alice`` for a DM, the chat id otherwise."""
        if self.route.user_id and self.route.kind.value == "user":
            return f"@{self.route.user_id}"
        if self.route.label and self.route.label != "requester":
            return f"#{self.route.chat_id}"
        return self.route.chat_id

    @property
    def text(self) -> str:
        return self.message.plain()


@dataclass
class RecordingGateway:
    platform: str = "console"
    sent: list[Delivery] = field(default_factory=list)
    failures: list[GatewayError] = field(default_factory=list)  # raised by the next sends
    _ids: itertools.count = field(default_factory=lambda: itertools.count(100))

    async def send(
        self,
        route: Route,
        message: Message,
        *,
        edit_id: str = "",
        thread_id: str = "",
        last_digest: str = "",  # keeps no digests: every edit is shown
    ) -> Sent:
        if self.failures:
            raise self.failures.pop(0)
        message_id = edit_id or str(next(self._ids))
        self.sent.append(Delivery(route, message, edit_id, thread_id, message_id))
        return Sent(message_id=message_id, chat_id=route.chat_id or route.user_id)

    def take(self) -> list[Delivery]:
        """Everything sent since the last take."""
        sent, self.sent = self.sent, []
        return sent
