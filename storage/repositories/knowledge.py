"""Articles written in chat or imported, self-service resolutions, what became of each offer
of an article, the phrasings learned from requesters, and the articles' version.

Every change of an article moves the one version number in the same transaction, so any
process can tell with one cheap read that its search index is behind (see
:meth:`bot.services.knowledge.KnowledgeService.sync`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, update

from bot.clock import Clock
from bot.domain import ArticleFeedback, SelfServiceResolution, SuggestionOutcome
from bot.knowledge import Article
from storage.repositories.base import SqlRepository, Transaction, rowcount
from storage.tables import (
    ArticleFeedbackRow,
    ArticlePhrasingRow,
    ArticleRow,
    KnowledgeVersionRow,
    SelfServiceRow,
    UnansweredRow,
)

ARTICLES: Table = ArticleRow.__table__  # type: ignore[assignment]
VERSION: Table = KnowledgeVersionRow.__table__  # type: ignore[assignment]
SELF_SERVICE: Table = SelfServiceRow.__table__  # type: ignore[assignment]
FEEDBACK: Table = ArticleFeedbackRow.__table__  # type: ignore[assignment]
PHRASINGS: Table = ArticlePhrasingRow.__table__  # type: ignore[assignment]
UNANSWERED: Table = UnansweredRow.__table__  # type: ignore[assignment]


class SqlKnowledgeRepository(SqlRepository):
    """Articles written in chat (or imported), and self-service resolutions."""

    def __init__(self, db: Transaction, clock: Clock) -> None:
        super().__init__(db)
        self._clock = clock

    async def version(self) -> int:
        found = await self._db.scalar(select(VERSION.c.version))
        return int(found or 0)

    async def articles(self) -> list[Article]:
        stmt = select(ARTICLES).order_by(ARTICLES.c.id)
        return [_article(r._mapping) for r in await self._db.execute(stmt)]

    async def get(self, article_id: str) -> Article | None:
        stmt = select(ARTICLES).where(ARTICLES.c.id == article_id)
        row = (await self._db.execute(stmt)).first()
        return None if row is None else _article(row._mapping)

    async def put(self, article: Article) -> None:
        now = self._clock.now()
        values = {
            "title": article.title,
            "body": article.body,
            "keywords": list(article.keywords),
            "tags": list(article.tags),
            "source": article.source,
            "draft": article.draft,
            "updated_at": now,
        }
        stmt = self._insert(ArticleRow).values(id=article.id, created_at=now, **values)
        await self._db.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=values))
        await self._bump()

    async def remove(self, article_id: str) -> bool:
        removed = 0
        for table in (ARTICLES, FEEDBACK, PHRASINGS):
            key = table.c.id if table is ARTICLES else table.c.article_id
            removed += rowcount(await self._db.execute(delete(table).where(key == article_id)))
        if removed:
            await self._bump()
        return removed > 0

    async def _bump(self) -> None:
        stmt = self._insert(KnowledgeVersionRow).values(id=1, version=1)
        await self._db.execute(
            stmt.on_conflict_do_update(
                index_elements=["id"], set_={"version": VERSION.c.version + 1}
            )
        )

    async def add_self_service(self, record: SelfServiceResolution) -> None:
        await self._db.execute(
            insert(SELF_SERVICE).values(
                person_id=record.person_id,
                article_id=record.article_id,
                query=record.query,
                at=record.at,
            )
        )

    async def self_service_count(self) -> int:
        count = await self._db.scalar(select(func.count()).select_from(SELF_SERVICE))
        return int(count or 0)

    async def helpful_counts(self) -> dict[str, int]:
        stmt = select(SELF_SERVICE.c.article_id, func.count()).group_by(SELF_SERVICE.c.article_id)
        return {article_id: int(n) for article_id, n in (await self._db.execute(stmt)).all()}

    async def add_outcome(self, outcome: SuggestionOutcome) -> None:
        shown = list(dict.fromkeys(outcome.shown))
        if not shown:
            return
        rows = [
            {
                "article_id": article_id,
                "shown": 1,
                "accepted": int(article_id == outcome.accepted),
                "rejected": int(outcome.rejected),
            }
            for article_id in shown
        ]
        stmt = self._insert(ArticleFeedbackRow).values(rows)
        added = stmt.excluded
        await self._db.execute(
            stmt.on_conflict_do_update(
                index_elements=["article_id"],
                set_={
                    "shown": FEEDBACK.c.shown + added.shown,
                    "accepted": FEEDBACK.c.accepted + added.accepted,
                    "rejected": FEEDBACK.c.rejected + added.rejected,
                },
            )
        )

    async def feedback(self) -> dict[str, ArticleFeedback]:
        rows = await self._db.execute(select(FEEDBACK))
        return {r.article_id: ArticleFeedback(r.shown, r.accepted, r.rejected) for r in rows.all()}

    async def add_unanswered(self, query: str, at: datetime) -> None:
        await self._db.execute(insert(UNANSWERED).values(query=query, at=at))

    async def unanswered(self, limit: int) -> list[tuple[str, int]]:
        count = func.count().label("n")
        stmt = (
            select(UNANSWERED.c.query, count)
            .group_by(UNANSWERED.c.query)
            .order_by(count.desc(), func.max(UNANSWERED.c.at).desc(), UNANSWERED.c.query)
            .limit(limit)
        )
        return [(query, int(n)) for query, n in (await self._db.execute(stmt)).all()]

    async def confirm(self, article_id: str, phrasing: str, at: datetime, learn_after: int) -> bool:
        stmt = self._insert(ArticlePhrasingRow).values(
            article_id=article_id, phrasing=phrasing, confirmations=1
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=["article_id", "phrasing"],
            set_={"confirmations": PHRASINGS.c.confirmations + 1},
        ).returning(PHRASINGS.c.confirmations, PHRASINGS.c.learned_at)
        row = (await self._db.execute(stmt)).one()
        if row.learned_at is not None or row.confirmations < learn_after:
            return False
        await self._db.execute(
            update(PHRASINGS)
            .where(PHRASINGS.c.article_id == article_id, PHRASINGS.c.phrasing == phrasing)
            .values(learned_at=at)
        )
        await self._bump()
        return True

    async def learned(self) -> dict[str, list[str]]:
        stmt = (
            select(PHRASINGS.c.article_id, PHRASINGS.c.phrasing)
            .where(PHRASINGS.c.learned_at.is_not(None))
            .order_by(PHRASINGS.c.learned_at, PHRASINGS.c.phrasing)
        )
        found: dict[str, list[str]] = {}
        for article_id, phrasing in (await self._db.execute(stmt)).all():
            found.setdefault(article_id, []).append(phrasing)
        return found


def _article(row: Mapping[str, Any]) -> Article:
    return Article(
        id=row["id"],
        title=row["title"],
        body=row["body"],
        keywords=tuple(row["keywords"]),
        tags=tuple(row["tags"]),
        source=row["source"],
        draft=row["draft"],
    )
