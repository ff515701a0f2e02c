"""The desk's typed commands: what a person asks the desk to do, whatever the platform.

The desk turns every inbound event (a slash command, a button, a reply in a thread, the end
of an intake) into one of these, checks the actor may run it (:attr:`Command.access`, see
:mod:`bot.services.access`), and hands it to the service of its area. Commands are frozen
values: a test builds one and runs it without any platform in sight.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from typing import ClassVar

from bot.domain import Draft


class Access(Enum):
    """Who may run a command on a ticket."""

    ANYONE = "anyone"  # no ticket involved, or the service checks (a tier, a draft)
    REQUESTER = "requester"  # the ticket's requester
    VIEWER = "viewer"  # whoever may know the ticket exists
    STAFF = "staff"  # agents and on-call staff of a tier on the ticket's chain
    AGENT = "agent"  # agents of the tier holding the ticket


@dataclass(frozen=True, slots=True)
class Command:
    access: ClassVar[Access] = Access.ANYONE


@dataclass(frozen=True, slots=True)
class TicketCommand(Command):
    """A command about one ticket: the desk loads (and locks) it and checks access first."""

    number: int


# -- requesters ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenTicket(Command):
    draft: Draft


@dataclass(frozen=True, slots=True)
class SelfSolved(Command):
    """A suggested article solved the requester's problem: no ticket."""

    article_id: str
    query: str


@dataclass(frozen=True, slots=True)
class RequesterReply(TicketCommand):
    access: ClassVar[Access] = Access.REQUESTER
    text: str
    files: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Close(TicketCommand):
    access: ClassVar[Access] = Access.REQUESTER


@dataclass(frozen=True, slots=True)
class Withdraw(TicketCommand):
    """The requester cancels their ticket."""

    access: ClassVar[Access] = Access.REQUESTER


@dataclass(frozen=True, slots=True)
class Reopen(TicketCommand):
    """The requester's "No, not solved": back to the same tier and assignee."""

    access: ClassVar[Access] = Access.REQUESTER
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Rate(TicketCommand):
    access: ClassVar[Access] = Access.REQUESTER
    score: int


@dataclass(frozen=True, slots=True)
class MyTickets(Command):
    pass


@dataclass(frozen=True, slots=True)
class ShowTicket(TicketCommand):
    access: ClassVar[Access] = Access.VIEWER


@dataclass(frozen=True, slots=True)
class SetTimezone(Command):
    zone: str  # "" asks which zone is set


# -- agents --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Queue(Command):
    tier: str | None = None


@dataclass(frozen=True, slots=True)
class Claim(TicketCommand):
    access: ClassVar[Access] = Access.AGENT


@dataclass(frozen=True, slots=True)
class AgentReply(TicketCommand):
    """To the requester, or an internal note for the agents only."""

    access: ClassVar[Access] = Access.AGENT
    text: str
    internal: bool = False
    files: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Escalate(TicketCommand):
    access: ClassVar[Access] = Access.AGENT
    reason: str


@dataclass(frozen=True, slots=True)
class Resolve(TicketCommand):
    access: ClassVar[Access] = Access.AGENT
    note: str


@dataclass(frozen=True, slots=True)
class WaitOnRequester(TicketCommand):
    access: ClassVar[Access] = Access.AGENT
    need: str


@dataclass(frozen=True, slots=True)
class ChangePriority(TicketCommand):
    access: ClassVar[Access] = Access.AGENT
    priority: str


@dataclass(frozen=True, slots=True)
class OfferPriorities(TicketCommand):
    """The Change priority button: which priority, as buttons."""

    access: ClassVar[Access] = Access.AGENT


@dataclass(frozen=True, slots=True)
class Reassign(TicketCommand):
    access: ClassVar[Access] = Access.AGENT
    who: str


@dataclass(frozen=True, slots=True)
class Acknowledge(TicketCommand):
    """Acknowledge an SLA breach: its reminders and escalation stop."""

    access: ClassVar[Access] = Access.STAFF


@dataclass(frozen=True, slots=True)
class SaveArticle(TicketCommand):
    """A draft knowledge-base article from a resolved ticket."""

    access: ClassVar[Access] = Access.STAFF
    title: str = ""


@dataclass(frozen=True, slots=True)
class AnswerWithArticle(TicketCommand):
    """Send the requester an article and resolve the ticket with it; the article learns the
    requester's (masked) question."""

    access: ClassVar[Access] = Access.AGENT
    article_id: str


@dataclass(frozen=True, slots=True)
class EditArticle(Command):
    """Rewrite a draft's title, problem or solution (staff of the draft's ticket)."""

    article_id: str
    part: str
    text: str


@dataclass(frozen=True, slots=True)
class PublishArticle(Command):
    article_id: str


@dataclass(frozen=True, slots=True)
class WhoIsOnCall(Command):
    tier: str | None = None


@dataclass(frozen=True, slots=True)
class ShowReport(Command):
    """The desk's figures over the last ``span`` (support leads only)."""

    span: timedelta


@dataclass(frozen=True, slots=True)
class TakeOnCall(Command):
    tier: str
    duration: timedelta


# -- incidents (agents; the incident service checks) -------------------------------------


@dataclass(frozen=True, slots=True)
class IncidentCommand(Command):
    """A command about one incident: the incident service loads (and locks) it."""

    incident: int


@dataclass(frozen=True, slots=True)
class ListIncidents(Command):
    pass


@dataclass(frozen=True, slots=True)
class NewIncident(Command):
    """An incident an agent sees before the detector does: proposed, to link and declare."""

    title: str


@dataclass(frozen=True, slots=True)
class DeclareIncident(IncidentCommand):
    """Declare it: its clocks start, its tickets wait on it. ``priority`` "" takes the
    matrix's, with the impact raised to a group."""

    priority: str = ""


@dataclass(frozen=True, slots=True)
class DismissIncident(IncidentCommand):
    """*Not related*: its tickets are never proposed together again."""


@dataclass(frozen=True, slots=True)
class LinkTicket(IncidentCommand):
    number: int


@dataclass(frozen=True, slots=True)
class UnlinkTicket(IncidentCommand):
    number: int


@dataclass(frozen=True, slots=True)
class UpdateIncident(IncidentCommand):
    """A status update for every linked requester (once each) and the timeline."""

    text: str


@dataclass(frozen=True, slots=True)
class ResolveIncident(IncidentCommand):
    """Resolve it and every linked ticket with its note; each requester is asked "Did this
    solve it?"."""

    note: str


@dataclass(frozen=True, slots=True)
class CommandIncident(IncidentCommand):
    """The actor becomes the incident's commander."""


@dataclass(frozen=True, slots=True)
class JoinIncident(IncidentCommand):
    """A requester's *Add me to incident*: their description becomes a ticket linked to it."""

    description: str
