"""Fit the show/no-show gate to the knowledge base it serves, from its own articles.

The gate's weights (:data:`bot.knowledge.index.GATE_WEIGHTS`) say which evidence counts; how
much evidence is enough depends on the knowledge base: 28 shop articles whose phrasings all
say "order" and "delivery" crowd each other more than 150 articles on unrelated topics, so
the same question scores differently. Each index measures that on itself, with no question
from outside:

- **leave one article out** (negatives): an article's phrasings are asked with the whole
  article removed — in-domain questions the knowledge base has no answer for, the hardest kind
  of out-of-scope question;
- **leave one phrasing out** (positives): a phrasing is asked with only that phrasing removed
  from its article — a question the knowledge base answers, worded in a way it has not seen.

The gate is then shifted so that the share of held-out-article questions it keeps quiet is the
share the shipped gate keeps quiet on the knowledge base it was fitted on (CLINC150's 150
``train`` articles, :data:`REFERENCE_QUIET`): a crowded base gets a stricter gate, a sparse one a
more forthcoming one. The shift is shrunk towards 0 when few articles were asked
(:data:`PRIOR_WEIGHT`), and never so strict that fewer than :data:`MIN_SHOWN` of the found
held-out phrasings would be shown. Samples are bounded and drawn in a hash order of the article
ids, so a 100 000-article base costs a few hundred searches and every run picks the same ones.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.knowledge.model import Article

__all__ = ["Calibration", "choose_offset", "held_out_articles", "held_out_phrasings"]

MAX_NEGATIVES = 120  # questions asked with their article left out ...
MAX_POSITIVES = 60  # ... and with one phrasing left out (together ~0.5 s at 10 000 articles)
# Share of held-out-article questions the shipped gate (offset 0) leaves quiet on CLINC150's
# train articles, where its weights and bias were fitted (benchmarks/kb_tune.py prints it).
REFERENCE_QUIET = 0.20
PRIOR_WEIGHT = 20.0  # questions that count as much as the shipped bias
MIN_SHOWN = 0.8  # the gate always shows at least this share of the found held-out phrasings


@dataclass(frozen=True, slots=True)
class Calibration:
    """What the last calibration found; ``offset`` is added to the gate's log-odds."""

    offset: float = 0.0
    positives: int = 0  # held-out phrasings whose article still came out among the first 3
    misses: int = 0  # held-out phrasings whose article did not
    negatives: int = 0  # questions asked with their article left out


def _order(text: str) -> int:
    return zlib.crc32(text.encode())


def phrasings(article: Article) -> list[str]:
    """What an article can be asked by: its keywords, or its title when it has none."""
    texts = [k for k in article.keywords if k.strip()]
    return texts or ([article.title] if article.title.strip() else [])


def held_out_articles(articles: Sequence[Article]) -> list[tuple[Article, list[str]]]:
    """Articles to leave out, each with the phrasings to ask, at most MAX_NEGATIVES in all."""
    out: list[tuple[Article, list[str]]] = []
    budget = MAX_NEGATIVES
    for article in sorted(articles, key=lambda a: _order("a:" + a.id)):
        texts = phrasings(article)[:budget]
        if texts:
            out.append((article, texts))
            budget -= len(texts)
        if budget <= 0:
            break
    return out


def held_out_phrasings(articles: Sequence[Article]) -> list[tuple[Article, str]]:
    """(article, keyword) pairs to leave out: articles that keep another phrasing to be
    found by, at most MAX_POSITIVES."""
    pairs = [
        (_order(f"p:{article.id}:{i}"), article, text)
        for article in articles
        if len([k for k in article.keywords if k.strip()]) + bool(article.title.strip()) >= 2
        for i, text in enumerate(article.keywords)
        if text.strip()
    ]
    pairs.sort(key=lambda item: item[0])
    return [(article, text) for _, article, text in pairs[:MAX_POSITIVES]]


def without_phrasing(article: Article, text: str) -> Article:
    keywords = list(article.keywords)
    keywords.remove(text)
    return replace(article, keywords=tuple(keywords))


def _quantile(values: Sequence[float], share: float) -> float:
    """The value under which ``share`` of ``values`` lie (midpoint between neighbours)."""
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(1, round(len(ordered) * share)))
    return (ordered[k - 1] + ordered[k]) / 2 if len(ordered) > 1 else ordered[0]


def choose_offset(negatives: Sequence[float], positives: Sequence[float]) -> float:
    """The gate shift for these held-out log-odds (see the module docstring)."""
    neg = [x if math.isfinite(x) else -50.0 for x in negatives]
    if len(neg) < 2:
        return 0.0
    offset = -_quantile(neg, REFERENCE_QUIET) * len(neg) / (len(neg) + PRIOR_WEIGHT)
    pos = [x for x in positives if math.isfinite(x)]
    if len(pos) >= 2:
        offset = max(offset, -_quantile(pos, 1.0 - MIN_SHOWN))
    return offset
