"""The desk: turns inbound events from any adapter into commands, checks who may run them,
and hands what the services say to the outbox.

Each event is handled in one unit of work that first records the event id, so a platform
retry or a redelivered update is recognised and does nothing the second time. The path of
an event: parse it into a typed command (:mod:`bot.services.commands`) or an intake turn,
check access (:mod:`bot.services.access`), run the one service handler of that command,
queue its notices (:class:`~bot.services.outbox.Postman`), commit. Refusals
(:class:`~bot.errors.DeskError`) roll the work back and answer the user politely instead.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from bot import views
from bot.clock import Clock
from bot.domain import ACTIVE_STATUSES, ChatAddress, Conversation, Identity, Person, Status, Ticket
from bot.durations import parse_duration
from bot.errors import Conflict, DeskError, InvalidInput
from bot.events import (
    ActionPressed,
    ChatRef,
    CommandInvoked,
    InboundEvent,
    MessageReceived,
    UserRef,
)
from bot.knowledge import KnowledgeIndex
from bot.knowledge.likeness import Likeness
from bot.messages import Action
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services import commands as c
from bot.services.access import Rules
from bot.services.incidents import IncidentService
from bot.services.intake import Intake, Press, Step, Turn
from bot.services.knowledge import KnowledgeService
from bot.services.notices import Actor, Notice, ToActor, ToChat, Work
from bot.services.oncall import OnCallService
from bot.services.outbox import CardHints, Postman, ticket_of_key
from bot.services.people import PeopleService
from bot.services.reports import ReportService
from bot.services.sla import SlaService
from bot.services.tickets import TicketService
from bot.settings import Settings
from bot.views.commands import AGENT_HELP, NAMES, REQUESTER_HELP

log = logging.getLogger(__name__)

PROMPT = "prompt:"  # conversation state prefix for an agent asked to type a reason or reply
INTERNAL_PREFIX = "//"
MAX_INBOUND = 100_000  # characters kept from one message; more is cut with a marker
HINTS_KEPT = 1_000  # cards whose hints are remembered (see Desk._hints)
CARD_ANSWERS = 3  # articles a card offers to send the requester; similar tickets it shows
LARGE_INDEX = 2_000  # articles from which a search (~1 ms and up) leaves the event loop
CLOSE_BATCH = 200  # resolved tickets closed per transaction when unanswered
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Handler = Callable[..., Awaitable[Any]]  # a service's handler of one command type
Parser = Callable[[str], "c.Command"]  # a chat command's arguments → its typed command
Dialog = Callable[[Work, Actor, str, Conversation | None], Awaitable[None]]


def clean_text(text: str) -> str:
    """Drop control characters (PostgreSQL refuses NUL) and cap absurd lengths."""
    text = _CONTROL.sub("", text)
    if len(text) > MAX_INBOUND:
        text = text[:MAX_INBOUND] + "\n[… message cut at 100 000 characters]"
    return text


@dataclass(frozen=True, slots=True)
class Handled:
    """What came of an event: false for a duplicate. ``refusal``: the desk's answer to a
    press it refused, for the adapter to show the presser itself (``ActionPressed.toast``)."""

    new: bool
    refusal: str = ""

    def __bool__(self) -> bool:
        return self.new


class Desk:
    """The platform-neutral entry point every adapter talks to."""

    def __init__(
        self,
        settings: Settings,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        knowledge: KnowledgeIndex,
        likeness: Likeness | None = None,
    ) -> None:
        """``likeness``: the text engine for incident detection, which keeps a memory of
        what it saw (one per process: the desk makes its own unless given one)."""
        self.settings = settings
        self.uow_factory = uow_factory
        self.clock = clock
        self.rules = Rules(settings)
        self.tickets = TicketService(settings, self.rules)
        self.knowledge = KnowledgeService(knowledge, self.rules, uow_factory, self.tickets)
        self.intake = Intake(settings, lambda: self.knowledge.index)
        self.oncall = OnCallService(settings)
        self.reports = ReportService(settings)
        self.sla = SlaService(settings, uow_factory, clock, self.tickets, self.oncall, self.reports)
        self.incidents = IncidentService(
            settings,
            self.rules,
            self.tickets,
            self.oncall,
            likeness if likeness is not None else Likeness(window=settings.incidents.window),
        )
        self._hints_of: tuple[tuple[object, ...], dict[str, CardHints]] = ((), {})
        t, k, i = self.tickets, self.knowledge, self.incidents
        self._handlers: dict[type[c.Command], Handler] = {
            c.OpenTicket: i.open_ticket,
            c.SelfSolved: k.self_solved,
            c.RequesterReply: t.requester_reply,
            c.Close: t.close,
            c.Withdraw: t.withdraw,
            c.Reopen: t.reopen,
            c.Rate: t.rate,
            c.MyTickets: t.my_tickets,
            c.ShowTicket: t.show,
            c.Queue: t.queue,
            c.Claim: t.claim,
            c.AgentReply: t.agent_reply,
            c.Escalate: t.escalate,
            c.Resolve: t.resolve,
            c.WaitOnRequester: t.wait_on_requester,
            c.ChangePriority: t.change_priority,
            c.OfferPriorities: t.offer_priorities,
            c.Reassign: t.reassign,
            c.Acknowledge: self.sla.acknowledge,
            c.AnswerWithArticle: k.answer,
            c.SaveArticle: k.save_article,
            c.EditArticle: k.edit_article,
            c.PublishArticle: k.publish_article,
            c.WhoIsOnCall: self.oncall.who_is_on_call,
            c.TakeOnCall: self.oncall.take_on_call,
            c.SetTimezone: PeopleService(settings).set_timezone,
            c.ShowReport: self.reports.show,
            c.ListIncidents: i.overview,
            c.NewIncident: i.new,
            c.DeclareIncident: i.declare,
            c.DismissIncident: i.dismiss,
            c.LinkTicket: i.link,
            c.UnlinkTicket: i.unlink,
            c.UpdateIncident: i.update,
            c.ResolveIncident: i.resolve,
            c.CommandIncident: i.command,
            c.JoinIncident: i.join,
        }
        # chat commands that are a typed command with arguments (the others are dialogs)
        self._parsers: dict[str, Parser] = {
            "mytickets": lambda _: c.MyTickets(),
            "show": lambda a: c.ShowTicket(_number(a, "show")),
            "close": lambda a: c.Close(_number(a, "close")),
            "reopen": lambda a: c.Reopen(
                *_number_and_rest(a, "reopen", "[reason]", rest_required=False)
            ),
            "rate": _parse_rate,
            "queue": lambda a: c.Queue(a or None),
            "claim": lambda a: c.Claim(_number(a, "claim")),
            "note": lambda a: c.AgentReply(*_number_and_rest(a, "note", "text"), internal=True),
            "escalate": lambda a: c.Escalate(*_number_and_rest(a, "escalate", "reason")),
            "resolve": lambda a: c.Resolve(*_number_and_rest(a, "resolve", "note")),
            "answer": lambda a: c.AnswerWithArticle(*_number_and_rest(a, "answer", "ARTICLE")),
            "waiting": lambda a: c.WaitOnRequester(
                *_number_and_rest(a, "waiting", "what you need")
            ),
            "priority": lambda a: c.ChangePriority(*_number_and_rest(a, "priority", "S1..S4")),
            "reassign": lambda a: c.Reassign(*_number_and_rest(a, "reassign", "who")),
            "kbsave": lambda a: c.SaveArticle(
                *_number_and_rest(a, "kbsave", "[title]", rest_required=False)
            ),
            "kbedit": _parse_kbedit,
            "kbpublish": _parse_kbpublish,
            "ack": lambda a: c.Acknowledge(_number(a, "ack")),
            "oncall": lambda a: c.WhoIsOnCall(a or None),
            "takeoncall": _parse_takeoncall,
            "timezone": c.SetTimezone,
            "report": _parse_report,
            "incident": _parse_incident,
        }
        # chat commands that steer a dialog rather than run one command
        self._dialogs: dict[str, Dialog] = {
            "help": self._help,
            "new": self._new,
            "cancel": self._cancel,
            "reply": self._reply,
        }

    @property
    def commands(self) -> tuple[str, ...]:
        """Every chat command name the desk understands (aliases included)."""
        return tuple(NAMES)

    def is_agent(self, identity: Identity) -> bool:
        return self.rules.is_agent(identity)

    # -- entry ---------------------------------------------------------------------------

    async def handle(self, event: InboundEvent) -> Handled:
        """Handle one event; false when it was a duplicate and nothing happened."""
        event = _cleaned(event)
        now = self.clock.now()
        async with self.uow_factory() as uow:
            if not await uow.inbound.first_time(event.user.platform, event.event_id, now):
                return Handled(False)
            work = Work(uow, now)
            try:
                actor, conversation = await self._arrival(uow, event)
                await self._dispatch(work, actor, conversation, event)
                await Postman(self.settings, uow, now, self._hints).deliver(work)
                await uow.commit()
            except DeskError as exc:
                await uow.rollback()
                return await self._refuse(uow, event, exc.message, now)
        for then in work.afterwards:
            await then()
        return Handled(True)

    async def _hints(self, text: str) -> CardHints:
        """What a ticket's card suggests (in a worker thread when the searches are heavy,
        as :meth:`_off_loop`). Remembered per opening text while both indexes stay as they
        are: a claim, a reply or an escalation redraws the same card."""
        indexes = (self.knowledge.index, self.knowledge.similar.index)
        if indexes != self._hints_of[0] or len(self._hints_of[1]) >= HINTS_KEPT:
            self._hints_of = (indexes, {})
        known = self._hints_of[1].get(text)
        if known is not None:
            return known
        if len(indexes[0]) + len(indexes[1]) < LARGE_INDEX:
            found = self._hints_now(text)
        else:
            found = await asyncio.to_thread(self._hints_now, text)
        if indexes == self._hints_of[0]:
            self._hints_of[1][text] = found
        return found

    def _hints_now(self, text: str) -> CardHints:
        """The articles to send a ticket's requester (the search's best, at half the bar a
        requester's suggestions must clear: an agent judges them), and resolved tickets like
        it."""
        index = self.knowledge.index
        bar = self.settings.knowledge.threshold
        bar = index.threshold if bar is None else bar
        found = index.search(text, limit=CARD_ANSWERS, threshold=bar / 2)
        similar = self.knowledge.similar.like(text, CARD_ANSWERS)
        return CardHints(tuple(s.article for s in found), tuple(similar))

    async def _refuse(
        self, uow: UnitOfWork, event: InboundEvent, refusal: str, now: datetime
    ) -> Handled:
        """Nothing of a refused event is kept but its id (a retry is still a duplicate) and,
        unless the adapter shows the refusal to the presser itself, the answer."""
        await uow.inbound.first_time(event.user.platform, event.event_id, now)
        if isinstance(event, ActionPressed) and event.toast:
            await uow.commit()
            return Handled(True, refusal)
        to = ToActor(_stranger(event.user, event.chat))
        await Postman(self.settings, uow, now).post([Notice(to, views.refusal(refusal))])
        await uow.commit()
        return Handled(True)

    async def expire_intakes(self) -> int:
        """Close dialogs idle past the configured time, telling each requester."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            stale = await uow.conversations.idle_since(now - self.settings.intake.timeout)
            work = Work(uow, now)
            for conversation in stale:
                await self._expire(work, conversation)
            await Postman(self.settings, uow, now).deliver(work)
            await uow.commit()
        return len(stale)

    async def prune(self) -> tuple[int, int]:
        """Forget sent messages and handled event ids older than ``storage.keep``, so the
        outbox and the dedupe table stay small on a desk that runs for years. Returns how
        many outbox rows and event ids went; once a day across replicas."""
        now = self.clock.now()
        before = now - self.settings.storage_keep
        async with self.uow_factory() as uow:
            if not await uow.inbound.first_time("prune", now.date().isoformat(), now):
                return 0, 0
            sent = await uow.outbox.prune(before)
            events = await uow.inbound.prune(before)
            await uow.commit()
        if sent or events:
            log.info("pruned %d sent messages and %d event ids older than %s", sent, events, before)
        return sent, events

    async def close_unanswered(self) -> int:
        """Close resolved tickets whose requester left "Did this solve it?" unanswered for
        ``satisfaction.close_after``. Returns how many closed."""
        now = self.clock.now()
        closed = 0
        while True:
            async with self.uow_factory() as uow:
                cutoff = now - self.settings.satisfaction.close_after
                due = await uow.tickets.resolved_before(cutoff, CLOSE_BATCH)
                work = Work(uow, now)
                for ticket in due:
                    await self.tickets.close_unanswered(work, ticket)
                await Postman(self.settings, uow, now).deliver(work)
                await uow.commit()
            closed += len(due)
            if len(due) < CLOSE_BATCH:
                return closed

    async def tick(self) -> int:
        """The scheduler's periodic look: pings owed now (tickets' and incidents'), articles
        another process changed (one read of their version when none did), and the open
        incidents the intake offers to join. Returns the pings sent."""
        await self.knowledge.sync(self.clock.now())
        sent = await self.sla.tick()
        return sent + await self.incidents.tick(self.uow_factory, self.clock)

    async def meet(self, users: Iterable[UserRef]) -> None:
        """Record (or refresh) the display names of people an adapter came across without
        an event of theirs, e.g. mentioned in a message, so the desk never shows their id."""
        users = [u for u in users if u.display_name.strip()]
        if not users:
            return
        async with self.uow_factory() as uow:
            for user in users:
                person = await uow.people.by_identity(Identity(user.platform, user.user_id))
                await self._stored(uow, user, person)
            await uow.commit()

    # -- who is acting -------------------------------------------------------------------

    async def _arrival(
        self, uow: UnitOfWork, event: InboundEvent
    ) -> tuple[Actor, Conversation | None]:
        """The actor (stored once they need to be) and their dialog in this chat, in one
        read: a first message that only starts an intake writes no person yet."""
        user, chat = event.user, event.chat
        identity = Identity(user.platform, user.user_id)
        arrival = await uow.conversations.with_person(identity, chat.chat_id)
        person = arrival.person
        if person is not None and _renamed(person, user):
            person = await self._stored(uow, user, person)
        if person is None:
            person = Person(user.display_name.strip() or user.user_id, user.timezone)
        return Actor(person, identity, chat, arrival.has_open_tickets), arrival.conversation

    async def _stored(self, uow: UnitOfWork, user: UserRef, person: Person | None) -> Person:
        """The person behind a platform account, stored: added when first needed, renamed
        when their platform name or zone changed."""
        identity = Identity(user.platform, user.user_id)
        name = user.display_name.strip() or user.user_id
        if person is None or person.id is None:
            try:
                return await uow.people.add(Person(name, user.timezone), identity)
            except Conflict:  # the same user's other event created them a moment ago
                found = await uow.people.by_identity(identity)
                assert found is not None
                return found
        if _renamed(person, user):
            person.display_name = name
            person.timezone = user.timezone or person.timezone
            await uow.people.save(person)
        return person

    async def _identified(self, uow: UnitOfWork, actor: Actor) -> Actor:
        """The actor with a stored person (commands record who did what)."""
        if actor.person.id is not None:
            return actor
        user = UserRef(
            actor.identity.platform,
            actor.identity.external_id,
            actor.person.display_name,
            actor.person.timezone,
        )
        return replace(actor, person=await self._stored(uow, user, None))

    # -- commands ------------------------------------------------------------------------

    async def run(
        self, work: Work, actor: Actor, command: c.Command, ticket: Ticket | None = None
    ) -> Any:
        """Check ``actor`` may run ``command`` and hand it to its service."""
        actor = await self._identified(work.uow, actor)
        handler = self._handlers[type(command)]
        if not isinstance(command, c.TicketCommand):
            return await handler(work, actor, command)
        if ticket is None or ticket.number != command.number:
            ticket = await work.uow.tickets.get(command.number)
        ticket = self.rules.check(actor, command.access, command.number, ticket)
        return await handler(work, actor, command, ticket)

    async def _dispatch(
        self,
        work: Work,
        actor: Actor,
        conversation: Conversation | None,
        event: InboundEvent,
    ) -> None:
        if isinstance(event, CommandInvoked):
            name = NAMES.get(event.name.lower())
            if name is None:
                raise InvalidInput(f"I don't know /{event.name}. Try /help.")
            args = event.args.strip()
            if name in self._dialogs:
                await self._dialogs[name](work, actor, args, conversation)
            else:
                await self.run(work, actor, self._parsers[name](args))
        elif isinstance(event, ActionPressed):
            await self._on_action(work, actor, conversation, event)
        else:
            await self._on_message(work, actor, conversation, event)

    async def _on_message(
        self,
        work: Work,
        actor: Actor,
        conversation: Conversation | None,
        event: MessageReceived,
    ) -> None:
        text = event.text
        conversation = await self._current(work, conversation)
        if conversation is not None:
            if conversation.state.startswith(PROMPT):
                await self._answer_prompt(work, actor, conversation, text, event.files)
            else:
                await self._intake_turn(work, actor, conversation, text)
            return
        if event.reply_to:
            key = await work.uow.outbox.key_of(
                event.chat.platform, event.chat.chat_id, event.reply_to
            )
            number = ticket_of_key(key) if key else None
            if number is not None:
                await self._relay(work, actor, number, text, event.files)
                return
        if not event.chat.direct:
            return  # ordinary talk in a channel is not for the desk
        if not text.strip() and event.files:
            text = "Attached: " + ", ".join(event.files)
        open_tickets = []
        if actor.person.id is not None and actor.has_open_tickets:
            open_tickets = await work.uow.tickets.list(
                statuses=tuple(ACTIVE_STATUSES), requester_id=actor.person.id, limit=3
            )
        if len(open_tickets) == 1 and self._following_up(actor, open_tickets[0], work):
            ticket = open_tickets[0]
            assert ticket.number is not None
            await self.run(work, actor, c.RequesterReply(ticket.number, text, event.files))
            return
        await self._start_intake(work, actor, text, open_tickets)

    def _following_up(self, actor: Actor, ticket: Ticket, work: Work) -> bool:
        """A message about the requester's only open ticket, not a new problem: an agent is
        talking with them about it, or they opened it here within the intake's idle time
        (the desk just told them to write here to add information)."""
        if ticket.status in _IN_CONVERSATION:
            return True
        here = ticket.requester_chat == ChatAddress(actor.chat.platform, actor.chat.chat_id)
        return here and work.now - ticket.created_at < self.settings.intake.timeout

    async def _relay(
        self,
        work: Work,
        actor: Actor,
        number: int,
        text: str,
        files: tuple[str, ...] = (),
        *,
        requester_anywhere: bool = False,
        confirm: bool = False,
    ) -> None:
        """A reply on ticket ``number``, however it arrived (thread, prompt, form, /reply):
        its requester's goes to the agents; anyone else's to the requester, or stays with the
        agents when it starts with ``//``. A requester writing in a channel counts as one
        only with ``requester_anywhere``. ``confirm``: tell an agent what it became."""
        ticket = await work.uow.tickets.get(number)
        if ticket is not None and ticket.requester_id == actor.person.id:
            if actor.chat.direct or requester_anywhere:
                await self.run(work, actor, c.RequesterReply(number, text, files), ticket)
                return
        internal = text.lstrip().startswith(INTERNAL_PREFIX)
        if internal:
            text = text.lstrip()[len(INTERNAL_PREFIX) :]
        await self.run(work, actor, c.AgentReply(number, text, internal, files), ticket)
        if confirm:
            work.tell(ToActor(actor, direct_only=True), views.reply_became(number, internal))

    async def _on_action(
        self,
        work: Work,
        actor: Actor,
        conversation: Conversation | None,
        event: ActionPressed,
    ) -> None:
        action, number, value = event.action, event.ticket, event.value
        conversation = await self._current(work, conversation)
        if action is Action.JOIN:
            await self._join_incident(work, actor, conversation, number)
            return
        intake_actions = {Action.CHOOSE, Action.SOLVED, Action.NEED_HELP}
        if conversation is not None and not conversation.state.startswith(PROMPT):
            routing_reply = conversation.state == Step.ROUTE and action is Action.REPLY
            if action in intake_actions or routing_reply:
                await self._intake_turn(work, actor, conversation, Press(action, value, number))
                return
        if action in intake_actions:
            raise InvalidInput("That question is no longer open. Write to me to start again.")
        if number is None:
            raise InvalidInput("That button is missing its ticket.")
        command = _pressed(action, number, value)
        if command is not None:
            await self.run(work, actor, command)
        elif action is Action.REPLY and value:
            await self._relay(work, actor, number, value, requester_anywhere=True, confirm=True)
        elif value:
            await self.run(work, actor, self._with_text(action, number, value))
        else:
            await self._prompt(work, actor, action, number)

    async def _join_incident(
        self, work: Work, actor: Actor, conversation: Conversation | None, incident: int | None
    ) -> None:
        """*Add me to incident #I* during an intake: the intake ends, its description
        becomes a ticket linked to the incident."""
        if incident is None or conversation is None or conversation.state.startswith(PROMPT):
            raise InvalidInput("That question is no longer open. Write to me to start again.")
        description = str(conversation.data.get("description", ""))
        await work.uow.conversations.delete(conversation)
        await self.run(work, actor, c.JoinIncident(incident, description))

    def _with_text(self, action: Action, number: int, text: str) -> c.Command:
        """The command of a button that needs text, once the text is there: read as if
        typed as its chat command (``/escalate N reason``)."""
        return self._parsers[_PROMPTED[action]](f"{number} {text}")

    async def _off_loop(self, turn: Callable[..., Turn], *args: Any) -> Turn:
        """An intake turn (pure: it reads the settings and one version of the index) in a
        worker thread when its knowledge search is heavy, so other events go on meanwhile;
        on a small knowledge base a thread hand-off would cost more than the search."""
        if len(self.knowledge.index) < LARGE_INDEX:
            return turn(*args)
        return await asyncio.to_thread(turn, *args)

    # -- dialogs -------------------------------------------------------------------------

    async def _current(self, work: Work, conversation: Conversation | None) -> Conversation | None:
        """The dialog, unless it sat idle past the intake timeout (then it is closed)."""
        if conversation is None:
            return None
        updated = conversation.updated_at
        if updated is not None and updated < work.now - self.settings.intake.timeout:
            await self._expire(work, conversation)
            return None
        return conversation

    async def _expire(self, work: Work, conversation: Conversation) -> None:
        await work.uow.conversations.delete(conversation)
        if conversation.state.startswith(PROMPT):
            message = views.prompt_expired(conversation.data.get("ticket"))
        else:
            left = self.intake.abandon(conversation.state, conversation.data)
            await self.knowledge.record(work, left.outcome, left.unanswered)
            message = views.intake_expired(int(self.settings.intake.timeout.total_seconds() // 60))
        work.tell(ToChat(ChatRef(conversation.platform, conversation.chat_id)), message)

    async def _start_intake(
        self, work: Work, actor: Actor, text: str, open_tickets: list[Ticket]
    ) -> None:
        turn = await self._off_loop(self.intake.begin, text, open_tickets)
        known = self.incidents.matching(text) if turn.step is not None else None
        if known is not None:  # before the intake goes on: maybe it is that outage
            work.tell(ToChat(actor.chat, actor.person), views.join_offer(known.id, known.title))
        conversation = Conversation(
            actor.chat.platform,
            actor.chat.chat_id,
            actor.identity.external_id,
            actor.person.id,
            state="",
            data={},
        )
        await self._apply(work, actor, conversation, turn)

    async def _intake_turn(
        self, work: Work, actor: Actor, conversation: Conversation, said: str | Press
    ) -> None:
        try:
            step = Step(conversation.state)
        except ValueError:
            await work.uow.conversations.delete(conversation)
            raise InvalidInput("I lost track of that conversation; please start again.") from None
        turn = await self._off_loop(
            self.intake.advance, step, conversation.data, said, work.now.date()
        )
        await self._apply(work, actor, conversation, turn)

    async def _apply(
        self, work: Work, actor: Actor, conversation: Conversation, turn: Turn
    ) -> None:
        await self.knowledge.record(work, turn.outcome, turn.unanswered)
        for message in turn.messages:
            work.tell(ToChat(actor.chat, actor.person), message)
        if turn.step is None:
            if conversation.state:
                await work.uow.conversations.delete(conversation)
        else:
            conversation.state = turn.step.value
            conversation.data = turn.data
            conversation.updated_at = work.now
            await work.uow.conversations.save(conversation)
        if turn.draft is not None:
            await self.run(work, actor, c.OpenTicket(turn.draft))
        elif turn.solved_by:
            query = str(conversation.data.get("description", ""))
            await self.run(work, actor, c.SelfSolved(turn.solved_by, query))
        elif turn.add_to is not None:
            await self.run(work, actor, c.RequesterReply(turn.add_to, turn.added))

    async def _prompt(self, work: Work, actor: Actor, action: Action, number: int) -> None:
        """Someone pressed a button that needs text (an agent's reason or reply, a
        requester's "No, reopen"): ask for it and wait in this chat."""
        actor = await self._identified(work.uow, actor)
        access = c.Access.REQUESTER if action is Action.REOPEN else c.Access.AGENT
        ticket = self.rules.check(actor, access, number, await work.uow.tickets.get(number))
        conversation = Conversation(
            actor.chat.platform,
            actor.chat.chat_id,
            actor.identity.external_id,
            actor.id,
            state=PROMPT + action.value,
            data={"ticket": number},
            updated_at=work.now,
        )
        await work.uow.conversations.save(conversation)
        work.tell(ToActor(actor), views.prompt(action, ticket.ref))

    async def _answer_prompt(
        self,
        work: Work,
        actor: Actor,
        conversation: Conversation,
        text: str,
        files: tuple[str, ...],
    ) -> None:
        action = Action(conversation.state.removeprefix(PROMPT))
        number = int(str(conversation.data["ticket"]))
        await work.uow.conversations.delete(conversation)
        if action is Action.REPLY:
            await self._relay(work, actor, number, text, files)
        else:
            await self.run(work, actor, self._with_text(action, number, text))

    async def _help(
        self, work: Work, actor: Actor, args: str, conversation: Conversation | None
    ) -> None:
        work.tell(ToActor(actor), REQUESTER_HELP)
        if self.rules.is_agent(actor.identity):
            work.tell(ToActor(actor), AGENT_HELP)

    async def _new(
        self, work: Work, actor: Actor, args: str, conversation: Conversation | None
    ) -> None:
        conversation = await self._current(work, conversation)
        if conversation is not None:
            await work.uow.conversations.delete(conversation)
            if not conversation.state.startswith(PROMPT):
                left = self.intake.abandon(conversation.state, conversation.data)
                await self.knowledge.record(work, left.outcome, left.unanswered)
        await self._start_intake(work, actor, args, [])

    async def _cancel(
        self, work: Work, actor: Actor, args: str, conversation: Conversation | None
    ) -> None:
        conversation = await self._current(work, conversation)
        if conversation is not None:
            if conversation.state.startswith(PROMPT):
                await work.uow.conversations.delete(conversation)
                work.tell(ToActor(actor), views.prompt_cancelled())
            else:
                left = self.intake.abandon(conversation.state, conversation.data)
                await self._apply(work, actor, conversation, left)  # deletes it
            return
        if args:
            await self.run(work, actor, c.Withdraw(_number(args, "cancel")))
            return
        work.tell(ToActor(actor), views.nothing_to_cancel())

    async def _reply(
        self, work: Work, actor: Actor, args: str, conversation: Conversation | None
    ) -> None:
        number, text = _number_and_rest(args, "reply", "text")
        await self._relay(work, actor, number, text, requester_anywhere=True, confirm=True)


def _stranger(user: UserRef, chat: ChatRef) -> Actor:
    """The actor of a refused event, as the event named them (nothing was stored)."""
    return Actor(
        Person(user.display_name, user.timezone),
        Identity(user.platform, user.user_id),
        chat,
    )


def _renamed(person: Person, user: UserRef) -> bool:
    name = user.display_name.strip() or user.user_id
    return bool(
        (user.display_name and person.display_name != name)
        or (user.timezone and person.timezone != user.timezone)
    )


_IN_CONVERSATION = frozenset({Status.IN_PROGRESS, Status.WAITING})
_PROMPTED = {
    Action.ESCALATE: "escalate",
    Action.RESOLVE: "resolve",
    Action.WAITING: "waiting",
    Action.REOPEN: "reopen",
}


def _pressed(action: Action, number: int, value: str) -> c.Command | None:
    """The command a ticket button runs by itself (None: it needs text, or is a reply)."""
    if action is Action.CLAIM:
        return c.Claim(number)
    if action is Action.CLOSE:
        return c.Close(number)
    if action is Action.RATE:
        return _parse_rate(f"{number} {value}")
    if action is Action.SHOW:
        return c.ShowTicket(number)
    if action is Action.ACK:
        return c.Acknowledge(number)
    if action is Action.ANSWER:
        return c.AnswerWithArticle(number, value) if value else None
    if action is Action.PRIORITY:
        return c.ChangePriority(number, value) if value else c.OfferPriorities(number)
    if action is Action.DECLARE:
        return c.DeclareIncident(number)
    if action is Action.UNRELATED:
        return c.DismissIncident(number)
    if action is Action.COMMAND:
        return c.CommandIncident(number)
    return None


def _number(args: str, command: str) -> int:
    number, _ = _number_and_rest(args, command, "", rest_required=False)
    return number


def _number_and_rest(
    args: str, command: str, rest_name: str, *, rest_required: bool = True
) -> tuple[int, str]:
    head, _, rest = args.strip().partition(" ")
    usage = f"Usage: /{command} N" + (f" {rest_name}" if rest_name else "")
    head = head.lstrip("#")
    if not head.isdigit() or len(head) > 9:
        raise InvalidInput(usage)
    if rest_required and not rest.strip():
        raise InvalidInput(usage)
    return int(head), rest.strip()


def _parse_rate(args: str) -> c.Command:
    number, rest = _number_and_rest(args, "rate", "1-5")
    if not rest.strip().isdigit():
        raise InvalidInput("Usage: /rate N 1-5")
    return c.Rate(number, int(rest))


def _parse_kbedit(args: str) -> c.Command:
    article_id, _, rest = args.partition(" ")
    part, _, text = rest.strip().partition(" ")
    if not article_id or not part:
        raise InvalidInput("Usage: /kbedit ID title|problem|solution TEXT")
    return c.EditArticle(article_id, part.lower(), text)


def _parse_kbpublish(args: str) -> c.Command:
    if not args.strip():
        raise InvalidInput("Usage: /kbpublish ID")
    return c.PublishArticle(args.strip())


def _parse_takeoncall(args: str) -> c.Command:
    tier, _, duration = args.strip().partition(" ")
    if not tier or not duration.strip():
        raise InvalidInput("Usage: /takeoncall TIER DURATION, e.g. /takeoncall L2 4h")
    try:
        return c.TakeOnCall(tier, parse_duration(duration.strip()))
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc


def _parse_report(args: str) -> c.Command:
    try:
        span = parse_duration(args.strip() or "7d")
    except ValueError as exc:
        raise InvalidInput(f"Usage: /report [7d] ({exc})") from exc
    if not timedelta(hours=1) <= span <= timedelta(days=366):
        raise InvalidInput("Usage: /report [7d]: from 1h to 366d.")
    return c.ShowReport(span)


INCIDENT_USAGE = (
    "Usage: /incident list | new TITLE | link I N | unlink I N | update I TEXT | "
    "resolve I NOTE | command I | declare I [S1..S4]"
)


def _parse_incident(args: str) -> c.Command:
    """``/incident VERB …``: one chat command for every incident command."""
    verb, _, rest = args.strip().partition(" ")
    verb, rest = verb.lower(), rest.strip()
    if verb in ("", "list"):
        return c.ListIncidents()
    if verb == "new":
        if not rest:
            raise InvalidInput("Usage: /incident new TITLE")
        return c.NewIncident(rest)
    if verb in ("link", "unlink"):
        incident, rest = _incident_and_rest(rest, verb, "N")
        number, _ = _incident_and_rest(rest, verb, "N", required=False)  # read as I is
        kind = c.LinkTicket if verb == "link" else c.UnlinkTicket
        return kind(incident, number)
    if verb == "update":
        return c.UpdateIncident(*_incident_and_rest(rest, verb, "TEXT"))
    if verb == "resolve":
        return c.ResolveIncident(*_incident_and_rest(rest, verb, "NOTE"))
    if verb == "command":
        return c.CommandIncident(_incident_and_rest(rest, verb, "", required=False)[0])
    if verb == "declare":
        return c.DeclareIncident(*_incident_and_rest(rest, verb, "[S1..S4]", required=False))
    raise InvalidInput(INCIDENT_USAGE)


def _incident_and_rest(
    args: str, verb: str, rest_name: str, *, required: bool = True
) -> tuple[int, str]:
    """``I rest`` of ``/incident VERB I rest``, or its usage."""
    try:
        return _number_and_rest(args, "incident", "", rest_required=required)
    except InvalidInput:
        raise InvalidInput(f"Usage: /incident {verb} I {rest_name}".rstrip()) from None


def _cleaned(event: InboundEvent) -> InboundEvent:
    if isinstance(event, MessageReceived):
        return replace(event, text=clean_text(event.text))
    if isinstance(event, CommandInvoked):
        return replace(event, args=clean_text(event.args), name=event.name.lstrip("/"))
    return replace(event, value=clean_text(event.value))
