"""Where notices go: turns audiences ("the requester", "tier L2's channel", "this person")
into routes and queues every message of a command in the outbox.

Routes are resolved when a message is queued, so the outbox holds concrete destinations and
delivery needs no configuration or look-ups. Cards are rendered here, from the ticket as the
command left it, so every command that changes a ticket shows the same card.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.domain import CommentKind, Identity, Person, Precedent, Ticket
from bot.knowledge import Article
from bot.messages import Message, OutboxItem, Route, RouteKind, card_key, incident_key
from bot.ports import UnitOfWork
from bot.services.notices import (
    Notice,
    ToAccount,
    ToActor,
    ToCards,
    ToChat,
    ToIncident,
    ToPerson,
    ToRequester,
    ToThread,
    ToTier,
    Work,
)
from bot.settings import Settings
from bot.views import card_text, ticket_card


@dataclass(frozen=True, slots=True)
class CardHints:
    """What a ticket's card suggests to its agents: articles that answer its opening words
    (each a "Send to requester" button), and resolved tickets like it (front line only)."""

    articles: Sequence[Article] = ()
    precedents: Sequence[Precedent] = ()


Hints = Callable[[str], Awaitable[CardHints]]
"""A ticket's opening words → its card's hints."""


class Postman:
    """Queues one command's notices; look-ups are cached for the run (a tick pings the same
    on-call person for many tickets). ``hints``: what a card suggests to its agents."""

    def __init__(
        self, settings: Settings, uow: UnitOfWork, now: datetime, hints: Hints | None = None
    ) -> None:
        self.settings = settings
        self.uow = uow
        self.now = now
        self.hints = hints
        self._by_identity: dict[Identity, Person | None] = {}
        self._people: dict[int, Person | None] = {}
        self._identities: dict[int, list[Identity]] = {}

    async def deliver(self, work: Work) -> None:
        """Hand a finished command over: its history lines, then its messages."""
        await self.uow.tickets.add_history_many(work.history)
        await self.post(work.notices)

    async def post(self, notices: Iterable[Notice]) -> None:
        items: list[OutboxItem] = []
        for notice in notices:
            items += await self._items(notice)
        await self.uow.outbox.add_many(items)

    async def person_of(self, identity: Identity) -> Person | None:
        if identity not in self._by_identity:
            self._by_identity[identity] = await self.uow.people.by_identity(identity)
        return self._by_identity[identity]

    async def _person(self, person_id: int) -> Person | None:
        if person_id not in self._people:
            self._people[person_id] = await self.uow.people.get(person_id)
        return self._people[person_id]

    async def _items(self, notice: Notice) -> list[OutboxItem]:
        to, message = notice.to, notice.message
        if isinstance(to, ToCards):
            return await self._cards(to.ticket, to.tiers or (to.ticket.tier,))
        assert message is not None
        routes: Sequence[Route]
        ticket: int | None = None
        if isinstance(to, ToRequester):
            routes, ticket = [await self._requester(to.ticket)], to.ticket.number
        elif isinstance(to, ToThread):
            key = card_key(_number(to.ticket), to.ticket.tier)
            routes, ticket = self._tier_routes(to.ticket.tier, thread_key=key), to.ticket.number
        elif isinstance(to, ToPerson):
            routes, ticket = await self._person_routes(to.person_id), to.ticket
        elif isinstance(to, ToAccount):
            routes, ticket = await self._account_routes(to.identity), to.ticket
        elif isinstance(to, ToTier):
            routes = self._tier_routes(to.tier)
        elif isinstance(to, ToIncident):
            key = incident_key(to.incident_id, to.tier)
            if to.card:
                routes = self._tier_routes(to.tier, card_key=key)
            else:
                routes = self._tier_routes(to.tier, thread_key=key)
        elif isinstance(to, ToChat):
            route = self._chat_route(to.chat.platform, to.chat.chat_id, to.reader)
            routes, ticket = [route], to.ticket
        else:
            routes = self._actor_routes(to)
        return [self._item(route, message, ticket) for route in routes]

    def _item(self, route: Route, message: Message, ticket: int | None) -> OutboxItem:
        return OutboxItem(route=route, message=message, created_at=self.now, ticket_number=ticket)

    # -- audiences → routes ----------------------------------------------------------------

    def _zone(self, person: Person | None) -> str:
        return (person.timezone if person else None) or self.settings.timezone

    def _chat_route(self, platform: str, chat_id: str, reader: Person | None) -> Route:
        return Route(platform, RouteKind.CHAT, chat_id=chat_id, zone=self._zone(reader))

    async def _requester(self, ticket: Ticket) -> Route:
        chat = ticket.requester_chat
        requester = await self._person(ticket.requester_id)
        return Route(
            chat.platform,
            RouteKind.CHAT,
            chat_id=chat.chat_id,
            label="requester",
            zone=self._zone(requester),
        )

    def _actor_routes(self, to: ToActor) -> list[Route]:
        """Only the actor: their direct chat as it is; in a channel a message the platform
        hides from the others, labelled with their name for one that cannot."""
        chat, person = to.actor.chat, to.actor.person
        if chat.direct:
            return [self._chat_route(chat.platform, chat.chat_id, person)]
        if to.direct_only:
            return []
        return [
            Route(
                chat.platform,
                RouteKind.EPHEMERAL,
                chat_id=chat.chat_id,
                user_id=to.actor.identity.external_id,
                label=person.display_name,
                zone=self._zone(person),
            )
        ]

    async def _person_routes(self, person_id: int) -> list[Route]:
        """A direct message on the first platform the person is known on that is running."""
        if person_id not in self._identities:
            self._identities[person_id] = await self.uow.people.identities(person_id)
        enabled = self.settings.enabled_platforms
        known = [i for i in self._identities[person_id] if i.platform in enabled]
        if not known:
            return []
        identity = min(known, key=lambda i: enabled.index(i.platform))
        person = await self._person(person_id)
        return [self._direct(identity, person, person.display_name if person else "")]

    async def _account_routes(self, identity: Identity) -> list[Route]:
        if identity.platform not in self.settings.enabled_platforms:
            return []
        person = await self.person_of(identity)
        label = person.display_name if person else identity.external_id
        return [self._direct(identity, person, label)]

    def _direct(self, identity: Identity, person: Person | None, label: str) -> Route:
        return Route(
            identity.platform,
            RouteKind.USER,
            user_id=identity.external_id,
            label=label,
            zone=self._zone(person),
        )

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

    # -- cards -----------------------------------------------------------------------------

    async def _cards(self, ticket: Ticket, tiers: Sequence[str]) -> list[OutboxItem]:
        number = _number(ticket)
        names = await self.uow.people.names((ticket.requester_id, ticket.assignee_id))
        first = await self.uow.tickets.comments(number, kind=CommentKind.REQUESTER, limit=1)
        opening = first[0].text if first else ticket.summary
        details = card_text(opening, number)
        hints = CardHints()
        if self.hints is not None and ticket.status.active:
            hints = await self.hints(opening)
        items = []
        for tier in tiers:
            front = tier == ticket.chain[0] if ticket.chain else False
            card = ticket_card(
                ticket,
                self.settings,
                names,
                tier=tier,
                details=details,
                articles=hints.articles,
                precedents=hints.precedents if front else (),
            )
            key = card_key(number, tier)
            items += [self._item(r, card, number) for r in self._tier_routes(tier, card_key=key)]
        return items


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
