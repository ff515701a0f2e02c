"""Resolved tickets like a new one, for the front line's card: what fixed it last time.

The same text engine as the knowledge base: a :class:`KnowledgeIndex` whose "articles" are the
most recent resolved or closed tickets (the summary as title, the resolution note as body).
Uncalibrated: its gate is fitted to hand-written articles, not to tickets that repeat each
other, so a fixed bar (:data:`SIMILAR_BAR`) decides what is similar enough. The index follows
the database at :meth:`KnowledgeService.sync` once a minute (with the offer counts), in every
process alike, and is swapped whole like the knowledge base's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.domain import Precedent, Status, Ticket
from bot.knowledge import Article, KnowledgeIndex
from bot.ports import UnitOfWork

RECENT = 1_000  # resolved tickets kept for comparison: the newest, the likeliest to recur
SIMILAR_BAR = 30.0  # the least score (0..100) a resolved ticket needs to be shown as similar
_PREFIX = "ticket:"


class SimilarTickets:
    """The recent resolved tickets, searchable by a new ticket's opening words."""

    def __init__(self) -> None:
        self.index = KnowledgeIndex(calibrate=False)
        self._held: dict[str, Article] = {}

    @staticmethod
    async def recent(uow: UnitOfWork) -> list[Ticket]:
        """The resolved tickets to compare with: the newest :data:`RECENT`."""
        return await uow.tickets.list(statuses=(Status.RESOLVED, Status.CLOSED), limit=RECENT)

    async def refresh(self, tickets: Sequence[Ticket]) -> None:
        """Bring the index up to ``tickets`` (:meth:`recent`), built off the event loop:
        call it outside the unit of work, whose connection others may be waiting for."""
        wanted = {a.id: a for a in map(_as_article, tickets) if a is not None}
        removed = self._held.keys() - wanted.keys()
        added = [a for a in wanted.values() if self._held.get(a.id) != a]
        if added or removed:
            self.index = await asyncio.to_thread(self.index.with_changes, added, removed)
            self._held = wanted

    def like(self, text: str, limit: int) -> list[Precedent]:
        found = self.index.search(text, limit=limit, threshold=SIMILAR_BAR)
        return [
            Precedent(int(s.article.id.removeprefix(_PREFIX)), s.article.title, s.article.body)
            for s in found
        ]


def _as_article(ticket: Ticket) -> Article | None:
    if ticket.number is None or not ticket.resolution_note:
        return None
    return Article(f"{_PREFIX}{ticket.number}", ticket.summary, ticket.resolution_note)


__all__: Sequence[str] = ["RECENT", "SIMILAR_BAR", "SimilarTickets"]
