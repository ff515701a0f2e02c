"""What the desk itself says: help, prompts for typed text, dialogs that ran out, refusals."""

from __future__ import annotations

from bot.messages import Action, Message
from bot.views.prompts import PROMPTS


def refusal(text: str) -> Message:
    return Message(text=text)


def prompt(action: Action, ref: str) -> Message:
    """An agent pressed a button that needs text: the desk waits for it in this chat."""
    question = PROMPTS[action].question.format(ref=ref)
    return Message(text=question + " Or /cancel.", expects_reply=True)


def prompt_expired(number: object) -> Message:
    return Message(text=f"I stopped waiting for your text on #{number}.")


def intake_expired(minutes: int) -> Message:
    return Message(
        text=f"I closed your unfinished request after {minutes} minutes without an answer. "
        "Nothing was filed; write to me again whenever you're ready."
    )


def prompt_cancelled() -> Message:
    return Message(text="Cancelled; nothing was sent.")


def nothing_to_cancel() -> Message:
    return Message(text="There is nothing to cancel.")


def your_zone(zone: str) -> Message:
    return Message(text=f"Your time zone is {zone}. Change it with /timezone Europe/Berlin.")


def zone_set(zone: str) -> Message:
    return Message(text=f"Times are now shown in {zone}.")
