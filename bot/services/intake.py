"""The requester's intake dialog as a state machine.

describe → knowledge-base suggestions → who is affected → can you work → urgency →
category → product version (where the category asks) → details → confirm.

Pure: a turn takes the stored state and one input and returns the next state, what to
say, and an outcome (a draft ticket, a self-service resolution, a relay, a cancel). The
desk stores the state between turns, so a restart resumes mid-conversation.

A turn also says what the knowledge base should count: leaving the suggestions, what became
of the articles offered (:class:`~bot.domain.SuggestionOutcome`); ending an intake whose
question found no article, that question. Both are known only at a later turn than the first
message, so the first message of a requester writes nothing more than it did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum

from bot.domain import Draft, SuggestionOutcome, Ticket
from bot.domain.choices import Choice, match_choice, mentioned
from bot.domain.lifecycle import support_status
from bot.knowledge import Article, KnowledgeIndex
from bot.messages import Action, Message
from bot.settings import Settings
from bot.views import intake as ask
from bot.views import summary_of
from bot.views.intake import NEW, SKIP, SUBMIT, UNKNOWN


class Step(StrEnum):
    ROUTE = "route"  # the requester has open tickets: is this about one of them?
    DESCRIBE = "describe"
    SUGGEST = "suggest"
    IMPACT = "impact"
    CAN_WORK = "can_work"
    URGENCY = "urgency"
    CATEGORY = "category"
    VERSION = "version"
    DETAILS = "details"
    CONFIRM = "confirm"


@dataclass(frozen=True, slots=True)
class Press:
    """A button pressed during intake."""

    action: Action
    value: str = ""
    ticket: int | None = None


@dataclass(frozen=True, slots=True)
class Turn:
    """The result of one input: the next state (None when over), replies and an outcome."""

    step: Step | None
    data: dict[str, object]
    messages: tuple[Message, ...] = ()
    draft: Draft | None = None
    solved_by: str = ""
    add_to: int | None = None  # the requester's text (``added``) goes to this ticket
    added: str = ""
    cancelled: bool = False
    outcome: SuggestionOutcome | None = None  # the articles offered, left behind this turn
    unanswered: str = ""  # the question of an intake that ends with no article offered


_YES = {"yes", "y", "ok", "okay", "submit", "send", "sure", "yep", "correct", "go", "confirm"}
_NO = {"no", "n", "nope", "cancel", "stop", "abort"}
_SOLVED = {"solved", "that solved it", "it worked", "worked", "thanks", "thank you", "fixed"}
_STILL = {
    "no",
    "still need help",
    "need help",
    "not solved",
    "didn't help",
    "did not help",
    "none",
    "nope",
    "ticket",
    "help",
}


class Intake:
    """Runs intake turns against the configured questions and the knowledge base; what it
    says comes from :mod:`bot.views.intake`."""

    def __init__(self, settings: Settings, index: Callable[[], KnowledgeIndex]) -> None:
        self.settings = settings
        self._index = index  # the search index as it is now (a new version after changes)

    @property
    def knowledge(self) -> KnowledgeIndex:
        return self._index()

    # -- entry ---------------------------------------------------------------------------

    def begin(self, text: str, open_tickets: list[Ticket]) -> Turn:
        """A requester with no dialog running wrote ``text`` (may be empty: /new)."""
        if text.strip() and open_tickets:
            offer = [[t.number, ask.route_label(t.number, t.summary)] for t in open_tickets[:3]]
            data: dict[str, object] = {"pending": text, "offer": offer}
            return Turn(Step.ROUTE, data, (self._question(Step.ROUTE, data),))
        if not text.strip():
            return Turn(Step.DESCRIBE, {}, (ask.ask_describe(),))
        return self._describe(text, {})

    def cancel(self) -> Turn:
        return Turn(None, {}, (ask.cancelled(),), cancelled=True)

    # -- turns ---------------------------------------------------------------------------

    def advance(self, step: Step, data: dict[str, object], said: str | Press, today: date) -> Turn:
        return self._counted(step, data, self._advance(step, dict(data), said, today))

    def abandon(self, step: Step | str, data: dict[str, object]) -> Turn:
        """The intake at ``step`` ends unanswered (/cancel, timed out, replaced by /new):
        the cancel turn, with what the knowledge base counts of it."""
        return self._counted(step, data, self.cancel())

    def _counted(self, step: Step | str, data: dict[str, object], turn: Turn) -> Turn:
        """``turn`` with what the knowledge base should count of it."""
        shown = tuple(str(x) for x in _list(data.get("suggestions")))
        if step == Step.SUGGEST and turn.step is not Step.SUGGEST and shown:
            rejected = not turn.solved_by and not turn.cancelled
            return replace(turn, outcome=SuggestionOutcome(shown, turn.solved_by, rejected))
        if turn.step is None and not shown and not turn.solved_by:
            return replace(turn, unanswered=str(data.get("description", "")))
        return turn

    def _advance(self, step: Step, data: dict[str, object], said: str | Press, today: date) -> Turn:
        if isinstance(said, Press) and said.action is Action.CHOOSE and said.value == "cancel":
            return self.cancel()
        if isinstance(said, str) and step is not Step.DESCRIBE and step is not Step.DETAILS:
            if said.strip().lower() in {"cancel", "stop", "abort", "quit"}:
                return self.cancel()
        handler = {
            Step.ROUTE: self._on_route,
            Step.DESCRIBE: self._on_describe,
            Step.SUGGEST: self._on_suggest,
            Step.IMPACT: self._on_choice,
            Step.CAN_WORK: self._on_choice,
            Step.URGENCY: self._on_choice,
            Step.CATEGORY: self._on_choice,
            Step.VERSION: self._on_version,
            Step.DETAILS: self._on_details,
            Step.CONFIRM: self._on_confirm,
        }[step]
        return handler(step, data, said, today)

    def _on_route(
        self, step: Step, data: dict[str, object], said: str | Press, today: date
    ) -> Turn:
        pending = str(data.get("pending", ""))
        if isinstance(said, Press):
            if said.action is Action.REPLY and said.ticket is not None:
                return Turn(None, {}, (), add_to=said.ticket, added=pending)
            if said.value == NEW:
                return self._describe(pending, {})
        text = said if isinstance(said, str) else ""
        if text.strip().lower() in {"new", "new problem", "something new", "it's new"}:
            return self._describe(pending, {})
        return Turn(step, data, (ask.pick_a_ticket(), self._question(step, data)))

    def _on_describe(
        self, step: Step, data: dict[str, object], said: str | Press, today: date
    ) -> Turn:
        if isinstance(said, Press) or not said.strip():
            return Turn(step, data, (ask.ask_describe(),))
        return self._describe(said, data)

    def _describe(self, text: str, data: dict[str, object]) -> Turn:
        if not any(ch.isalnum() for ch in text):
            return Turn(Step.DESCRIBE, data, (ask.unreadable(),))
        data = {**data, "description": text.strip()}
        found = self.knowledge.search(
            text, limit=self.settings.knowledge.limit, threshold=self.settings.knowledge.threshold
        )
        if found:
            data["suggestions"] = [s.article.id for s in found]
            return Turn(Step.SUGGEST, data, (self._question(Step.SUGGEST, data),))
        return self._next(Step.SUGGEST, data)

    def _on_suggest(
        self, step: Step, data: dict[str, object], said: str | Press, today: date
    ) -> Turn:
        ids = [str(x) for x in _list(data.get("suggestions"))]
        chosen = str(data.get("chosen", ""))
        if isinstance(said, str) and said.strip().isdigit():
            said = self._pressed_by_number(data, int(said.strip()))
        if isinstance(said, Press):
            if said.action is Action.SOLVED and said.value in ids:
                if said.value == chosen:
                    return self._solved(said.value)
                return self._ask_solved(data, said.value)
            if said.action is Action.NEED_HELP:
                return self._next(step, {k: v for k, v in data.items() if k != "chosen"})
        elif said:
            text = said.strip().lower().rstrip("!.")
            if chosen and text in _YES | _SOLVED:
                return self._solved(chosen)
            if text in _SOLVED and len(ids) == 1:
                return self._solved(ids[0])
            if text in _STILL:
                return self._next(step, {k: v for k, v in data.items() if k != "chosen"})
        return Turn(step, data, (ask.did_one_help(), self._question(step, data)))

    def _pressed_by_number(self, data: dict[str, object], number: int) -> Press | str:
        """A number typed at the suggestions means the button shown with it (the escape is
        always 1); anything else is left for the words to sort out."""
        message = self._question(Step.SUGGEST, data)
        buttons = [b for row in message.buttons for b in row]
        if 1 <= number <= len(buttons):
            button = buttons[number - 1]
            return Press(button.action, button.value, button.ticket)
        return ""

    def _ask_solved(self, data: dict[str, object], article_id: str) -> Turn:
        """A press on an article is asked about once more: a self-service solve closes the
        request with no ticket, so it must be meant, not a habitual number."""
        data = {**data, "chosen": article_id}
        return Turn(Step.SUGGEST, data, (self._question(Step.SUGGEST, data),))

    def _solved(self, article_id: str) -> Turn:
        return Turn(
            None, {}, (ask.glad_it_helped(self.knowledge.get(article_id)),), solved_by=article_id
        )

    def _on_choice(
        self, step: Step, data: dict[str, object], said: str | Press, today: date
    ) -> Turn:
        choices = self._choices(step)
        picked: Choice | None
        guess = str(data.get("guess", ""))
        if isinstance(said, Press):
            picked = next((c for c in choices if c.key == said.value), None)
        elif guess and said.strip().lower().rstrip("!.") in _YES:
            picked = next((c for c in choices if c.key == guess), None)
        else:
            picked = match_choice(said, choices)
        if picked is None:
            return self._reask(step, data)
        data[step.value] = picked.key
        return self._next(step, data)

    def _on_version(
        self, step: Step, data: dict[str, object], said: str | Press, today: date
    ) -> Turn:
        product = self.settings.product(str(data["product"]))
        if isinstance(said, Press):
            version = said.value
        else:
            version = said.strip()
            choice = match_choice(version, self._choices(step)) if version.isdigit() else None
            version = choice.key if choice else version
        if not version or len(version) > 40:
            return self._reask(step, data)
        messages: list[Message] = []
        if version == UNKNOWN or version.lower() in {"unknown", "don't know", "dont know", "?"}:
            data["version"] = ""
        else:
            status = support_status(product, version, today)
            data["version"] = status.version
            data["version_supported"] = status.supported
            notice = ask.support_notice(status)
            if notice:
                data["notice"] = notice
                messages.append(ask.version_note(notice))
        turn = self._next(step, data)
        return Turn(turn.step, turn.data, (*messages, *turn.messages), turn.draft)

    def _on_details(
        self, step: Step, data: dict[str, object], said: str | Press, today: date
    ) -> Turn:
        if isinstance(said, Press):
            if said.value != SKIP:
                return self._reask(step, data)
        elif said.strip().lower() not in {"skip", "no", "none", "nothing", "-"}:
            data["details"] = said.strip()
        return self._next(step, data)

    def _on_confirm(
        self, step: Step, data: dict[str, object], said: str | Press, today: date
    ) -> Turn:
        if isinstance(said, Press):
            submit = said.value == SUBMIT
        else:
            answer = said.strip().lower().rstrip("!.")
            if answer in _NO:
                return self.cancel()
            if answer not in _YES:
                return self._reask(step, data)
            submit = True
        if not submit:
            return self._reask(step, data)
        return Turn(None, {}, (), draft=self._draft(data))

    # -- flow ----------------------------------------------------------------------------

    def _next(self, after: Step, data: dict[str, object]) -> Turn:
        """The first step after ``after`` that still needs an answer."""
        order = list(Step)
        for step in order[order.index(after) + 1 :]:
            if self._applies(step, data):
                return Turn(step, data, (self._question(step, data),))
        raise AssertionError("CONFIRM always applies")

    def _applies(self, step: Step, data: dict[str, object]) -> bool:
        if step is Step.CATEGORY:
            if self.settings.categories and "guess" not in data:
                data["guess"] = self._guess_category(data)
            return bool(self.settings.categories)
        if step is Step.VERSION:
            category = data.get("category")
            if not category:
                return False
            product = self.settings.category(str(category)).product
            if product:
                data["product"] = product
            return product is not None
        if step is Step.DETAILS:
            return self.settings.intake.ask_details
        return step not in (Step.ROUTE, Step.DESCRIBE, Step.SUGGEST)

    def _guess_category(self, data: dict[str, object]) -> str:
        """The category the description names in words ("my vpn drops"), else the one the
        best suggested article is tagged with; "" when neither is clear. The requester
        confirms it."""
        choices = self._choices(Step.CATEGORY)
        said = mentioned(str(data.get("description", "")), choices)
        if said is not None:
            return said.key
        for article_id in _list(data.get("suggestions")):
            article = self.knowledge.get(str(article_id))
            for tag in article.tags if article else ():
                tagged = [c for c in choices if tag.lower() in {c.key, *c.aliases}]
                if len(tagged) == 1:
                    return tagged[0].key
        return ""

    def _choices(self, step: Step) -> tuple[Choice, ...]:
        p = self.settings.priority
        if step is Step.IMPACT:
            return p.impacts
        if step is Step.CAN_WORK:
            return p.can_work
        if step is Step.URGENCY:
            return p.urgencies
        if step is Step.CATEGORY:
            return tuple(Choice(c.key, c.label, c.aliases) for c in self.settings.categories)
        return ()

    def _reask(self, step: Step, data: dict[str, object]) -> Turn:
        hint = ask.hint(step.value, self._choices(step))
        return Turn(step, data, ask.reask(hint, self._question(step, data)))

    def _question(self, step: Step, data: dict[str, object]) -> Message:
        if step is Step.ROUTE:
            return ask.route(data.get("offer"))  # stored at begin
        if step is Step.DESCRIBE:
            return ask.ask_describe()
        if step is Step.SUGGEST:
            chosen = self.knowledge.get(str(data.get("chosen", "")))
            return ask.suggestions(self._suggested(data), chosen)
        if step is Step.VERSION:
            return ask.version_question(self.settings.product(str(data["product"])))
        if step is Step.DETAILS:
            return ask.details_question()
        if step is Step.CONFIRM:
            return ask.confirmation(self.settings, self._draft(data))
        guess = str(data.get("guess", "")) if step is Step.CATEGORY else ""
        return ask.choice_question(step.value, self._choices(step), guess)

    def _suggested(self, data: dict[str, object]) -> list[Article]:
        found = (self.knowledge.get(str(a)) for a in _list(data.get("suggestions")))
        return [a for a in found if a is not None]

    def _draft(self, data: dict[str, object]) -> Draft:
        description = str(data.get("description", ""))
        supported = data.get("version_supported")
        return Draft(
            description=description,
            summary=summary_of(description),
            impact=str(data.get("impact", "")),
            can_work=str(data.get("can_work", "")),
            urgency=str(data.get("urgency", "")),
            details=str(data.get("details", "")),
            category=str(data["category"]) if data.get("category") else None,
            product=str(data["product"]) if data.get("version") else None,
            version=str(data["version"]) if data.get("version") else None,
            version_supported=supported if isinstance(supported, bool) else None,
            notice=str(data.get("notice", "")),
        )


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else []
