"""What the desk asks when a button needs text, and what an adapter says when it cannot reach
the desk at all."""

from __future__ import annotations

from dataclasses import dataclass

from bot.messages import Action


@dataclass(frozen=True, slots=True)
class Prompt:
    """What the desk asks when a button needs text: in a chat message, or a platform's form."""

    title: str  # a form's title, e.g. "Reply to #7"
    question: str  # "{ref}" stands for the ticket
    submit: str  # a form's submit button


# The buttons that need text before the desk can act, and how each asks for it.
PROMPTS: dict[Action, Prompt] = {
    Action.REPLY: Prompt(
        "Reply to {ref}", "Write your reply to {ref} (start with // for an internal note).", "Send"
    ),
    Action.ESCALATE: Prompt(
        "Escalate {ref}",
        "Why escalate {ref}? Write the reason; the next tier reads it first.",
        "Escalate",
    ),
    Action.RESOLVE: Prompt(
        "Resolve {ref}",
        "What fixed {ref}? Write the resolution note; the requester is told.",
        "Resolve",
    ),
    Action.WAITING: Prompt(
        "Ask the requester of {ref}",
        "What do you need from the requester of {ref}? They are told exactly this.",
        "Ask",
    ),
    Action.REOPEN: Prompt(
        "Reopen {ref}",
        "What is still not working on {ref}? One line; it goes back to whoever worked on it.",
        "Reopen",
    ),
}

# Said by an adapter, straight through its platform, when the desk could not save a request.
NOT_SAVED = "Sorry, that did not go through: the desk could not save it. Please try again."
BUTTON_UNUSABLE = (
    "That button is not one the desk can use (out of date or altered); nothing was done."
)
