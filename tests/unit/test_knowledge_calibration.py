"""The gate calibrates itself on the knowledge base it serves, and again when it changes."""

from __future__ import annotations

import pytest

from bot.knowledge import Article, KnowledgeIndex
from bot.knowledge.calibration import (
    MIN_SHOWN,
    PRIOR_WEIGHT,
    REFERENCE_QUIET,
    choose_offset,
    held_out_articles,
    held_out_phrasings,
)

SHOP = [
    Article("cancel", "Cancel an order", "", ("cancel my order", "how can i cancel my order")),
    Article("refund", "Refund status", "", ("where is my refund", "refund not received yet")),
    Article("late", "Late delivery", "", ("my parcel is late", "order not delivered yet")),
    Article("address", "Change delivery address", "", ("change my address", "wrong address")),
    Article("pay", "Ways to pay", "", ("modes of payment", "can i pay by card")),
]


def test_the_first_search_calibrates_and_a_change_recalibrates() -> None:
    index = KnowledgeIndex(SHOP)
    assert index.calibration.negatives == 0  # nothing asked yet: building stays cheap
    index.search("cancel my order")
    first = index.calibration
    assert first.negatives == sum(len(a.keywords) for a in SHOP)  # every article left out once
    assert first.positives + first.misses == sum(len(a.keywords) for a in SHOP)
    index.search("refund")
    assert index.calibration is first  # nothing changed: not redone
    index.add(Article("stock", "Out of stock", "", ("when is it back in stock", "sold out")))
    index.search("refund")
    assert index.calibration is not first
    assert index.calibration.negatives == first.negatives + 2


def test_calibrating_leaves_the_articles_as_they_were() -> None:
    index = KnowledgeIndex(SHOP, calibrate=False)
    before = [(s.article.id, s.score) for s in index.search("my order is late", threshold=0)]
    index.calibrate()
    assert index.articles() == SHOP  # same articles, same order
    assert [a.keywords for a in index.articles()] == [a.keywords for a in SHOP]
    index.calibration = type(index.calibration)()  # offset 0 again: identical ranking
    after = [(s.article.id, s.score) for s in index.search("my order is late", threshold=0)]
    assert after == before


def test_a_crowded_knowledge_base_gets_a_stricter_gate_than_a_sparse_one() -> None:
    # Every article has a twin worded the same way: a question whose article is missing still
    # finds a near-perfect match, so the gate must ask for more than on distinct articles.
    twins = [
        Article(f"{a.id}-{n}", a.title, "", tuple(f"{k} {n}" for k in a.keywords))
        for a in SHOP
        for n in ("a", "b")
    ]
    crowded = KnowledgeIndex(twins)
    crowded.search("x")
    sparse = KnowledgeIndex(SHOP)
    sparse.search("x")
    assert crowded.calibration.offset < sparse.calibration.offset


def test_choose_offset_keeps_the_reference_share_of_held_out_articles_quiet() -> None:
    negatives = [float(x) for x in range(-50, 50)]  # 100 questions, logits -50..49
    offset = choose_offset(negatives, [])
    # Unshrunk, REFERENCE_QUIET of them would stay under 0; shrinkage pulls it towards 0.
    unshrunk = offset * (len(negatives) + PRIOR_WEIGHT) / len(negatives)
    quiet = sum(x + unshrunk < 0 for x in negatives) / len(negatives)
    assert quiet == pytest.approx(REFERENCE_QUIET, abs=0.011)
    assert abs(offset) < abs(unshrunk)
    assert choose_offset([3.0], []) == 0.0  # one question says nothing


def test_choose_offset_still_shows_most_of_the_articles_own_phrasings() -> None:
    negatives = [10.0 + x / 10 for x in range(200)]  # every held-out article matches strongly
    positives = [float(x) for x in range(100)]
    offset = choose_offset(negatives, positives)
    shown = sum(x + offset >= 0 for x in positives) / len(positives)
    assert shown >= MIN_SHOWN


def test_samples_are_bounded_and_do_not_depend_on_insertion_order() -> None:
    articles = [
        Article(f"a{i}", f"title {i}", "", tuple(f"phrase {i} {j}" for j in range(5)))
        for i in range(500)
    ]
    asked = held_out_articles(articles)
    assert sum(len(q) for _, q in asked) <= 200
    assert held_out_articles(list(reversed(articles))) == asked
    assert len(held_out_phrasings(articles)) <= 100
    assert held_out_phrasings(list(reversed(articles))) == held_out_phrasings(articles)
