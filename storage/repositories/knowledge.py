"""Articles written in chat or imported, self-service resolutions, and the articles' version.

Every change of an article moves the one version number in the same transaction, so any
process can tell with one cheap read that its search index is behind (see
:meth:`bot.services.knowledge.KnowledgeService.sync`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Table, delete, func, insert, select

from bot.clock import Clock
from bot.domain import SelfServiceResolution
from bot.knowledge import Article
from storage.repositories.base import SqlRepository, Transaction, rowcount
from storage.tables import ArticleRow, KnowledgeVersionRow, SelfServiceRow

ARTICLES: Table = ArticleRow.__table__  # type: ignore[assignment]
VERSION: Table = KnowledgeVersionRow.__table__  # type: ignore[assignment]
SELF_SERVICE: Table = SelfServiceRow.__table__  # type: ignore[assignment]


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
        result = await self._db.execute(delete(ARTICLES).where(ARTICLES.c.id == article_id))
        removed = rowcount(result) > 0
        if removed:
            await self._bump()
        return removed

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
