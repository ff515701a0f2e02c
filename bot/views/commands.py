"""The one table of chat commands: what the desk understands, and how people are told.

The desk parses exactly these names (and their aliases); the help texts, Slack's slash
command and Telegram's command menus are all made from this table, so a command added
here is known everywhere and a command missing here is known nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.messages import Message


class Audience(StrEnum):
    REQUESTER = "requester"
    AGENT = "agent"


@dataclass(frozen=True, slots=True)
class ChatCommand:
    """A desk command as people are told about it (help texts, a platform's command menu)."""

    name: str
    usage: str  # the arguments, e.g. "N text"; "" for none
    what: str
    audience: Audience
    aliases: tuple[str, ...] = ()  # other names that run it (not listed)

    @property
    def line(self) -> str:
        return f"/{self.name} {self.usage}".rstrip() + f" — {self.what}"


_R, _A = Audience.REQUESTER, Audience.AGENT

COMMANDS: tuple[ChatCommand, ...] = (
    ChatCommand("new", "", "report a problem", _R, aliases=("ticket",)),
    ChatCommand("mytickets", "", "your tickets", _R, aliases=("tickets",)),
    ChatCommand("show", "N", "one ticket with its history", _R),
    ChatCommand("reply", "N text", "add information to ticket N", _R),
    ChatCommand("close", "N", "close ticket N", _R),
    ChatCommand("reopen", "N [what is wrong]", "reopen ticket N: it is not solved", _R),
    ChatCommand("rate", "N 1-5", "rate how ticket N was handled", _R),
    ChatCommand("timezone", "Area/City", "the zone your due times are shown in", _R),
    ChatCommand("cancel", "", "stop what we're doing", _R),
    ChatCommand("help", "", "what I can do", _R, aliases=("start",)),
    ChatCommand("queue", "[TIER]", "open tickets, most pressing first", _A),
    ChatCommand("show", "N", "a ticket with its history", _A),
    ChatCommand("claim", "N", "take a ticket", _A),
    ChatCommand("reply", "N text", "answer the requester (// first: an internal note)", _A),
    ChatCommand("note", "N text", "internal note (agents only)", _A),
    ChatCommand("escalate", "N reason", "pass to the next tier", _A),
    ChatCommand("resolve", "N note", "mark resolved", _A),
    ChatCommand("answer", "N ARTICLE", "send the requester an article and resolve with it", _A),
    ChatCommand("waiting", "N what you need", "ask the requester and wait for the answer", _A),
    ChatCommand("priority", "N S2", "change priority", _A),
    ChatCommand("reassign", "N who", "give the ticket to another agent of its tier", _A),
    ChatCommand("kbsave", "N [title]", "draft a knowledge-base article from the resolution", _A),
    ChatCommand("kbedit", "ID part text", "rewrite a draft's title, problem or solution", _A),
    ChatCommand("kbpublish", "ID", "publish a draft: requesters are offered it from now on", _A),
    ChatCommand("ack", "N", "acknowledge an SLA breach (stops the reminders)", _A),
    ChatCommand("oncall", "[TIER]", "who is on call now", _A),
    ChatCommand("takeoncall", "TIER 4h", "take a tier's on-call duty", _A),
    ChatCommand("report", "[7d]", "the desk's figures and pictures (support leads)", _A),
    ChatCommand(
        "incident",
        "list | new TITLE | link I N | unlink I N | update I TEXT | resolve I NOTE | "
        "command I | declare I [S2]",
        "major incidents: one outage, many reports",
        _A,
    ),
)
REQUESTER_COMMANDS = tuple(c for c in COMMANDS if c.audience is Audience.REQUESTER)
AGENT_COMMANDS = tuple(c for c in COMMANDS if c.audience is Audience.AGENT)
NAMES: dict[str, str] = {
    alias: c.name for c in COMMANDS for alias in (c.name, *c.aliases)
}  # every name the desk understands → the command it runs


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
