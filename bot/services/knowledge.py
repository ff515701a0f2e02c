"""Knowledge-base use cases: self-service solves, articles drafted from tickets, publishing,
agents answering with an article, what the desk learns from all of it, and keeping the search
index in step with the database.

The knowledge base learns from the desk: every offer of an article is counted with what became
of it (taken, turned down), and the index ranks with those counts (a Bayesian acceptance,
:meth:`KnowledgeIndex.set_feedback`); a requester's question an article solved becomes a
phrasing of that article once ``knowledge.learn_after`` requesters confirmed the same masked
question (:func:`bot.knowledge.privacy.phrasing`: no e-mail, phone, name or id is kept); an
agent's answer with an article teaches it the ticket's question at once, since the agent read
the whole ticket and vouches for the match (a requester's press may be a guess).

A draft starts from the requester's words and the resolution note and is never suggested
until an agent of its ticket publishes it. The index changes only after the change of an
article has committed (a rolled-back publish leaves no phantom article), and in every
process: each change moves a version number stored with the articles, and
:meth:`KnowledgeService.sync` (run after a publish, and every few seconds by the scheduler)
brings the index up to the database when that number moved.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot import views
from bot.domain import (
    ArticleFeedback,
    CommentKind,
    SelfServiceResolution,
    SuggestionOutcome,
    Ticket,
    drafts,
)
from bot.errors import InvalidInput, NotFound, PermissionDenied
from bot.knowledge import Article, KnowledgeIndex
from bot.knowledge.privacy import mask, phrasing
from bot.ports import UnitOfWorkFactory
from bot.services.access import Rules
from bot.services.commands import (
    Access,
    AnswerWithArticle,
    EditArticle,
    PublishArticle,
    Resolve,
    SaveArticle,
    SelfSolved,
)
from bot.services.notices import Actor, ToActor, ToRequester, Work
from bot.services.similar import SimilarTickets
from bot.services.tickets import TicketService

FEEDBACK_EVERY = timedelta(minutes=1)
"""How often a process re-reads the offer counts and the resolved tickets other processes
wrote (ranking and precedents move slowly; an article change re-reads the counts at once)."""
_UNKNOWN_TIME = datetime.min.replace(tzinfo=UTC)


class KnowledgeService:
    def __init__(
        self,
        knowledge: KnowledgeIndex,
        rules: Rules,
        uow_factory: UnitOfWorkFactory,
        tickets: TicketService,
    ) -> None:
        self.index = knowledge
        self.rules = rules
        self.uow_factory = uow_factory
        self.tickets = tickets
        self.learn_after = rules.settings.knowledge.learn_after
        self._files = {a.id: a for a in knowledge.articles()}  # the Markdown sources
        self._stored: dict[str, Article] = {}  # the index's articles unlike their sources
        self._version: int | None = None  # of the articles the index holds
        self._feedback: dict[str, ArticleFeedback] = {}  # the offer counts the index ranks by
        self._refreshed_at: datetime | None = None  # counts and resolved tickets; None: never
        self.similar = SimilarTickets()

    async def sync(self, now: datetime | None = None) -> bool:
        """Bring the index up to the database's published articles and learned phrasings
        if they changed since the last look (one cheap read when they did not), and to the
        offer counts and the resolved tickets (:attr:`similar`) at the first sync and then
        every :data:`FEEDBACK_EVERY` (``now``: the caller's clock; without it, the counts
        only with an article change). True if the index changed.

        The next version is built beside the current one (off the event loop) and swapped
        in whole, so a search never sees half a change, in this thread or another."""
        async with self.uow_factory() as uow:
            version = await uow.knowledge.version()
            moved = version != self._version
            last = self._refreshed_at
            due = last is None or (now is not None and now - last >= FEEDBACK_EVERY)
            if not moved and not due:
                return False
            if moved:
                stored = {a.id: a for a in await uow.knowledge.articles() if not a.draft}
                live = self._with_learned(stored, await uow.knowledge.learned())
            feedback = await uow.knowledge.feedback()
            resolved = await self.similar.recent(uow) if due else None
        if resolved is not None:  # built once the connection is given back
            await self.similar.refresh(resolved)
            self._refreshed_at = now or _UNKNOWN_TIME
        index = self.index
        if moved:
            removed = self._stored.keys() - live.keys()
            added = [a for a in live.values() if self._stored.get(a.id) != a]
            added += [self._files[i] for i in removed if i in self._files]  # the source again
            index = await asyncio.to_thread(index.with_changes, added, removed)
            self._stored, self._version = live, version
        changed = {i: f for i, f in feedback.items() if self._feedback.get(i) != f}
        if changed:
            index = index.copy() if index is self.index else index
            for article_id, counts in changed.items():
                index.set_feedback(article_id, counts.shown, counts.accepted)
            self._feedback = feedback
        self.index = index
        return moved or bool(changed)

    def _with_learned(
        self, stored: Mapping[str, Article], learned: Mapping[str, list[str]]
    ) -> dict[str, Article]:
        """The articles unlike their Markdown source: the database's, and any article with
        learned phrasings (its keywords, then those)."""
        live = dict(stored)
        for article_id, phrasings in learned.items():
            base = live.get(article_id) or self._files.get(article_id)
            extra = tuple(p for p in phrasings if base is not None and p not in base.keywords)
            if base is not None and extra:
                live[article_id] = replace(base, keywords=(*base.keywords, *extra))
        return live

    async def record(self, work: Work, outcome: SuggestionOutcome | None, question: str) -> None:
        """Count what became of an offer of articles, or keep (masked) a question that
        found none: the articles worth writing. In the intake step's own transaction."""
        if outcome is not None:
            await work.uow.knowledge.add_outcome(outcome)
        unanswered = phrasing(question)
        if unanswered:
            await work.uow.knowledge.add_unanswered(unanswered, work.now)

    async def _learn(self, work: Work, article_id: str, question: str, learn_after: int) -> None:
        """One confirmation of ``question`` (masked) for the article; once learned, the index
        takes it up after the commit (other processes at their next sync)."""
        learnt = phrasing(question)
        if learnt and await work.uow.knowledge.confirm(article_id, learnt, work.now, learn_after):
            work.afterwards.append(self.sync)

    async def self_solved(self, work: Work, actor: Actor, cmd: SelfSolved) -> Article:
        article = self.index.get(cmd.article_id)
        if article is None:
            raise NotFound("That article is no longer in the knowledge base.")
        await work.uow.knowledge.add_self_service(
            SelfServiceResolution(actor.id, cmd.article_id, mask(cmd.query), work.now)
        )
        await self._learn(work, cmd.article_id, cmd.query, self.learn_after)
        return article

    async def answer(
        self, work: Work, actor: Actor, cmd: AnswerWithArticle, ticket: Ticket
    ) -> Article:
        """The requester gets the article, the ticket is resolved with it, and the article
        learns the requester's opening question at once (see the module docstring)."""
        article = self.index.get(cmd.article_id.strip())
        if article is None:
            raise NotFound(
                f"There is no article {cmd.article_id.strip()!r} (`tierdesk kb list` lists them)."
            )
        first = await work.uow.tickets.comments(cmd.number, kind=CommentKind.REQUESTER, limit=1)
        work.tell(ToRequester(ticket), views.article_for_requester(ticket, article))
        resolve = Resolve(cmd.number, views.answered_with(article))
        await self.tickets.resolve(work, actor, resolve, ticket)
        await self._learn(work, article.id, first[0].text if first else ticket.summary, 1)
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
