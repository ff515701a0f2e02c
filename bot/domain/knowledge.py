"""What the desk records about its knowledge base's use."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class SelfServiceResolution:
    """A requester said a knowledge-base article solved their problem: no ticket needed."""

    person_id: int
    article_id: str
    query: str
    at: datetime
    id: int | None = None
