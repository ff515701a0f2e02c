"""Knowledge-base articles as agents and requesters see them."""

from __future__ import annotations

from bot.knowledge import Article
from bot.messages import Message


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
