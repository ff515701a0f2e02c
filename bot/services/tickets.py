"""Use cases on tickets. Each runs inside the caller's unit of work: the state change, its
history line and the messages it queues are committed together by the desk.

Services take the acting person and the platform it came from and never branch on it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.clock import Clock
from bot.domain import (
    ACTIVE_STATUSES,
    ChatAddress,
    Comment,
    CommentKind,
    HistoryEntry,
    Identity,
    Person,
    SelfServiceResolution,
    Ticket,
    clocks,
    drafts,
)
from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.events import ChatRef
from bot.knowledge import Article, KnowledgeIndex
from bot.messages import Field, Message
from bot.ports import UnitOfWork
from bot.services.outbox import Outbound
from bot.settings import Settings, Tier
from bot.views import (
    priority_label,
    queue_order,
    resolved_for_requester,
    ticket_card,
    ticket_detail,
    ticket_list,
    ticket_opened,
    urgency_label,
)

MAX_TEXT = 20_000  # longer comments are kept whole in history but relayed shortened
CARD_TEXT = 1500  # the problem as a card shows it; a longer one says where the rest is


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting, as the desk knows them, and where from."""

    person: Person
    identity: Identity
    chat: ChatRef

    @property
    def id(self) -> int:
        assert self.person.id is not None
        return self.person.id

    @property
    def source(self) -> str:
        return self.identity.platform


@dataclass(frozen=True, slots=True)
class Draft:
    """A finished intake: everything needed to open a ticket."""

    description: str
    summary: str
    impact: str
    can_work: str
    urgency: str
    details: str = ""
    category: str | None = None
    product: str | None = None
    version: str | None = None
    version_supported: bool | None = None
    notice: str = ""


