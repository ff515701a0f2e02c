"""The chat commands as people are told about them: help texts and platform command menus."""

from __future__ import annotations

from dataclasses import dataclass

from bot.messages import Message


@dataclass(frozen=True, slots=True)
class Command:
    """A desk command as people are told about it (help texts, a platform's command menu)."""

    name: str
    usage: str  # the arguments, e.g. "N text"; "" for none
    what: str

    @property
    def line(self) -> str:
        return f"/{self.name} {self.usage}".rstrip() + f" — {self.what}"


REQUESTER_COMMANDS: tuple[Command, ...] = (
    Command("new", "", "report a problem"),
    Command("mytickets", "", "your tickets"),
    Command("show", "N", "one ticket with its history"),
    Command("reply", "N text", "add information to ticket N"),
    Command("close", "N", "close ticket N"),
    Command("reopen", "N", "reopen ticket N"),
    Command("rate", "N 1-5", "rate how ticket N was handled"),
    Command("timezone", "Area/City", "the zone your due times are shown in"),
    Command("cancel", "", "stop what we're doing"),
    Command("help", "", "what I can do"),
)


AGENT_COMMANDS: tuple[Command, ...] = (
    Command("queue", "[TIER]", "open tickets, most pressing first"),
    Command("show", "N", "a ticket with its history"),
    Command("claim", "N", "take a ticket"),
    Command("reply", "N text", "answer the requester (// first: an internal note)"),
    Command("note", "N text", "internal note (agents only)"),
    Command("escalate", "N reason", "pass to the next tier"),
    Command("resolve", "N note", "mark resolved"),
    Command("waiting", "N what you need", "ask the requester and wait for the answer"),
    Command("priority", "N S2", "change priority"),
    Command("reassign", "N who", "give the ticket to another agent of its tier"),
    Command("kbsave", "N [title]", "draft a knowledge-base article from the resolution"),
    Command("kbedit", "ID part text", "rewrite a draft's title, problem or solution"),
    Command("kbpublish", "ID", "publish a draft: requesters are offered it from now on"),
    Command("ack", "N", "acknowledge an SLA breach (stops the reminders)"),
    Command("oncall", "[TIER]", "who is on call now"),
    Command("takeoncall", "TIER 4h", "take a tier's on-call duty"),
)


REQUESTER_HELP = Message(
    title="How I can help",
    text="\n".join(
        (
            "Describe your problem in your own words and I'll suggest answers or open a ticket.",
            *(c.line for c in REQUESTER_COMMANDS if c.name != "help"),
        )
    ),
)


AGENT_HELP = Message(title="Agent commands", text="\n".join(c.line for c in AGENT_COMMANDS))
