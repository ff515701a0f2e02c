"""Ticket use cases: one handler per command, each inside the desk's unit of work.

A handler gets the ticket the desk has already loaded, locked and checked the actor may act
on (:mod:`bot.services.access`), changes it through its transitions (which move its clocks),
writes its history and comments, and says what people should hear as notices; the desk
commits all of it together. Handlers take the acting person and never branch on a platform.
"""

from __future__ import annotations

from bot import views
from bot.domain import (
    ACTIVE_STATUSES,
    ChatAddress,
    CommentKind,
    Person,
    Ticket,
)
from bot.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from bot.messages import Message
from bot.services.access import Rules
from bot.services.commands import (
    AgentReply,
    ChangePriority,
    Claim,
    Close,
    Escalate,
    MyTickets,
    OfferPriorities,
    OpenTicket,
    Queue,
    Rate,
    Reassign,
    Reopen,
    RequesterReply,
    Resolve,
    ShowTicket,
    WaitOnRequester,
    Withdraw,
)
from bot.services.notices import Actor, ToActor, ToChat, ToPerson, ToRequester, ToThread, Work
from bot.settings import Settings, Tier


class TicketService:
    """The ticket use cases of one configuration; stateless between calls."""

    def __init__(self, settings: Settings, rules: Rules) -> None:
        self.settings = settings
        self.sla = settings.sla  # what every transition takes to move the clocks
        self.rules = rules

    # -- requesters ----------------------------------------------------------------------

    async def open(self, work: Work, actor: Actor, cmd: OpenTicket) -> Ticket:
        draft = cmd.draft
        chain = self.settings.chain_of(draft.category)
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
            created_at=work.now,
        )
        ticket.open(self.sla)
        ticket = await work.uow.tickets.add(ticket)
        assert ticket.number is not None
        text = draft.description + (f"\n\n{draft.details}" if draft.details else "")
        await work.comment(ticket.number, actor, CommentKind.REQUESTER, text)
        work.record(ticket, actor, "opened", views.opened_history(self.settings, ticket))
        work.tell(ToRequester(ticket), views.ticket_opened(ticket, self.settings, draft.notice))
        work.refresh_cards(ticket)
        if draft.notice:
            work.tell(ToThread(ticket), Message(text=draft.notice))
        return ticket

    async def requester_reply(
        self, work: Work, actor: Actor, cmd: RequesterReply, ticket: Ticket
    ) -> Ticket:
        text = _with_files(cmd.text, cmd.files)
        if not text:
            raise InvalidInput("There is nothing to add; write some text after the number.")
        ticket.requester_replied(work.now, self.sla)
        await work.uow.tickets.save(ticket)
        await work.comment(cmd.number, actor, CommentKind.REQUESTER, text)
        work.record(ticket, actor, "requester replied")
        work.tell(ToThread(ticket), views.requester_wrote(ticket, text, actor.person.display_name))
        work.refresh_cards(ticket)
        work.tell(ToChat(actor.chat, actor.person, ticket.number), views.added_to(ticket))
        return ticket

    async def close(self, work: Work, actor: Actor, cmd: Close, ticket: Ticket) -> Ticket:
        ticket.close(work.now, self.sla)
        await self._requester_changed(work, actor, ticket, "closed")
        if ticket.rating is None:
            work.tell(ToChat(actor.chat, actor.person), views.rating_offer(ticket))
        return ticket

    async def close_unanswered(self, work: Work, ticket: Ticket) -> Ticket:
        """A resolved ticket whose requester never answered "Did this solve it?" within
        ``satisfaction.close_after`` closes by itself; the requester may still rate it."""
        ticket.close_unanswered(work.now, self.sla)
        await self.changed(work, ticket, None, "closed", "no answer from the requester")
        wait = self.settings.satisfaction.close_after
        work.tell(ToRequester(ticket), views.closed_unanswered(ticket, wait))
        work.tell(ToThread(ticket), views.closed_unanswered_for_agents(ticket, wait))
        return ticket

    async def withdraw(self, work: Work, actor: Actor, cmd: Withdraw, ticket: Ticket) -> Ticket:
        ticket.cancel(work.now, self.sla)
        return await self._requester_changed(work, actor, ticket, "cancelled")

    async def reopen(self, work: Work, actor: Actor, cmd: Reopen, ticket: Ticket) -> Ticket:
        """Not solved: back to the tier and assignee that had it, with the requester's reason
        on the ticket and in the agents' thread."""
        reason = " ".join(cmd.reason.split())  # one line
        ticket.reopen(work.now, self.sla)
        await self.changed(work, ticket, actor, "reopened", reason)
        if reason:
            await work.comment(cmd.number, actor, CommentKind.REQUESTER, reason)
        reopened = views.reopened_for_agents(ticket, reason)
        work.tell(ToThread(ticket), reopened)
        if ticket.assignee_id is not None:
            work.tell(ToPerson(ticket.assignee_id, ticket.number), reopened)
        work.tell(ToChat(actor.chat, actor.person), views.status_now(ticket))
        return ticket

    async def _requester_changed(
        self, work: Work, actor: Actor, ticket: Ticket, action: str
    ) -> Ticket:
        await self.changed(work, ticket, actor, action)
        work.tell(ToThread(ticket), views.requester_changed(ticket, action))
        work.tell(ToChat(actor.chat, actor.person), views.status_now(ticket))
        return ticket

    async def rate(self, work: Work, actor: Actor, cmd: Rate, ticket: Ticket) -> Ticket:
        if not 1 <= cmd.score <= 5:
            raise InvalidInput("A rating is a number from 1 to 5.")
        ticket.rate(cmd.score, work.now)
        await work.uow.tickets.save(ticket)
        work.record(ticket, actor, "rated", f"{cmd.score}/5")
        work.tell(ToThread(ticket), views.rated(ticket, cmd.score))
        work.tell(ToChat(actor.chat, actor.person), views.thanks_for_rating(ticket))
        return ticket

    async def my_tickets(self, work: Work, actor: Actor, cmd: MyTickets) -> None:
        tickets = (
            await work.uow.tickets.list(requester_id=actor.id, limit=20)
            if actor.person.id is not None
            else []
        )
        work.tell(ToActor(actor), views.my_tickets(tickets, self.settings))

    async def show(self, work: Work, actor: Actor, cmd: ShowTicket, ticket: Ticket) -> None:
        staff = self.rules.on_chain(actor.identity, ticket)
        history = await work.uow.tickets.history(cmd.number)
        comments = await work.uow.tickets.comments(cmd.number)
        names = await work.uow.people.names(
            (
                ticket.requester_id,
                ticket.assignee_id,
                *(c.author_id for c in comments),
                *(h.actor_id for h in history),
            )
        )
        detail = views.ticket_detail(
            ticket,
            self.settings,
            names,
            history,
            comments,
            for_agents=staff,
            extra=views.clock_fields(ticket, self.sla, work.now),
            zone=actor.person.timezone or self.settings.timezone,
        )
        work.tell(ToActor(actor), detail)

    # -- agents --------------------------------------------------------------------------

    async def queue(self, work: Work, actor: Actor, cmd: Queue) -> None:
        tiers = self.settings.agent_tiers(actor.identity)
        if cmd.tier is not None:
            tiers = tuple(t for t in tiers if t.name.lower() == cmd.tier.lower())
            if not tiers:
                raise PermissionDenied(f"You are not an agent of tier {cmd.tier}.")
        if not tiers:
            raise PermissionDenied("Only agents have a queue.")
        tickets = await work.uow.tickets.list(
            statuses=tuple(ACTIVE_STATUSES), tiers=[t.name for t in tiers]
        )
        tickets.sort(key=views.queue_order(self.settings))
        work.tell(ToActor(actor), views.queue([t.name for t in tiers], tickets, self.settings))

    async def claim(self, work: Work, actor: Actor, cmd: Claim, ticket: Ticket) -> Ticket:
        holder = ticket.assignee_id
        if holder is not None and holder != actor.id and ticket.status.active:
            names = await work.uow.people.names([holder])  # who won, if it was a race
            raise InvalidTransition(views.claimed_by_another(ticket, names[holder]))
        ticket.claim(actor.id, work.now, self.sla)
        await self.changed(work, ticket, actor, "claimed")
        name = actor.person.display_name
        work.tell(ToThread(ticket), views.claimed_for_agents(ticket, name))
        work.tell(ToRequester(ticket), views.claimed_for_requester(ticket, name))
        work.tell(ToActor(actor, direct_only=True), views.you_claimed(ticket))
        return ticket

    async def agent_reply(
        self, work: Work, actor: Actor, cmd: AgentReply, ticket: Ticket
    ) -> Ticket:
        text = _with_files(cmd.text, cmd.files)
        if not text:
            raise InvalidInput("There is nothing to send; write the message after the number.")
        name = actor.person.display_name
        kind = CommentKind.INTERNAL if cmd.internal else CommentKind.PUBLIC
        if not cmd.internal:
            ticket.agent_replied(work.now, self.sla)
            await work.uow.tickets.save(ticket)
        await work.comment(cmd.number, actor, kind, text)
        work.record(ticket, actor, "noted internally" if cmd.internal else "replied")
        if cmd.internal:
            work.tell(ToThread(ticket), views.internal_note(text, name))
            return ticket
        work.tell(ToRequester(ticket), views.reply_for_requester(ticket, text, name))
        work.tell(ToThread(ticket), views.replied_for_agents(text, name))
        work.refresh_cards(ticket)
        return ticket

    async def escalate(self, work: Work, actor: Actor, cmd: Escalate, ticket: Ticket) -> Ticket:
        reason = cmd.reason.strip()
        if not reason:
            raise InvalidInput(f"Say why: /escalate {cmd.number} reason.")
        await self.move_up(work, ticket, actor, reason)
        work.tell(ToActor(actor, direct_only=True), views.now_with(ticket))
        return ticket

    async def move_up(self, work: Work, ticket: Ticket, actor: Actor | None, reason: str) -> str:
        """Pass the ticket to the next tier of its chain (an agent's escalation, or the
        desk's own at a resolution breach when the policy says so)."""
        old_tier = ticket.tier
        new_tier = ticket.escalate(work.now, self.sla)
        action = f"escalated {old_tier} → {new_tier}"
        await self.changed(work, ticket, actor, action, reason, tiers=(old_tier, new_tier))
        by = actor.person.display_name if actor else ""
        work.tell(ToThread(ticket), views.escalated_for_agents(old_tier, by, reason))
        label = self.settings.tier(new_tier).label
        work.tell(ToRequester(ticket), views.escalated_for_requester(ticket, label))
        return new_tier

    async def resolve(self, work: Work, actor: Actor, cmd: Resolve, ticket: Ticket) -> Ticket:
        note = cmd.note.strip()
        if not note:
            raise InvalidInput(f"Say what fixed it: /resolve {cmd.number} note.")
        ticket.resolve(note, work.now, by=actor.id)
        await self.changed(work, ticket, actor, "resolved", note)
        work.tell(
            ToRequester(ticket), views.resolved_for_requester(ticket, actor.person.display_name)
        )
        work.tell(ToActor(actor, direct_only=True), views.you_resolved(ticket))
        return ticket

    async def wait_on_requester(
        self, work: Work, actor: Actor, cmd: WaitOnRequester, ticket: Ticket
    ) -> Ticket:
        """Ask the requester for what the agent needs and pause until they answer: the
        question is kept as a public comment, so /show has it too."""
        need = cmd.need.strip()
        if not need:
            raise InvalidInput(f"Say what you need: /waiting {cmd.number} what you need.")
        ticket.wait_on_requester(work.now, self.sla)
        await work.comment(cmd.number, actor, CommentKind.PUBLIC, need)
        await self.changed(work, ticket, actor, "set waiting on requester")
        name = actor.person.display_name
        work.tell(ToRequester(ticket), views.needs_your_answer(ticket, need, name))
        work.tell(ToActor(actor, direct_only=True), views.now_waiting(ticket))
        return ticket

    async def change_priority(
        self, work: Work, actor: Actor, cmd: ChangePriority, ticket: Ticket
    ) -> Ticket:
        wanted = priority_named(self.settings, cmd.priority)
        old = ticket.priority
        ticket.change_priority(wanted, work.now, self.sla)
        await self.changed(work, ticket, actor, "changed priority", f"{old} → {wanted}")
        work.tell(ToRequester(ticket), views.priority_changed(self.settings, ticket, old))
        work.tell(ToActor(actor, direct_only=True), views.now_priority(ticket))
        return ticket

    async def offer_priorities(
        self, work: Work, actor: Actor, cmd: OfferPriorities, ticket: Ticket
    ) -> None:
        work.tell(ToActor(actor), views.priority_choices(self.settings, ticket))

    async def reassign(self, work: Work, actor: Actor, cmd: Reassign, ticket: Ticket) -> Ticket:
        target = await self._agent_named(work, self.settings.tier(ticket.tier), cmd.who)
        assert target.id is not None
        ticket.assign(target.id, work.now)
        await self.changed(work, ticket, actor, "reassigned", f"to {target.display_name}")
        by = actor.person.display_name
        work.tell(ToThread(ticket), views.reassigned(ticket, by, target.display_name))
        work.tell(ToPerson(target.id, ticket.number), views.assigned_to_you(ticket, by))
        work.tell(ToActor(actor, direct_only=True), views.you_reassigned(ticket))
        return ticket

    async def _agent_named(self, work: Work, tier: Tier, who: str) -> Person:
        wanted = who.strip().lstrip("@").lower()
        if not wanted:
            raise InvalidInput("Say who: /reassign N name.")
        for identity in tier.agents:
            person = await work.uow.people.by_identity(identity)
            names = {identity.external_id.lower(), str(identity).lower()}
            if person is not None:
                names.add(person.display_name.lower())
            if wanted in names:
                if person is None:
                    person = await work.uow.people.add(Person(identity.external_id), identity)
                return person
        raise NotFound(f'"{who}" is not an agent of {tier.name}.')

    # -- shared ----------------------------------------------------------------------------

    async def changed(
        self,
        work: Work,
        ticket: Ticket,
        actor: Actor | None,
        action: str,
        detail: str = "",
        *,
        tiers: tuple[str, ...] = (),
    ) -> None:
        """Save a changed ticket, append its history line and refresh its cards (every
        service that moves a ticket, incidents too)."""
        await work.uow.tickets.save(ticket)
        work.record(ticket, actor, action, detail)
        work.refresh_cards(ticket, *tiers)


def _with_files(text: str, files: tuple[str, ...]) -> str:
    text = text.strip()
    if files:
        text = (text + "\n" if text else "") + "Attached: " + ", ".join(files)
    return text


def priority_named(settings: Settings, name: str) -> str:
    """The configured priority level ``name`` names, whatever its case (``s2`` → ``S2``)."""
    levels = settings.priority.levels
    found = next((lv.name for lv in levels if lv.name.upper() == name.upper()), None)
    if found is None:
        known = ", ".join(lv.name for lv in levels)
        raise InvalidInput(f'"{name}" is not a priority; use one of {known}.')
    return found
