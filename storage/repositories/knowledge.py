"""Articles written in chat or imported, and self-service resolutions."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.domain import (
    SelfServiceResolution,
)
from bot.knowledge import Article
from storage.repositories.base import SqlRepository, rowcount
from storage.tables import (
    ArticleRow,
    SelfServiceRow,
)


class SqlKnowledgeRepository(SqlRepository):
    """Articles written in chat (or imported), and self-service resolutions."""

    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        super().__init__(session)
        self._clock = clock

    async def articles(self) -> list[Article]:
        stmt = select(ArticleRow).order_by(ArticleRow.id).execution_options(populate_existing=True)
        return [_article_from_row(r) for r in await self._session.scalars(stmt)]

    async def get(self, article_id: str) -> Article | None:
        row = await self._session.get(ArticleRow, article_id, populate_existing=True)
        return None if row is None else _article_from_row(row)

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
        await self._session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=values))

    async def remove(self, article_id: str) -> bool:
        result = await self._session.execute(delete(ArticleRow).where(ArticleRow.id == article_id))
        return rowcount(result) > 0

    async def add_self_service(self, record: SelfServiceResolution) -> None:
        self._session.add(
            SelfServiceRow(
                person_id=record.person_id,
                article_id=record.article_id,
                query=record.query,
                at=record.at,
            )
        )
        await self._session.flush()

    async def self_service_count(self) -> int:
        count = await self._session.scalar(select(func.count()).select_from(SelfServiceRow))
        return int(count or 0)

    async def helpful_counts(self) -> dict[str, int]:
        stmt = select(SelfServiceRow.article_id, func.count()).group_by(SelfServiceRow.article_id)
        return {article_id: int(n) for article_id, n in (await self._session.execute(stmt)).all()}


def _article_from_row(row: ArticleRow) -> Article:
    return Article(
        id=row.id,
        title=row.title,
        body=row.body,
        keywords=tuple(row.keywords),
        tags=tuple(row.tags),
        source=row.source,
        draft=row.draft,
    )
