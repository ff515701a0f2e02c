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


@dataclass(frozen=True, slots=True)
class SuggestionOutcome:
    """What a requester did with the articles offered for one question: took one
    (``accepted``), turned them all down (``rejected``: "I still need help"), or neither
    (cancelled, walked away)."""

    shown: tuple[str, ...]
    accepted: str = ""
    rejected: bool = False


@dataclass(frozen=True, slots=True)
class ArticleFeedback:
    """An article's offers so far, and what became of them."""

    shown: int = 0
    accepted: int = 0
    rejected: int = 0

    @property
    def rate(self) -> float:
        """The share of offers that solved the problem (0 when never offered)."""
        return self.accepted / self.shown if self.shown else 0.0


@dataclass(frozen=True, slots=True)
class Precedent:
    """A resolved ticket like the one on a card, and what resolved it."""

    number: int
    summary: str
    note: str
