"""Due times for a ticket's two clocks (response, resolution).

For now targets count in elapsed time from when the clock starts; business calendars
plug in here without changing the callers.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain import Ticket
from bot.settings import PrioritySettings


def apply_due_times(ticket: Ticket, priorities: PrioritySettings, start: datetime) -> None:
    """Set the open clocks' due times from the ticket's priority, counting from ``start``."""
    level = priorities.level(ticket.priority)
    if ticket.first_response_at is None:
        ticket.response_due_at = start + level.response
    ticket.resolution_due_at = start + level.resolution
