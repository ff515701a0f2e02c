"""Knowledge-base articles as agents and requesters see them."""

from __future__ import annotations

from bot.domain import Ticket
from bot.knowledge import Article
from bot.messages import Message
from bot.views.tickets import MAX_TEXT, shorten


def draft_preview(article: Article) -> Message:
    """The draft as its agent reviews it, with how to change and publish it."""
    return Message(
        title=f"Draft article {article.id}: {article.title}",
        text=f"{article.body}\n"
        "Not suggested to anyone yet. Rewrite the problem in neutral words and check the "
        f"solution: /kbedit {article.id} title|problem|solution TEXT. "
        f"Then /kbpublish {article.id}.",
    )


def published(article: Article) -> Message:
    return Message(
        text=f"Published “{article.title}” ({article.id}); future requesters will be offered it."
    )


def article_for_requester(ticket: Ticket, article: Article) -> Message:
    """An agent answered the requester's ticket with an article: the article itself."""
    return Message(title=f"{ticket.ref}: {article.title}", text=shorten(article.body, MAX_TEXT))


def answered_with(article: Article) -> str:
    """The resolution note of a ticket answered with an article."""
    return f"Answered with the article “{article.title}” ({article.id})."
