"""Where messages go: turns "the requester", "tier L2's channel" or "this person" into routes.

Routes are resolved when a message is queued, so the outbox holds concrete destinations
and delivery needs no configuration or lookups.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain import Identity, Person, Ticket
from bot.events import ChatRef
from bot.messages import Message, OutboxItem, Route, RouteKind, card_key
from bot.ports import UnitOfWork
from bot.settings import Settings


@dataclass(slots=True)
class Outbound:
    """Queues messages into the unit of work's outbox; one per use-case run."""

    settings: Settings
    uow: UnitOfWork
    now: datetime
    # look-ups cached for this run: a tick pings the same on-call person for many tickets
    _by_identity: dict[Identity, Person | None] = field(default_factory=dict)
    _people: dict[int, Person | None] = field(default_factory=dict)
    _identities: dict[int, list[Identity]] = field(default_factory=dict)

    async def person_of(self, identity: Identity) -> Person | None:
        if identity not in self._by_identity:
            self._by_identity[identity] = await self.uow.people.by_identity(identity)
        return self._by_identity[identity]

    async def person(self, person_id: int) -> Person | None:
        if person_id not in self._people:
            self._people[person_id] = await self.uow.people.get(person_id)
        return self._people[person_id]

    async def _put(self, route: Route, message: Message, ticket: int | None) -> None:
        item = OutboxItem(route=route, message=message, created_at=self.now, ticket_number=ticket)
        await self.uow.outbox.add(item)

    async def to_chat(
        self,
        chat: ChatRef,
        message: Message,
        ticket: int | None = None,
        reader: Person | None = None,
    ) -> None:
        """Answer in the chat an event came from; times in ``reader``'s zone when known."""
        route = Route(chat.platform, RouteKind.CHAT, chat_id=chat.chat_id, zone=self._zone(reader))
        await self._put(route, message, ticket)

    async def ephemeral(
        self,
        chat: ChatRef,
        user_id: str,
        message: Message,
        reader: Person | None = None,
        *,
        name: str = "",
    ) -> None:
        """Tell only ``user``; in a direct chat that is just the chat. The route's label is
        their name (``reader``'s, else ``name``): a platform that cannot hide a message from
        the rest of a group addresses it to them by it."""
        if chat.direct:
            await self.to_chat(chat, message, reader=reader)
            return
        route = Route(
            chat.platform,
            RouteKind.EPHEMERAL,
            chat_id=chat.chat_id,
            user_id=user_id,
            label=reader.display_name if reader else name,
            zone=self._zone(reader),
        )
        await self._put(route, message, None)

    async def to_requester(self, ticket: Ticket, message: Message) -> None:
        chat = ticket.requester_chat
        requester = await self.person(ticket.requester_id)
        route = Route(
            chat.platform,
            RouteKind.CHAT,
            chat_id=chat.chat_id,
            label="requester",
            zone=self._zone(requester),
        )
        await self._put(route, message, ticket.number)

    def _zone(self, person: Person | None) -> str:
        return (person.timezone if person else None) or self.settings.timezone

    async def to_person(self, person_id: int, message: Message, ticket: int | None = None) -> None:
        """A direct message on the first platform the person is known on that is running."""
        if person_id not in self._identities:
            self._identities[person_id] = await self.uow.people.identities(person_id)
        identities = self._identities[person_id]
        person = await self.person(person_id)
        label = person.display_name if person else ""
        for identity in _prefer_enabled(identities, self.settings.enabled_platforms):
            route = Route(
                identity.platform,
                RouteKind.USER,
                user_id=identity.external_id,
                label=label,
                zone=self._zone(person),
            )
            await self._put(route, message, ticket)
            return

    async def to_identity(
        self, identity: Identity, message: Message, ticket: int | None = None
    ) -> None:
        """A direct message to a platform account (e.g. the person on call)."""
        if identity.platform not in self.settings.enabled_platforms:
            return
        person = await self.person_of(identity)
        route = Route(
            identity.platform,
            RouteKind.USER,
            user_id=identity.external_id,
            label=person.display_name if person else identity.external_id,
            zone=self._zone(person),
        )
        await self._put(route, message, ticket)

    async def card(self, ticket: Ticket, tier: str, message: Message) -> None:
        """Post or update the ticket's card in ``tier``'s channels."""
        key = card_key(_number(ticket), tier)
        for route in self._tier_routes(tier, card_key=key):
            await self._put(route, message, ticket.number)

    async def to_thread(self, ticket: Ticket, message: Message) -> None:
        """Post in the ticket's thread under its card in the current tier's channels."""
        key = card_key(_number(ticket), ticket.tier)
        for route in self._tier_routes(ticket.tier, thread_key=key):
            await self._put(route, message, ticket.number)

    async def to_tier(self, tier: str, message: Message) -> None:
        for route in self._tier_routes(tier):
            await self._put(route, message, None)

    def _tier_routes(
        self, tier_name: str, *, card_key: str = "", thread_key: str = ""
    ) -> list[Route]:
        tier = self.settings.tier(tier_name)
        enabled = self.settings.enabled_platforms
        return [
            Route(
                platform,
                RouteKind.CHAT,
                chat_id=chat_id,
                card_key=card_key,
                thread_key=thread_key,
                label=tier.name,
                zone=self.settings.timezone,  # a channel has many readers: the desk's zone
            )
            for platform, chat_id in tier.channels.items()
            if platform in enabled
        ]


def _prefer_enabled(identities: list[Identity], enabled: tuple[str, ...]) -> list[Identity]:
    return sorted(
        (i for i in identities if i.platform in enabled), key=lambda i: enabled.index(i.platform)
    )


def _number(ticket: Ticket) -> int:
    if ticket.number is None:
        raise ValueError("ticket has no number yet")
    return ticket.number


def ticket_of_key(key: str) -> int | None:
    """The ticket number a card or message key refers to (``ticket:42:…``)."""
    parts = key.split(":")
    if len(parts) >= 2 and parts[0] == "ticket" and parts[1].isdigit():
        return int(parts[1])
    return None
