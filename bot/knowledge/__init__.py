"""The knowledge base: articles, Markdown loading and question → article suggestions.

Python over rapidfuzz and numpy; nothing here touches storage or a chat platform, so the desk,
the agents' "save as article" action and the benchmarks all rank with exactly the same code.
"""

from bot.knowledge.index import DEFAULT_THRESHOLD, KnowledgeIndex
from bot.knowledge.markdown import load_markdown_dir, parse_markdown_article, scan_markdown_dir
from bot.knowledge.model import Article, Suggestion

__all__ = [
    "DEFAULT_THRESHOLD",
    "Article",
    "KnowledgeIndex",
    "Suggestion",
    "load_markdown_dir",
    "parse_markdown_article",
    "scan_markdown_dir",
]
