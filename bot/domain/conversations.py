"""The stored state of a dialog: a requester's intake, or an agent asked to type a text."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(slots=True)
class Conversation:
    """The stored state of one dialog, keyed by platform, chat and user. ``person_id`` is
    None while the person is not stored (a first message that only started an intake)."""

    platform: str
    chat_id: str
    user_id: str
    person_id: int | None
    state: str
    data: dict[str, object] = field(default_factory=dict)
    updated_at: datetime | None = None
