"""What the knowledge base holds and what a search returns.

Plain frozen values, so articles can come from Markdown files, the database or a resolved
ticket and be shared between the index and the chat renderers without copies.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Article:
    """One self-help answer; ``id`` is a stable slug (the file stem for Markdown files)."""

    id: str
    title: str
    body: str
    keywords: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    source: str = ""  # "file:<path>", "db" or "ticket:<n>"
    draft: bool = False  # saved from a ticket, not yet reviewed: never suggested

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise ValueError("article id must be a non-empty string")
        # Storage may hand over lists; tuples keep the value hashable and immutable.
        for name in ("keywords", "tags"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise ValueError(f"article {self.id!r}: {name} must be a sequence of strings")
            if not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(value))


@dataclass(frozen=True, slots=True)
class Suggestion:
    """An article offered for a question, with a 0..100 confidence (higher is better)."""

    article: Article
    score: float
