"""The domain: tickets, people, clocks, priority, calendars and on-call rules. Pure: no I/O.

The entities most of the desk works with are importable from here; the rule modules
(``calendars``, ``clocks``, ``pings``, ``sla``, ``oncall``, ``lifecycle``, ``choices``,
``drafts``) by their own names.
"""

from bot.domain.conversations import Conversation
from bot.domain.knowledge import (
    ArticleFeedback,
    Precedent,
    SelfServiceResolution,
    SuggestionOutcome,
)
from bot.domain.people import ChatAddress, Identity, Person
from bot.domain.tickets import (
    ACTIVE_STATUSES,
    Comment,
    CommentKind,
    Draft,
    HistoryEntry,
    Status,
    Ticket,
)

__all__ = [
    "ACTIVE_STATUSES",
    "ArticleFeedback",
    "ChatAddress",
    "Comment",
    "CommentKind",
    "Conversation",
    "Draft",
    "HistoryEntry",
    "Identity",
    "Person",
    "Precedent",
    "SelfServiceResolution",
    "Status",
    "SuggestionOutcome",
    "Ticket",
]