class TicketService:
    """The ticket use cases; one instance per process, stateless between calls."""

    def __init__(self, settings: Settings, clock: Clock, knowledge: KnowledgeIndex) -> None:
        self.settings = settings
        self.clock = clock
        self.knowledge = knowledge

    # -- helpers -------------------------------------------------------------------------

    def is_agent(self, identity: Identity) -> bool:
        return bool(self.settings.agent_tiers(identity))

    def on_chain(self, identity: Identity, ticket: Ticket) -> bool:
        """Staff of any tier on the ticket's chain (its agents or its on-call rotation): they
        may see it, acknowledge its breaches and save it as an article."""
        return any(self.settings.tier(name).staffed_by(identity) for name in ticket.chain)

    def may_see(self, actor: Actor, ticket: Ticket) -> bool:
        """Its requester, the staff of its chain and whoever writes from a channel showing
        its card know the ticket exists; nobody else."""
        if ticket.requester_id == actor.id or self.on_chain(actor.identity, ticket):
            return True
        chat = actor.chat
        return not chat.direct and any(
            self.settings.tier(name).channels.get(chat.platform) == chat.chat_id
            for name in ticket.chain
        )

    def hidden(self, actor: Actor, number: int) -> NotFound:
        """The refusal for a ticket the actor may not see: word for word what they are told
        when no such ticket exists, so no command confirms that someone else's ticket does."""
        if self.is_agent(actor.identity):
            return NotFound(f"There is no ticket #{number}.")
        return NotFound(f"You have no ticket #{number}.")

    async def visible(self, uow: UnitOfWork, actor: Actor, number: int) -> Ticket:
        """The ticket, if the actor may see it; otherwise the same answer as for none."""
        ticket = await uow.tickets.get(number)
        if ticket is None or not self.may_see(actor, ticket):
            raise self.hidden(actor, number)
        return ticket

    async def ticket_for_staff(self, uow: UnitOfWork, actor: Actor, number: int) -> Ticket:
        """The ticket, if the actor is staff of a tier on its chain."""
        ticket = await self.visible(uow, actor, number)
        if not self.on_chain(actor.identity, ticket):
            raise PermissionDenied(f"Only agents of {ticket.ref}'s tiers can do that.")
        return ticket

    async def ticket_for_agent(self, uow: UnitOfWork, actor: Actor, number: int) -> Ticket:
        """The ticket, if the actor is an agent of the tier holding it."""
        ticket = await self.visible(uow, actor, number)
        if actor.identity not in self.settings.tier(ticket.tier).agents:
            raise PermissionDenied(
                f"Only {ticket.tier} agents can act on {ticket.ref} (it is with {ticket.tier})."
            )
        return ticket

    async def ticket_for_requester(self, uow: UnitOfWork, actor: Actor, number: int) -> Ticket:
        ticket = await uow.tickets.get(number)
        if ticket is None or ticket.requester_id != actor.id:
            raise NotFound(f"You have no ticket #{number}.")
        return ticket

    async def record(
        self, uow: UnitOfWork, ticket: Ticket, actor: Actor | None, action: str, detail: str = ""
    ) -> None:
        assert ticket.number is not None
        await uow.tickets.add_history(
            HistoryEntry(
                ticket_number=ticket.number,
                at=self.clock.now(),
                action=action,
                actor_id=actor.id if actor else None,
                source=actor.source if actor else "desk",
                detail=detail,
            )
        )

    async def _refresh_cards(
        self, uow: UnitOfWork, out: Outbound, ticket: Ticket, *tiers: str
    ) -> None:
        names = await uow.people.names((ticket.requester_id, ticket.assignee_id))
        details = await self._opening_text(uow, ticket)
        for tier in tiers or (ticket.tier,):
            await out.card(
                ticket, tier, ticket_card(ticket, self.settings, names, tier=tier, details=details)
            )

    async def _opening_text(self, uow: UnitOfWork, ticket: Ticket) -> str:
        assert ticket.number is not None
        first = await uow.tickets.comments(ticket.number, kind=CommentKind.REQUESTER, limit=1)
        text = first[0].text if first else ticket.summary
        if len(text) <= CARD_TEXT:
            return text
        shown = text[: CARD_TEXT - 1].rstrip()
        return f"{shown}… [{len(text) - len(shown):,} more characters: /show {ticket.number}]"

    async def _changed(
        self,
        uow: UnitOfWork,
        ticket: Ticket,
        actor: Actor | None,
        action: str,
        detail: str = "",
        *,
        tiers: tuple[str, ...] = (),
    ) -> Outbound:
        """Save a changed ticket, append its history line and refresh its cards; returns
        the outbound queue for whatever else the use case has to say."""
        await uow.tickets.save(ticket)
        await self.record(uow, ticket, actor, action, detail)
        out = self._outbound(uow)
        await self._refresh_cards(uow, out, ticket, *tiers)
        return out

    def _outbound(self, uow: UnitOfWork) -> Outbound:
        return Outbound(self.settings, uow, self.clock.now())

    # -- requester side ------------------------------------------------------------------

    async def open(self, uow: UnitOfWork, actor: Actor, draft: Draft) -> Ticket:
        now = self.clock.now()
        chain = (
            self.settings.category(draft.category).chain
            if draft.category
            else self.settings.default_chain
        )
        ticket = Ticket(
            requester_id=actor.id,
            requester_chat=ChatAddress(actor.chat.platform, actor.chat.chat_id),
            summary=draft.summary,
            details=draft.details,
            impact=draft.impact,
            can_work=draft.can_work,
            urgency=draft.urgency,
            priority=self.settings.priority.priority_for(draft.impact, draft.can_work),
            tier=chain[0],
            chain=chain,
            category=draft.category,
            product=draft.product,
            version=draft.version,
            version_supported=draft.version_supported,
            created_at=now,
            updated_at=now,
        )
        ticket.open(self.settings.sla)
        ticket = await uow.tickets.add(ticket)
        assert ticket.number is not None
        text = draft.description + (f"\n\n{draft.details}" if draft.details else "")
        await uow.tickets.add_comment(
            Comment(ticket.number, now, actor.id, CommentKind.REQUESTER, text, actor.source)
        )
        await self.record(
            uow,
            ticket,
            actor,
            "opened",
            f"{priority_label(self.settings, ticket.priority)}, "
            f"urgency {urgency_label(self.settings, ticket.urgency)}",
        )
        out = self._outbound(uow)
        await out.to_requester(ticket, ticket_opened(ticket, self.settings, draft.notice))
        await self._refresh_cards(uow, out, ticket)
        if draft.notice:
            await out.to_thread(ticket, Message(text=draft.notice))
        return ticket

    async def self_solved(
        self, uow: UnitOfWork, actor: Actor, article_id: str, query: str
    ) -> Article:
        article = self.knowledge.get(article_id)
        if article is None:
            raise NotFound("That article is no longer in the knowledge base.")
        await uow.knowledge.add_self_service(
            SelfServiceResolution(actor.id, article_id, query, self.clock.now())
        )
        return article

    async def requester_reply(
        self, uow: UnitOfWork, actor: Actor, number: int, text: str, files: tuple[str, ...] = ()
    ) -> Ticket:
        ticket = await self.ticket_for_requester(uow, actor, number)
        text = _with_files(text, files)
        if not text:
            raise InvalidInput("There is nothing to add; write some text after the number.")
        ticket.requester_replied(self.clock.now(), self.settings.sla)
        await uow.tickets.save(ticket)
        await uow.tickets.add_comment(
            Comment(number, self.clock.now(), actor.id, CommentKind.REQUESTER, text, actor.source)
        )
        await self.record(uow, ticket, actor, "requester replied")
        out = self._outbound(uow)
        await out.to_thread(
            ticket,
            Message(
                title=f"{ticket.ref}: requester wrote",
                quote=_shorten(text, MAX_TEXT),
                quote_author=actor.person.display_name,
            ),
        )
        await self._refresh_cards(uow, out, ticket)
        await out.to_chat(
            actor.chat,
            Message(text=f"Added to {ticket.ref}. (For a new problem, send /new.)"),
            ticket.number,
            actor.person,
        )
        return ticket

    async def close(self, uow: UnitOfWork, actor: Actor, number: int) -> Ticket:
        ticket = await self.ticket_for_requester(uow, actor, number)
        ticket.close(self.clock.now(), self.settings.sla)
        return await self._requester_change(uow, actor, ticket, "closed", "closed it")

    async def cancel(self, uow: UnitOfWork, actor: Actor, number: int) -> Ticket:
        ticket = await self.ticket_for_requester(uow, actor, number)
        ticket.cancel(self.clock.now(), self.settings.sla)
        return await self._requester_change(uow, actor, ticket, "cancelled", "withdrew it")

    async def reopen(self, uow: UnitOfWork, actor: Actor, number: int) -> Ticket:
        ticket = await self.ticket_for_requester(uow, actor, number)
        ticket.reopen(self.clock.now(), self.settings.sla)
        return await self._requester_change(uow, actor, ticket, "reopened", "reopened it")

    async def rate(self, uow: UnitOfWork, actor: Actor, number: int, score: int) -> Ticket:
        if not 1 <= score <= 5:
            raise InvalidInput("A rating is a number from 1 to 5.")
        ticket = await self.ticket_for_requester(uow, actor, number)
        ticket.rate(score, self.clock.now())
        await uow.tickets.save(ticket)
        await self.record(uow, ticket, actor, "rated", f"{score}/5")
        out = self._outbound(uow)
        await out.to_thread(ticket, Message(text=f"The requester rated {ticket.ref} {score}/5."))
        await out.to_chat(
            actor.chat, Message(text=f"Thanks for rating {ticket.ref}."), reader=actor.person
        )
        return ticket

    async def _requester_change(
        self, uow: UnitOfWork, actor: Actor, ticket: Ticket, action: str, phrase: str
    ) -> Ticket:
        out = await self._changed(uow, ticket, actor, action)
        await out.to_thread(ticket, Message(text=f"The requester {phrase}: {ticket.ref}."))
        await out.to_chat(
            actor.chat,
            Message(text=f"Ticket {ticket.ref} is now {ticket.status.label.lower()}."),
            reader=actor.person,
        )
        return ticket

    async def my_tickets(self, uow: UnitOfWork, actor: Actor) -> Message:
        tickets = await uow.tickets.list(requester_id=actor.id, limit=20)
        return ticket_list("Your tickets", tickets, self.settings, "You have no tickets.")

    async def show(self, uow: UnitOfWork, actor: Actor, number: int) -> Message:
        ticket = await self.visible(uow, actor, number)
        staff = self.on_chain(actor.identity, ticket)
        history = await uow.tickets.history(number)
        comments = await uow.tickets.comments(number)
        names = await uow.people.names(
            (
                ticket.requester_id,
                ticket.assignee_id,
                *(c.author_id for c in comments),
                *(h.actor_id for h in history),
            )
        )
        left = tuple(
            Field(label, text)
            for label, text in clocks.time_left(ticket, self.settings.sla, self.clock.now())
        )
        return ticket_detail(
            ticket,
            self.settings,
            names,
            history,
            comments,
            for_agents=staff,
            extra=left,
            zone=actor.person.timezone or self.settings.timezone,
        )

    # -- agent side ----------------------------------------------------------------------

    async def queue(self, uow: UnitOfWork, actor: Actor, tier: str | None) -> Message:
        tiers = self.settings.agent_tiers(actor.identity)
        if tier is not None:
            tiers = tuple(t for t in tiers if t.name.lower() == tier.lower())
            if not tiers:
                raise PermissionDenied(f"You are not an agent of tier {tier}.")
        if not tiers:
            raise PermissionDenied("Only agents have a queue.")
        tickets = await uow.tickets.list(
            statuses=tuple(ACTIVE_STATUSES), tiers=[t.name for t in tiers]
        )
        tickets.sort(key=queue_order(self.settings))
        names = ", ".join(t.name for t in tiers)
        return ticket_list(
            f"Queue {names}: {len(tickets)} open", tickets, self.settings, "Nothing open. 🎉"
        )

    async def claim(self, uow: UnitOfWork, actor: Actor, number: int) -> Ticket:
        ticket = await self.ticket_for_agent(uow, actor, number)
        ticket.claim(actor.id, self.clock.now(), self.settings.sla)
        out = await self._changed(uow, ticket, actor, "claimed")
        await out.to_thread(
            ticket, Message(text=f"{actor.person.display_name} claimed {ticket.ref}.")
        )
        await out.to_requester(
            ticket,
            Message(
                text=f"{actor.person.display_name} is now working on {ticket.ref} "
                f"({ticket.summary})."
            ),
        )
        return ticket

    async def agent_reply(
        self,
        uow: UnitOfWork,
        actor: Actor,
        number: int,
        text: str,
        *,
        internal: bool = False,
        files: tuple[str, ...] = (),
    ) -> Ticket:
        ticket = await self.ticket_for_agent(uow, actor, number)
        text = _with_files(text, files)
        if not text:
            raise InvalidInput("There is nothing to send; write the message after the number.")
        now = self.clock.now()
        kind = CommentKind.INTERNAL if internal else CommentKind.PUBLIC
        if not internal:
            ticket.agent_replied(now, self.settings.sla)
            await uow.tickets.save(ticket)
        await uow.tickets.add_comment(Comment(number, now, actor.id, kind, text, actor.source))
        await self.record(uow, ticket, actor, "noted internally" if internal else "replied")
        out = self._outbound(uow)
        if internal:
            await out.to_thread(
                ticket,
                Message(title="Internal note", quote=text, quote_author=actor.person.display_name),
            )
            return ticket
        await out.to_requester(
            ticket,
            Message(
                title=f"Reply on {ticket.ref}",
                quote=_shorten(text, MAX_TEXT),
                quote_author=actor.person.display_name,
                text="Write here to answer.",
            ),
        )
        await out.to_thread(
            ticket,
            Message(
                text=f"{actor.person.display_name} replied to the requester.",
                quote=_shorten(text, 500),
            ),
        )
        await self._refresh_cards(uow, out, ticket)
        return ticket

    async def escalate(self, uow: UnitOfWork, actor: Actor, number: int, reason: str) -> Ticket:
        ticket = await self.ticket_for_agent(uow, actor, number)
        reason = reason.strip()
        if not reason:
            raise InvalidInput(f"Say why: /escalate {number} reason.")
        await self.move_up(uow, ticket, actor, reason)
        return ticket

    async def move_up(
        self, uow: UnitOfWork, ticket: Ticket, actor: Actor | None, reason: str
    ) -> str:
        """Pass the ticket to the next tier of its chain (an agent's escalation, or the
        desk's own at a resolution breach when the policy says so)."""
        old_tier = ticket.tier
        new_tier = ticket.escalate(self.clock.now(), self.settings.sla)
        out = await self._changed(
            uow,
            ticket,
            actor,
            f"escalated {old_tier} → {new_tier}",
            reason,
            tiers=(
                old_tier,
                new_tier,
            ),
        )
        by = actor.person.display_name if actor else "the desk"
        await out.to_thread(
            ticket, Message(title=f"Escalated from {old_tier} by {by}", quote=reason)
        )
        await out.to_requester(
            ticket,
            Message(
                text=f"{ticket.ref} was passed to {self.settings.tier(new_tier).label} "
                "for a closer look."
            ),
        )
        return new_tier

    async def resolve(self, uow: UnitOfWork, actor: Actor, number: int, note: str) -> Ticket:
        ticket = await self.ticket_for_agent(uow, actor, number)
        note = note.strip()
        if not note:
            raise InvalidInput(f"Say what fixed it: /resolve {number} note.")
        ticket.resolve(note, self.clock.now(), by=actor.id)
        out = await self._changed(uow, ticket, actor, "resolved", note)
        await out.to_requester(ticket, resolved_for_requester(ticket, actor.person.display_name))
        return ticket

    async def wait_on_requester(
        self, uow: UnitOfWork, actor: Actor, number: int, need: str
    ) -> Ticket:
        """Ask the requester for what the agent needs and pause until they answer: the
        question is kept as a public comment, so /show has it too."""
        ticket = await self.ticket_for_agent(uow, actor, number)
        need = need.strip()
        if not need:
            raise InvalidInput(f"Say what you need: /waiting {number} what you need.")
        now = self.clock.now()
        ticket.wait_on_requester(now, self.settings.sla)
        await uow.tickets.add_comment(
            Comment(number, now, actor.id, CommentKind.PUBLIC, need, actor.source)
        )
        out = await self._changed(uow, ticket, actor, "set waiting on requester")
        await out.to_requester(
            ticket,
            Message(
                title=f"{actor.person.display_name} needs your answer on {ticket.ref}",
                quote=_shorten(need, MAX_TEXT),
                quote_author=actor.person.display_name,
                text="Write here to reply.",
            ),
        )
        return ticket

    async def change_priority(
        self, uow: UnitOfWork, actor: Actor, number: int, priority: str
    ) -> Ticket:
        ticket = await self.ticket_for_agent(uow, actor, number)
        wanted = priority.strip().upper()
        if wanted not in {lv.name.upper() for lv in self.settings.priority.levels}:
            known = ", ".join(lv.name for lv in self.settings.priority.levels)
            raise InvalidInput(f'"{priority}" is not a priority; use one of {known}.')
        wanted = next(lv.name for lv in self.settings.priority.levels if lv.name.upper() == wanted)
        old = ticket.priority
        ticket.change_priority(wanted, self.clock.now(), self.settings.sla)
        out = await self._changed(uow, ticket, actor, "changed priority", f"{old} → {wanted}")
        await out.to_requester(
            ticket,
            Message(
                text=f"{ticket.ref} priority changed from {old} to "
                f"{priority_label(self.settings, wanted)}."
            ),
        )
        return ticket

    async def reassign(self, uow: UnitOfWork, actor: Actor, number: int, who: str) -> Ticket:
        ticket = await self.ticket_for_agent(uow, actor, number)
        target = await self._agent_named(uow, self.settings.tier(ticket.tier), who)
        ticket.assign(target.id or 0, self.clock.now())
        out = await self._changed(uow, ticket, actor, "reassigned", f"to {target.display_name}")
        await out.to_thread(
            ticket,
            Message(
                text=f"{actor.person.display_name} gave {ticket.ref} to {target.display_name}."
            ),
        )
        if target.id is not None:
            await out.to_person(
                target.id,
                Message(
                    text=f"{actor.person.display_name} assigned {ticket.ref} to you: "
                    f"{ticket.summary}"
                ),
                ticket.number,
            )
        return ticket

    async def _agent_named(self, uow: UnitOfWork, tier: Tier, who: str) -> Person:
        wanted = who.strip().lstrip("@").lower()
        if not wanted:
            raise InvalidInput("Say who: /reassign N name.")
        for identity in tier.agents:
            person = await uow.people.by_identity(identity)
            names = {identity.external_id.lower(), str(identity).lower()}
            if person is not None:
                names.add(person.display_name.lower())
            if wanted in names:
                if person is None:
                    person = await uow.people.add(Person(identity.external_id), identity)
                return person
        raise NotFound(f'"{who}" is not an agent of {tier.name}.')

    async def save_article(self, uow: UnitOfWork, actor: Actor, number: int, title: str) -> Article:
        """A draft article from a resolved ticket, for its agents to edit and publish."""
        ticket = await self.ticket_for_staff(uow, actor, number)
        if not ticket.resolution_note:
            raise InvalidInput(f"{ticket.ref} has no resolution note yet; resolve it first.")
        opening = await self._opening_text(uow, ticket)
        article = Article(
            id=f"ticket-{number}",
            title=" ".join((title.strip() or ticket.summary).split()),
            body=drafts.body(
                drafts.escape_markdown(opening), drafts.escape_markdown(ticket.resolution_note)
            ),
            keywords=(ticket.summary,),
            tags=tuple(x for x in (ticket.category,) if x),
            source=f"ticket:{number}",
            draft=True,
        )
        await uow.knowledge.put(article)
        await self.record(uow, ticket, actor, "saved a draft article", article.title)
        return article

    async def draft_article(self, uow: UnitOfWork, actor: Actor, article_id: str) -> Article:
        """A draft saved from a ticket the actor is staff of; others are told there is none."""
        article = await uow.knowledge.get(article_id)
        number = article.source.removeprefix("ticket:") if article else ""
        if article is None or not article.draft or not number.isdigit():
            raise NotFound(f"There is no draft article {article_id}.")
        try:
            await self.ticket_for_staff(uow, actor, int(number))
        except (NotFound, PermissionDenied):
            raise NotFound(f"There is no draft article {article_id}.") from None
        return article

    async def edit_article(
        self, uow: UnitOfWork, actor: Actor, article_id: str, part: str, text: str
    ) -> Article:
        article = drafts.edited(await self.draft_article(uow, actor, article_id), part, text)
        await uow.knowledge.put(article)
        return article

    async def publish_article(self, uow: UnitOfWork, actor: Actor, article_id: str) -> Article:
        """The draft goes live: stored as published and offered to requesters from now on."""
        article = replace(await self.draft_article(uow, actor, article_id), draft=False)
        await uow.knowledge.put(article)
        ticket = await self.ticket_for_staff(uow, actor, int(article.source.split(":")[1]))
        await self.record(uow, ticket, actor, "published as article", article.title)
        self.knowledge.add(article)
        return article


def _with_files(text: str, files: tuple[str, ...]) -> str:
    text = text.strip()
    if files:
        text = (text + "\n" if text else "") + "Attached: " + ", ".join(files)
    return text


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
