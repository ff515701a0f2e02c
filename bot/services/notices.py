"""What a use case has to say, and to whom, before anyone knows a platform or a chat id.

Services run a command inside a :class:`Work` and record what people should hear as
:class:`Notice` s addressed to an audience ("the requester", "the ticket's thread", "the
person on call"); the desk hands them to the outbox (:mod:`bot.services.outbox`), which
turns audiences into routes and writes every message of the command in one go. So services
never touch the outbox, and a test of a service reads exactly what it said.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain import Comment, CommentKind, HistoryEntry, Identity, Person, Ticket
from bot.events import ChatRef
from bot.messages import Message
from bot.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting, as the desk knows them, and where from. ``person.id`` is None for
    someone the desk has not stored yet (a first message that only starts an intake);
    ``has_open_tickets`` False when the arrival's read found none of theirs open."""

    person: Person
    identity: Identity
    chat: ChatRef
    has_open_tickets: bool = True

    @property
    def id(self) -> int:
        if self.person.id is None:
            raise ValueError(f"{self.identity} is not stored yet")
        return self.person.id

    @property
    def source(self) -> str:
        return self.identity.platform


# -- audiences -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ToRequester:
    """The ticket's requester, in the chat they opened it from."""

    ticket: Ticket


@dataclass(frozen=True, slots=True)
class ToThread:
    """The ticket's thread under its card, in its current tier's channels."""

    ticket: Ticket


@dataclass(frozen=True, slots=True)
class ToCards:
    """The ticket's cards, rendered as the ticket is now, in ``tiers`` (default: its tier)."""

    ticket: Ticket
    tiers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ToPerson:
    """Someone the desk knows, directly, on the first running platform they are known on."""

    person_id: int
    ticket: int | None = None


@dataclass(frozen=True, slots=True)
class ToAccount:
    """A platform account directly (the person on call)."""

    identity: Identity
    ticket: int | None = None


@dataclass(frozen=True, slots=True)
class ToTier:
    """A tier's channels."""

    tier: str


@dataclass(frozen=True, slots=True)
class ToChat:
    """A chat, in ``reader``'s time zone when known (an intake's chat, the actor's chat)."""

    chat: ChatRef
    reader: Person | None = None
    ticket: int | None = None


@dataclass(frozen=True, slots=True)
class ToActor:
    """Only the person acting: their direct chat, or hidden from the rest of a channel
    where the platform can. ``direct_only``: said in a direct chat only (a confirmation a
    channel does not need, since the card shows the change)."""

    actor: Actor
    direct_only: bool = False


@dataclass(frozen=True, slots=True)
class ToIncident:
    """An incident's card in its tier's channels (``card``: edited in place), or its thread
    under that card."""

    incident_id: int
    tier: str
    card: bool = False


Audience = (
    ToRequester | ToThread | ToCards | ToPerson | ToAccount | ToTier | ToChat | ToActor | ToIncident
)


@dataclass(frozen=True, slots=True)
class Notice:
    """A message for an audience (none for :class:`ToCards`: the outbox renders the card)."""

    to: Audience
    message: Message | None = None


@dataclass(slots=True)
class Work:
    """One command's unit of work, the instant it runs at, and what it has to say."""

    uow: UnitOfWork
    now: datetime
    notices: list[Notice] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    afterwards: list[Callable[[], Awaitable[object]]] = field(default_factory=list)
    """Run once the work has committed (e.g. the search index learns a new article)."""

    def tell(self, to: Audience, message: Message) -> None:
        self.notices.append(Notice(to, message))

    def refresh_cards(self, ticket: Ticket, *tiers: str) -> None:
        self.notices.append(Notice(ToCards(ticket, tiers)))

    async def comment(self, number: int, actor: Actor, kind: CommentKind, text: str) -> None:
        """A message on ticket ``number`` (kept whole; relayed by the notices that follow)."""
        await self.uow.tickets.add_comment(
            Comment(number, self.now, actor.id, kind, text, actor.source)
        )

    def record(self, ticket: Ticket, actor: Actor | None, action: str, detail: str = "") -> None:
        """A line of the ticket's history: who did what, when, from where. Written with the
        others of this work when it is handed over (:meth:`Postman.deliver`)."""
        assert ticket.number is not None
        self.history.append(
            HistoryEntry(
                ticket_number=ticket.number,
                at=self.now,
                action=action,
                actor_id=actor.id if actor else None,
                source=actor.source if actor else "desk",
                detail=detail,
            )
        )
