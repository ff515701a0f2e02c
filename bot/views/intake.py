"""The intake conversation as the requester reads it: questions, suggestions, confirmations."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain import Draft
from bot.domain.choices import Choice
from bot.domain.lifecycle import Product, SupportStatus
from bot.knowledge import Article
from bot.messages import Action, Button, Field, Message
from bot.settings import Settings
from bot.views.tickets import priority_label, product_name, urgency_label

NEW = "new"
SKIP = "skip"
UNKNOWN = "unknown"
SUBMIT = "submit"
EXCERPT = 280

CANCEL_BUTTON = Button("Cancel", Action.CHOOSE, value="cancel")
QUESTIONS = {
    "impact": "Who is affected?",
    "can_work": "Can you still work?",
    "urgency": "How urgent is it for you?",
    "category": "What is it about?",
}


def ask_describe() -> Message:
    return Message(
        text="What's the problem? Describe it in your own words.", buttons=((CANCEL_BUTTON,),)
    )


def unreadable() -> Message:
    return Message(text="I couldn't read a problem in that. Tell me in a sentence what's wrong.")


def cancelled() -> Message:
    return Message(text="Cancelled. Nothing was filed.")


def route(offer: object) -> Message:
    """Is the new text about an open ticket? ``offer``: [[ticket number, label], …]."""
    buttons = tuple(
        (Button(str(label), Action.REPLY, int(number)),)
        for number, label in (offer if isinstance(offer, list) else [])
    )
    return Message(
        text="Is this about one of your open tickets, or something new?",
        buttons=(*buttons, (Button("It's a new problem", Action.CHOOSE, value=NEW),)),
    )


def route_label(number: int | None, summary: str) -> str:
    return f"Add to #{number}: {summary[:40]}"


def pick_a_ticket() -> Message:
    return Message(text="Please pick a ticket to add this to, or “It's a new problem”.")


def did_one_help() -> Message:
    return Message(
        text="Did one of these solve it? Press the article that helped, or “I still need help”."
    )


def glad_it_helped(article: Article | None) -> Message:
    title = article.title if article else "the article"
    return Message(text=f"Glad “{title}” helped! No ticket needed. Write again any time.")


def suggestions(articles: Sequence[Article], chosen: Article | None) -> Message:
    """The articles offered, or (``chosen``) the one pressed, asked about once more."""
    still = (Button("I still need help", Action.NEED_HELP),)
    if chosen is not None:
        return Message(
            text=f"Did “{chosen.title}” solve your problem? Then no ticket is needed.",
            buttons=(still, (Button("Yes, it solved it", Action.SOLVED, value=chosen.id),)),
        )
    lines = []
    buttons = [still]  # first, always: the same number however many articles follow
    for i, article in enumerate(articles, 1):
        lines.append(f"{i}. {article.title}\n{_excerpt(article.body)}")
        buttons.append(
            (Button(f"This solved it: {article.title[:40]}", Action.SOLVED, value=article.id),)
        )
    return Message(
        title="These articles might help", text="\n\n".join(lines), buttons=tuple(buttons)
    )


def choice_question(step: str, choices: Sequence[Choice], guess: str) -> Message:
    text = QUESTIONS[step]
    labels = {c.key: c.label for c in choices}
    if guess in labels:
        text += f" It sounds like “{labels[guess]}”: say yes, or pick another."
    return Message(
        text=text,
        buttons=tuple((Button(label, Action.CHOOSE, value=key),) for key, label in labels.items())
        + ((CANCEL_BUTTON,),),
    )


def version_question(product: Product) -> Message:
    rows = [
        Button(v.version + (" (LTS)" if v.lts else ""), Action.CHOOSE, value=v.version)
        for v in product.versions[-6:]
    ]
    return Message(
        text=f"Which version of {product.name} are you using? Pick it or type it.",
        buttons=(
            tuple(rows),
            (Button("I don't know", Action.CHOOSE, value=UNKNOWN), CANCEL_BUTTON),
        ),
    )


def details_question() -> Message:
    return Message(
        text="Anything else we should know? Error messages, since when, what you "
        "already tried. Write it here, or skip.",
        buttons=((Button("Skip", Action.CHOOSE, value=SKIP), CANCEL_BUTTON),),
    )


def support_notice(status: SupportStatus) -> str:
    """A sentence for the requester and the agent; empty when nothing needs saying."""
    if not status.known:
        return (
            f"{status.product} {status.version} is not in our lifecycle table; "
            "an agent will check it."
        )
    if status.supported is False and status.ends is not None:
        return (
            f"{status.product} {status.version} reached its end of support on "
            f"{status.ends.isoformat()}. We will still look at it, but a fix may need an upgrade."
        )
    return ""


def version_note(notice: str) -> Message:
    return Message(text="Note: " + notice)


def confirmation(settings: Settings, draft: Draft) -> Message:
    priority = settings.priority.priority_for(draft.impact, draft.can_work)
    fields = [
        Field("Summary", draft.summary),
        Field("Priority", priority_label(settings, priority)),
        Field("Urgency", urgency_label(settings, draft.urgency)),
    ]
    if draft.category:
        fields.append(Field("Category", settings.category(draft.category).label))
    if draft.version:
        fields.append(Field("Version", f"{product_name(settings, draft.product)} {draft.version}"))
    if draft.details:
        fields.append(Field("Details", draft.details[:300]))
    return Message(
        title="Ready to open this ticket?",
        fields=tuple(fields),
        buttons=((Button("Open ticket", Action.CHOOSE, value=SUBMIT), CANCEL_BUTTON),),
    )


def reask(hint: str, question: Message) -> tuple[Message, Message]:
    return Message(text="Sorry, I didn't get that. " + hint), question


def hint(step: str, choices: Sequence[Choice]) -> str:
    """What kind of answer the question expects, with examples from its choices."""
    if choices:
        words = ", ".join(f"“{(c.aliases or (c.label,))[0]}”" for c in choices)
        return f"Answer with a number from 1 to {len(choices)}, or in words like {words}."
    if step == "version":
        return "Type the version you use, like 5.2, or “don't know”."
    if step == "confirm":
        return "Say yes to open the ticket, or cancel."
    return "Use one of the buttons, or cancel."


def _excerpt(body: str) -> str:
    text = " ".join(line.strip("#>*- ") for line in body.splitlines() if line.strip())
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1].rsplit(" ", 1)[0] + "…"
