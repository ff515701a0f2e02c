"""The desk: takes inbound events from any adapter and runs the dialog or use case they ask for.

Each event is handled in one unit of work that first records the event id, so a platform
retry or a redelivered update is recognised and does nothing the second time. Refusals
(:class:`~bot.errors.DeskError`) roll the work back and answer the user politely instead.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
from bot.messages import Action, Button, Field, Message
from bot.ports import UnitOfWork, UnitOfWorkFactory
from bot.services.intake import Intake, Press, Step, Turn
from bot.services.outbox import Outbound, ticket_of_key
from bot.services.sla import SlaService
from bot.services.tickets import Actor, TicketService
from bot.settings import Settings
from bot.views import AGENT_HELP, PROMPTS, REQUESTER_HELP, draft_preview

log = logging.getLogger(__name__)

PROMPT = "prompt:"  # conversation state prefix for an agent asked to type a reason or reply
INTERNAL_PREFIX = "//"
MAX_INBOUND = 100_000  # characters kept from one message; more is cut with a marker
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Handler = Callable[[UnitOfWork, Actor, str], Awaitable[None]]


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
    ) -> None:
        self.settings = settings
        self.uow_factory = uow_factory
        self.clock = clock
        self.knowledge = knowledge
        self.tickets = TicketService(settings, clock, knowledge)
        self.intake = Intake(settings, knowledge)
        self.sla = SlaService(settings, uow_factory, clock, self.tickets)
        self._commands: dict[str, Handler] = {
            "start": self._cmd_help,
            "help": self._cmd_help,
            "new": self._cmd_new,
            "ticket": self._cmd_new,
            "cancel": self._cmd_cancel,
            "mytickets": self._cmd_mytickets,
            "tickets": self._cmd_mytickets,
            "show": self._cmd_show,
            "close": self._cmd_close,
            "reopen": self._cmd_reopen,
            "rate": self._cmd_rate,
            "reply": self._cmd_reply,
            "queue": self._cmd_queue,
            "claim": self._cmd_claim,
            "note": self._cmd_note,
            "escalate": self._cmd_escalate,
            "resolve": self._cmd_resolve,
            "waiting": self._cmd_waiting,
            "priority": self._cmd_priority,
            "reassign": self._cmd_reassign,
            "kbsave": self._cmd_kbsave,
            "kbedit": self._cmd_kbedit,
            "kbpublish": self._cmd_kbpublish,
            "timezone": self._cmd_timezone,
            "ack": self._cmd_ack,
            "oncall": self._cmd_oncall,
            "takeoncall": self._cmd_takeoncall,
        }

    @property
    def commands(self) -> tuple[str, ...]:
        return tuple(self._commands)

    # -- entry ---------------------------------------------------------------------------

    async def handle(self, event: InboundEvent) -> Handled:
        """Handle one event; false when it was a duplicate and nothing happened."""
        event = _cleaned(event)
        now = self.clock.now()
        async with self.uow_factory() as uow:
            if not await uow.inbound.first_time(event.user.platform, event.event_id, now):
                return Handled(False)
            try:
                actor = await self._actor(uow, event)
                await self._dispatch(uow, actor, event)
                await uow.commit()
                return Handled(True)
            except DeskError as exc:
                await uow.rollback()
                refusal = exc.message
            await uow.inbound.first_time(event.user.platform, event.event_id, now)
            if isinstance(event, ActionPressed) and event.toast:
                await uow.commit()
                return Handled(True, refusal)
            out = Outbound(self.settings, uow, now)
            await out.ephemeral(
                event.chat, event.user.user_id, Message(text=refusal), name=event.user.display_name
            )
            await uow.commit()
            return Handled(True)

    async def expire_intakes(self) -> int:
        """Close dialogs idle past the configured time, telling each requester."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            stale = await uow.conversations.idle_since(now - self.settings.intake.timeout)
            out = Outbound(self.settings, uow, now)
            for conversation in stale:
                await self._expire(uow, out, conversation)
            await uow.commit()
        return len(stale)

    async def prune(self) -> tuple[int, int]:
        """Forget sent messages and handled event ids older than ``storage.keep``, so the
        outbox and the dedupe table stay small on a desk that runs for years. Returns how
        many outbox rows and event ids went."""
        before = self.clock.now() - self.settings.storage_keep
        async with self.uow_factory() as uow:
            sent = await uow.outbox.prune(before)
            events = await uow.inbound.prune(before)
            await uow.commit()
        if sent or events:
            log.info("pruned %d sent messages and %d event ids older than %s", sent, events, before)
        return sent, events

    async def load_knowledge(self) -> int:
        """Add the database's articles (saved from tickets, imported) to the index."""
        async with self.uow_factory() as uow:
            articles = [a for a in await uow.knowledge.articles() if not a.draft]
        for article in articles:
            self.knowledge.add(article)
        return len(articles)

    # -- dispatch ------------------------------------------------------------------------

    async def meet(self, users: Iterable[UserRef]) -> None:
        """Record (or refresh) the display names of people an adapter came across without
        an event of theirs, e.g. mentioned in a message, so the desk never shows their id."""
        users = [u for u in users if u.display_name.strip()]
        if not users:
            return
        async with self.uow_factory() as uow:
            for user in users:
                await self._person(uow, user)
            await uow.commit()

    async def _actor(self, uow: UnitOfWork, event: InboundEvent) -> Actor:
        person = await self._person(uow, event.user)
        return Actor(person, Identity(event.user.platform, event.user.user_id), event.chat)

    async def _person(self, uow: UnitOfWork, user: UserRef) -> Person:
        """The person behind a platform account: added when first met, renamed when their
        platform name or zone changed."""
        identity = Identity(user.platform, user.user_id)
        person = await uow.people.by_identity(identity)
        name = user.display_name.strip() or user.user_id
        if person is None:
            try:
                person = await uow.people.add(Person(name, user.timezone), identity)
            except Conflict:  # the same user's other event created them a moment ago
                person = await uow.people.by_identity(identity)
                assert person is not None
        elif (user.display_name and person.display_name != name) or (
            user.timezone and person.timezone != user.timezone
        ):
            person.display_name = name
            person.timezone = user.timezone or person.timezone
            await uow.people.save(person)
        return person

    async def _dispatch(self, uow: UnitOfWork, actor: Actor, event: InboundEvent) -> None:
        if isinstance(event, CommandInvoked):
            handler = self._commands.get(event.name.lower())
            if handler is None:
                raise InvalidInput(f"I don't know /{event.name}. Try /help.")
            await handler(uow, actor, event.args.strip())
        elif isinstance(event, ActionPressed):
            await self._on_action(uow, actor, event)
        else:
            await self._on_message(uow, actor, event)

    async def _on_message(self, uow: UnitOfWork, actor: Actor, event: MessageReceived) -> None:
        text = event.text
        conversation = await self._conversation(uow, actor)
        if conversation is not None:
            if conversation.state.startswith(PROMPT):
                await self._answer_prompt(uow, actor, conversation, text, event.files)
            else:
                await self._intake_turn(uow, actor, conversation, text)
            return
        if event.reply_to:
            key = await uow.outbox.key_of(event.chat.platform, event.chat.chat_id, event.reply_to)
            number = ticket_of_key(key) if key else None
            if number is not None:
                await self._relay(uow, actor, number, text, event.files)
                return
        if not event.chat.direct:
            return  # ordinary talk in a channel is not for the desk
        if not text.strip() and event.files:
            text = "Attached: " + ", ".join(event.files)
        open_tickets = await uow.tickets.list(
            statuses=tuple(ACTIVE_STATUSES), requester_id=actor.id, limit=3
        )
        if len(open_tickets) == 1 and self._following_up(actor, open_tickets[0]):
            number = open_tickets[0].number
            assert number is not None
            await self.tickets.requester_reply(uow, actor, number, text, event.files)
            return
        await self._start_intake(uow, actor, text, open_tickets)

    def _following_up(self, actor: Actor, ticket: Ticket) -> bool:
        """A message about the requester's only open ticket, not a new problem: an agent is
        talking with them about it, or they opened it here within the intake's idle time
        (the desk just told them to write here to add information)."""
        if ticket.status in _IN_CONVERSATION:
            return True
        here = ticket.requester_chat == ChatAddress(actor.chat.platform, actor.chat.chat_id)
        return here and self.clock.now() - ticket.created_at < self.settings.intake.timeout

    async def _relay(
        self,
        uow: UnitOfWork,
        actor: Actor,
        number: int,
        text: str,
        files: tuple[str, ...] = (),
        *,
        requester_anywhere: bool = False,
    ) -> str:
        """A reply on ticket ``number``, however it arrived (thread, prompt, form, /reply):
        its requester's goes to the agents; anyone else's to the requester, or stays with the
        agents when it starts with ``//``. A requester writing in a channel counts as one
        only with ``requester_anywhere``. Returns what an agent is told it became."""
        ticket = await uow.tickets.get(number)
        if ticket is not None and ticket.requester_id == actor.id:
            if actor.chat.direct or requester_anywhere:
                await self.tickets.requester_reply(uow, actor, number, text, files)
                return ""
        internal = text.lstrip().startswith(INTERNAL_PREFIX)
        if internal:
            text = text.lstrip()[len(INTERNAL_PREFIX) :]
        await self.tickets.agent_reply(uow, actor, number, text, internal=internal, files=files)
        return (
            f"Internal note added to #{number}."
            if internal
            else f"Sent to the requester of #{number}."
        )

    async def _on_action(self, uow: UnitOfWork, actor: Actor, event: ActionPressed) -> None:
        action, number, value = event.action, event.ticket, event.value
        conversation = await self._conversation(uow, actor)
        intake_actions = {Action.CHOOSE, Action.SOLVED, Action.NEED_HELP}
        if conversation is not None and not conversation.state.startswith(PROMPT):
            routing_reply = conversation.state == Step.ROUTE and action is Action.REPLY
            if action in intake_actions or routing_reply:
                await self._intake_turn(uow, actor, conversation, Press(action, value, number))
                return
        if action in intake_actions:
            raise InvalidInput("That question is no longer open. Write to me to start again.")
        if number is None:
            raise InvalidInput("That button is missing its ticket.")
        arg = f"{number} {value}".strip()
        simple: dict[Action, Handler] = {
            Action.CLAIM: self._cmd_claim,
            Action.REOPEN: self._cmd_reopen,
            Action.CLOSE: self._cmd_close,
            Action.RATE: self._cmd_rate,
            Action.SHOW: self._cmd_show,
            Action.ACK: self._cmd_ack,
        }
        if action in simple:
            await simple[action](uow, actor, arg)
        elif action is Action.PRIORITY and not value:
            await self._offer_priorities(uow, actor, number)
        elif action is Action.PRIORITY:
            await self._cmd_priority(uow, actor, arg)
        elif value:
            await self._commands[_PROMPTED[action]](uow, actor, arg)
        else:
            await self._prompt(uow, actor, action, number)

    # -- intake --------------------------------------------------------------------------

    async def _conversation(self, uow: UnitOfWork, actor: Actor) -> Conversation | None:
        chat = actor.chat
        conversation = await uow.conversations.get(
            chat.platform, chat.chat_id, actor.identity.external_id
        )
        if conversation is None:
            return None
        updated = conversation.updated_at
        if updated is not None and updated < self.clock.now() - self.settings.intake.timeout:
            await self._expire(uow, Outbound(self.settings, uow, self.clock.now()), conversation)
            return None
        return conversation

    async def _expire(self, uow: UnitOfWork, out: Outbound, conversation: Conversation) -> None:
        await uow.conversations.delete(conversation)
        minutes = int(self.settings.intake.timeout.total_seconds() // 60)
        if conversation.state.startswith(PROMPT):
            text = f"I stopped waiting for your text on #{conversation.data.get('ticket')}."
        else:
            text = (
                f"I closed your unfinished request after {minutes} minutes without an answer. "
                "Nothing was filed; write to me again whenever you're ready."
            )
        chat = ChatRef(conversation.platform, conversation.chat_id)
        await out.to_chat(chat, Message(text=text))

    async def _start_intake(
        self, uow: UnitOfWork, actor: Actor, text: str, open_tickets: list[Ticket]
    ) -> None:
        turn = self.intake.begin(text, open_tickets)
        conversation = Conversation(
            actor.chat.platform,
            actor.chat.chat_id,
            actor.identity.external_id,
            actor.id,
            state="",
            data={},
        )
        await self._apply(uow, actor, conversation, turn)

    async def _intake_turn(
        self, uow: UnitOfWork, actor: Actor, conversation: Conversation, said: str | Press
    ) -> None:
        try:
            step = Step(conversation.state)
        except ValueError:
            await uow.conversations.delete(conversation)
            raise InvalidInput("I lost track of that conversation; please start again.") from None
        turn = self.intake.advance(step, conversation.data, said, self.clock.now().date())
        await self._apply(uow, actor, conversation, turn)

    async def _apply(
        self, uow: UnitOfWork, actor: Actor, conversation: Conversation, turn: Turn
    ) -> None:
        out = Outbound(self.settings, uow, self.clock.now())
        for message in turn.messages:
            await out.to_chat(actor.chat, message, reader=actor.person)
        if turn.step is None:
            if conversation.state:
                await uow.conversations.delete(conversation)
        else:
            conversation.state = turn.step.value
            conversation.data = turn.data
            conversation.updated_at = self.clock.now()
            await uow.conversations.save(conversation)
        if turn.draft is not None:
            await self.tickets.open(uow, actor, turn.draft)
        elif turn.solved_by:
            query = str(conversation.data.get("description", ""))
            await self.tickets.self_solved(uow, actor, turn.solved_by, query)
        elif turn.add_to is not None:
            await self.tickets.requester_reply(uow, actor, turn.add_to, turn.added)

    # -- agent prompts (reason / note / reply typed after pressing a button) --------------

    async def _prompt(self, uow: UnitOfWork, actor: Actor, action: Action, number: int) -> None:
        ticket = await self.tickets.ticket_for_agent(uow, actor, number)
        question = PROMPTS[action].question.format(ref=ticket.ref)
        conversation = Conversation(
            actor.chat.platform,
            actor.chat.chat_id,
            actor.identity.external_id,
            actor.id,
            state=PROMPT + action.value,
            data={"ticket": number},
            updated_at=self.clock.now(),
        )
        await uow.conversations.save(conversation)
        out = Outbound(self.settings, uow, self.clock.now())
        await out.ephemeral(
            actor.chat,
            actor.identity.external_id,
            Message(text=question + " Or /cancel.", expects_reply=True),
            actor.person,
        )

    async def _answer_prompt(
        self,
        uow: UnitOfWork,
        actor: Actor,
        conversation: Conversation,
        text: str,
        files: tuple[str, ...],
    ) -> None:
        action = Action(conversation.state.removeprefix(PROMPT))
        number = int(str(conversation.data["ticket"]))
        await uow.conversations.delete(conversation)
        if action is Action.REPLY:
            await self._relay(uow, actor, number, text, files)
        else:
            await self._commands[_PROMPTED[action]](uow, actor, f"{number} {text}")

    async def _offer_priorities(self, uow: UnitOfWork, actor: Actor, number: int) -> None:
        ticket = await self.tickets.ticket_for_agent(uow, actor, number)
        buttons = tuple(
            Button(f"{lv.name} {lv.label}", Action.PRIORITY, number, lv.name)
            for lv in self.settings.priority.levels
            if lv.name != ticket.priority
        )
        out = Outbound(self.settings, uow, self.clock.now())
        await out.ephemeral(
            actor.chat,
            actor.identity.external_id,
            Message(text=f"New priority for {ticket.ref}?", buttons=(buttons,)),
            actor.person,
        )

    # -- commands ------------------------------------------------------------------------

    async def _say(self, uow: UnitOfWork, actor: Actor, message: Message) -> None:
        await Outbound(self.settings, uow, self.clock.now()).ephemeral(
            actor.chat, actor.identity.external_id, message, actor.person
        )

    async def _confirm(self, uow: UnitOfWork, actor: Actor, text: str) -> None:
        """A short confirmation in a direct chat; in a channel the card update says enough."""
        if actor.chat.direct:
            await self._say(uow, actor, Message(text=text))

    async def _cmd_help(self, uow: UnitOfWork, actor: Actor, args: str) -> None:
        await self._say(uow, actor, REQUESTER_HELP)
        if self.tickets.is_agent(actor.identity):
            await self._say(uow, actor, AGENT_HELP)

    async def _cmd_new(self, uow: UnitOfWork, actor: Actor, args: str) -> None:
        conversation = await self._conversation(uow, actor)
        if conversation is not None:
            await uow.conversations.delete(conversation)
        await self._start_intake(uow, actor, args, [])

    async def _cmd_cancel(self, uow: UnitOfWork, actor: Actor, args: str) -> None:
        conversation = await self._conversation(uow, actor)
        if conversation is not None:
            if conversation.state.startswith(PROMPT):
                await uow.conversations.delete(conversation)
                await self._say(uow, actor, Message(text="Cancelled; nothing was sent."))
            else:
                await self._apply(uow, actor, conversation, self.intake.cancel())  # deletes it
            return
        if args:
            await self.tickets.cancel(uow, actor, _number(args, "cancel"))
            return
        await self._say(uow, actor, Message(text="There is nothing to cancel."))

    async def _cmd_mytickets(self, uow: UnitOfWork, actor: Actor, args: str) -> None:
        await self._say(uow, actor, await self.tickets.my_tickets(uow, actor))

    async def _cmd_show(self, uow: UnitOfWork, actor: Actor, args: str) -> None:
        await self._say(uow, actor, await self.tickets.show(uow, actor, _number(args, "show")))

    async def _cmd_close(self, uow: UnitOfWork, actor: Actor, args: str) -> None:
        await self.tickets.close(uow, actor, _number(args, "close"))

    async def _cmd_reopen(self, uow: UnitOfWork, actor: Actor, args: str) -> None:
        await self.tickets.reopen(uow, actor, _number(args, "reopen"))

    async def _cmd_rate(self, uow: UnitOfWork, actor: Actor, args: str) -> None:
        number, rest = _number_and_rest(args, "rate", "1-5")
        if not rest.strip().isdigit():
            raise InvalidInput("Usage: /rate N 1-5")
        await self.tickets.rate(uow, actor, number, int(rest))

    async def _cmd_reply(self, uow: UnitOfWork, actor: Actor, args: str) -> None:
        number, text = _number_and_rest(args, "reply", "text")
        became = await self._relay(uow, actor, number, text, requester_anywhere=True)
        if became:
            await self._confirm(uow, actor, became)

    async def _cmd_queue(self, uow: UnitOfWork, actor: Actor, args: str) -> None:
        await self._say(uow, actor, await self.tickets.queue(uow, actor, args or None))

    async def _cmd_claim(self, uow: UnitOfWork, actor: Actor, args: str) -> None:
        ticket = await self.tickets.claim(uow, actor, _number(args, "claim"))
        await self._confirm(uow, actor, f"You claimed {ticket.ref}.")

    async def _cmd_note(self, uow: UnitOfWork, actor: Actor, args: str) -> None:
        number, text = _number_and_rest(args, "note", "text")
        await self.tickets.agent_reply(uow, actor, number, text, internal=True)
        await self._confirm(uow, actor, f"Internal note added to #{number}.")

    async def _cmd_escalate(self, uow: UnitOfWork, actor: Actor, args: str) -> None:
        number, reason = _number_and_rest(args, "escalate", "reason")
        ticket = await self.tickets.escalate(uow, actor, number, reason)
        await self._confirm(uow, actor, f"{ticket.ref} is now with {ticket.tier}.")

    async def _cmd_resolve(self, uow: UnitOfWork, actor: Actor, args: str) -> None:
        number, note = _number_and_rest(args, "resolve", "note")
        ticket = await self.tickets.resolve(uow, actor, number, note)
        await self._confirm(uow, actor, f"{ticket.ref} is resolved; the requester was told.")

    async def _cmd_waiting(self, uow: UnitOfWork, actor: Actor, args: str) -> None:
        number, need = _number_and_rest(args, "waiting", "what you need")
        ticket = await self.tickets.wait_on_requester(uow, actor, number, need)
        await self._confirm(uow, actor, f"{ticket.ref} is waiting on the requester.")

    async def _cmd_priority(self, uow: UnitOfWork, actor: Actor, args: str) -> None:
        number, priority = _number_and_rest(args, "priority", "S1..S4")
        ticket = await self.tickets.change_priority(uow, actor, number, priority)
        await self._confirm(uow, actor, f"{ticket.ref} is now {ticket.priority}.")

    async def _cmd_reassign(self, uow: UnitOfWork, actor: Actor, args: str) -> None:
        number, who = _number_and_rest(args, "reassign", "who")
        await self.tickets.reassign(uow, actor, number, who)
        await self._confirm(uow, actor, f"#{number} reassigned.")

    async def _cmd_timezone(self, uow: UnitOfWork, actor: Actor, args: str) -> None:
        zone = args.strip()
        if not zone:
            current = actor.person.timezone or self.settings.timezone
            await self._say(
                uow,
                actor,
                Message(
                    text=f"Your time zone is {current}. Change it with /timezone Europe/Berlin."
                ),
            )
            return
        if not _valid_zone(zone):
            raise InvalidInput(f'"{zone}" is not a time zone; use a name like Europe/Berlin.')
        actor.person.timezone = zone
        await uow.people.save(actor.person)
        await self._say(uow, actor, Message(text=f"Times are now shown in {zone}."))

    async def _cmd_ack(self, uow: UnitOfWork, actor: Actor, args: str) -> None:
        ticket = await self.sla.acknowledge(uow, actor, _number(args, "ack"))
        await self._confirm(uow, actor, f"Acknowledged {ticket.ref}; reminders stop.")

    async def _cmd_oncall(self, uow: UnitOfWork, actor: Actor, args: str) -> None:
        message = await self.sla.who_is_on_call(uow, args.strip() or None, self.clock.now())
        await self._say(uow, actor, message)

    async def _cmd_takeoncall(self, uow: UnitOfWork, actor: Actor, args: str) -> None:
        tier, _, duration = args.strip().partition(" ")
        if not tier or not duration.strip():
            raise InvalidInput("Usage: /takeoncall TIER DURATION, e.g. /takeoncall L2 4h")
        try:
            span = parse_duration(duration.strip())
        except ValueError as exc:
            raise InvalidInput(str(exc)) from exc
        override = await self.sla.take_on_call(uow, actor, tier, span)
        if actor.chat.direct:
            message = Message(
                text=f"You are on call for {override.tier}.",
                fields=(Field("Until", override.ends_at),),
            )
            await self._say(uow, actor, message)

    async def _cmd_kbsave(self, uow: UnitOfWork, actor: Actor, args: str) -> None:
        number, title = _number_and_rest(args, "kbsave", "[title]", rest_required=False)
        article = await self.tickets.save_article(uow, actor, number, title)
        await self._say(uow, actor, draft_preview(article))

    async def _cmd_kbedit(self, uow: UnitOfWork, actor: Actor, args: str) -> None:
        article_id, _, rest = args.partition(" ")
        part, _, text = rest.strip().partition(" ")
        if not article_id or not part:
            raise InvalidInput("Usage: /kbedit ID title|problem|solution TEXT")
        article = await self.tickets.edit_article(uow, actor, article_id, part.lower(), text)
        await self._say(uow, actor, draft_preview(article))

    async def _cmd_kbpublish(self, uow: UnitOfWork, actor: Actor, args: str) -> None:
        if not args.strip():
            raise InvalidInput("Usage: /kbpublish ID")
        article = await self.tickets.publish_article(uow, actor, args.strip())
        await self._say(
            uow,
            actor,
            Message(
                text=f"Published “{article.title}” ({article.id}); "
                "future requesters will be offered it."
            ),
        )


def _valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


_IN_CONVERSATION = frozenset({Status.IN_PROGRESS, Status.WAITING})
_PROMPTED = {action: action.name.lower() for action in PROMPTS}  # the command that acts


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


def _cleaned(event: InboundEvent) -> InboundEvent:
    if isinstance(event, MessageReceived):
        return replace(event, text=clean_text(event.text))
    if isinstance(event, CommandInvoked):
        return replace(event, args=clean_text(event.args), name=event.name.lstrip("/"))
    return replace(event, value=clean_text(event.value))
