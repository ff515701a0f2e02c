"""Knowledge-base use cases: self-service solves, articles drafted from tickets, publishing,
and keeping the search index in step with the database.

A draft starts from the requester's words and the resolution note and is never suggested
until an agent of its ticket publishes it. The index changes only after the change of an
article has committed (a rolled-back publish leaves no phantom article), and in every
process: each change moves a version number stored with the articles, and
:meth:`KnowledgeService.sync` (run after a publish, and every few seconds by the scheduler)
brings the index up to the database when that number moved.
"""

from __future__ import annotations

from dataclasses import replace

from bot import views
from bot.domain import CommentKind, SelfServiceResolution, Ticket, drafts
from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.knowledge import Article, KnowledgeIndex
from bot.ports import UnitOfWorkFactory
from bot.services.access import Rules
from bot.services.commands import Access, EditArticle, PublishArticle, SaveArticle, SelfSolved
from bot.services.notices import Actor, ToActor, Work


class KnowledgeService:
    def __init__(
        self, knowledge: KnowledgeIndex, rules: Rules, uow_factory: UnitOfWorkFactory
    ) -> None:
        self.index = knowledge
        self.rules = rules
        self.uow_factory = uow_factory
        self._files = {a.id: a for a in knowledge.articles()}  # the Markdown sources
        self._stored: dict[str, Article] = {}  # the database's articles in the index
        self._version: int | None = None  # of the articles the index holds

    async def sync(self) -> bool:
        """Bring the index up to the database's published articles if they changed since
        the last look (one cheap read when they did not); True if the index changed."""
        async with self.uow_factory() as uow:
            version = await uow.knowledge.version()
            if version == self._version:
                return False
            stored = {a.id: a for a in await uow.knowledge.articles() if not a.draft}
        for gone in self._stored.keys() - stored.keys():
            self.index.remove(gone)
            if gone in self._files:  # a database article had replaced a Markdown one
                self.index.add(self._files[gone])
        for article in stored.values():
            if self._stored.get(article.id) != article:
                self.index.add(article)
        self._stored, self._version = stored, version
        return True

    async def self_solved(self, work: Work, actor: Actor, cmd: SelfSolved) -> Article:
        article = self.index.get(cmd.article_id)
        if article is None:
            raise NotFound("That article is no longer in the knowledge base.")
        await work.uow.knowledge.add_self_service(
            SelfServiceResolution(actor.id, cmd.article_id, cmd.query, work.now)
        )
        return article

    async def save_article(
        self, work: Work, actor: Actor, cmd: SaveArticle, ticket: Ticket
    ) -> Article:
        """A draft article from a resolved ticket, for its agents to edit and publish."""
        if not ticket.resolution_note:
            raise InvalidInput(f"{ticket.ref} has no resolution note yet; resolve it first.")
        first = await work.uow.tickets.comments(cmd.number, kind=CommentKind.REQUESTER, limit=1)
        opening = views.card_text(first[0].text if first else ticket.summary, cmd.number)
        article = Article(
            id=f"ticket-{cmd.number}",
            title=" ".join((cmd.title.strip() or ticket.summary).split()),
            body=drafts.body(
                drafts.escape_markdown(opening), drafts.escape_markdown(ticket.resolution_note)
            ),
            keywords=(ticket.summary,),
            tags=tuple(x for x in (ticket.category,) if x),
            source=f"ticket:{cmd.number}",
            draft=True,
        )
        await work.uow.knowledge.put(article)
        work.record(ticket, actor, "saved a draft article", article.title)
        work.tell(ToActor(actor), views.draft_preview(article))
        return article

    async def _draft(self, work: Work, actor: Actor, article_id: str) -> tuple[Article, Ticket]:
        """A draft saved from a ticket the actor is staff of; others are told there is none."""
        article = await work.uow.knowledge.get(article_id)
        number = article.source.removeprefix("ticket:") if article else ""
        if article is None or not article.draft or not number.isdigit():
            raise NotFound(f"There is no draft article {article_id}.")
        ticket = await work.uow.tickets.get(int(number))
        try:
            ticket = self.rules.check(actor, Access.STAFF, int(number), ticket)
        except (NotFound, PermissionDenied):
            raise NotFound(f"There is no draft article {article_id}.") from None
        return article, ticket

    async def edit_article(self, work: Work, actor: Actor, cmd: EditArticle) -> Article:
        draft, _ = await self._draft(work, actor, cmd.article_id)
        article = drafts.edited(draft, cmd.part, cmd.text)
        await work.uow.knowledge.put(article)
        work.tell(ToActor(actor), views.draft_preview(article))
        return article

    async def publish_article(self, work: Work, actor: Actor, cmd: PublishArticle) -> Article:
        """The draft goes live: stored as published and offered to requesters from now on."""
        draft, ticket = await self._draft(work, actor, cmd.article_id)
        article = replace(draft, draft=False)
        await work.uow.knowledge.put(article)
        work.record(ticket, actor, "published as article", article.title)
        work.tell(ToActor(actor), views.published(article))
        work.afterwards.append(self.sync)  # the index learns it once it is committed
        return article
