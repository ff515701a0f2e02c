"""Every shortcut the faster search takes gives exactly what the long way gave.

Each test holds a shortcut against the code it replaced (copied here as ``reference_*``) or
against the rapidfuzz scorer it stands in for, on generated text that reaches the corners:
digits, e-mail and link markers, apostrophes, shorthand, phrase starts, non-ASCII letters.
"""

from __future__ import annotations

import heapq
import math
import random
import unicodedata
from bisect import bisect_left
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz

from bot.knowledge import chat, text
from bot.knowledge.index import (
    Tuning,
    _best_partial,
    _cdist,
    _line_hits,
    _phrase_line,
    _rank_floor,
    _sigmoid,
)
from bot.knowledge.postings import Bm25Params, InvertedIndex, weighted_counts
from bot.knowledge.spelling import MAX_MENDS, MIN_WORD, Vocabulary

WORDS = [
    "vpn", "password", "reset", "my", "i", "cant", "can't", "won't", "wi", "fi", "log", "in",
    "e", "mail", "two", "factor", "pls", "u", "kab", "paise", "ok", "ye", "hai", "order",
    "ordr", "cancle", "musclemass", "printer", "offline", "über", "café", "rs", "200", "₹",
    "50kg", "6x4", "ft", "10:30", "am", "12/03/2024", "4051234567", "+91", "98765", "43210",
    "asha@example.com", "www.example.com/x", "https://it.example.com", "covid19", "😡", "🙏",
    "ß", "K", "İ", "'s", "n't", "AB-1234", "INC0012345",
]  # fmt: skip
sentences = st.lists(st.sampled_from(WORDS), max_size=12).map(" ".join)
anything = (
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=60) | sentences
)


# -- chat.normalize and text.analyze: the code before the fast paths --------------------------


def reference_normalize(value: str) -> str:
    value = chat._strip_emoji(unicodedata.normalize("NFKC", value)).casefold()
    value = chat._LINK.sub(" link ", chat._EMAIL.sub(" email ", value))
    value = chat._AMOUNT.sub(chat._amount, value)
    for pattern, word in chat._SLOTS:
        value = pattern.sub(word, value)
    value = chat._CODE.sub(chat._code, chat._PHONE.sub(chat._phone, value))
    return chat._WORD.sub(chat._shorthand, value)


def reference_merge_phrases(terms: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(terms):
        for size in text._PHRASE_LENGTHS:
            target = text._PHRASES.get(tuple(terms[i : i + size]))
            if target is not None:
                out.append(target)
                i += size
                break
        else:
            out.append(terms[i])
            i += 1
    return out


def reference_analyze(value: str, *, keep_stopwords: bool = False) -> list[str]:
    value = unicodedata.normalize("NFKC", value).casefold().translate(text._APOSTROPHES)
    for pattern, replacement in text._CONTRACTIONS:
        value = pattern.sub(replacement, value)
    raw = [w for w in text._WORD.findall(value) if len(w) <= text.MAX_TOKEN_LEN]
    terms = reference_merge_phrases([text._term(w) for w in raw])
    if keep_stopwords:
        return [t for t in terms if t not in text._ARTICLES]
    return [t for t in terms if t not in text._STOP_STEMS]


@settings(max_examples=400, deadline=None)
@given(anything)
def test_normalize_skips_only_patterns_that_cannot_match(value: str) -> None:
    assert chat.normalize(value) == reference_normalize(value)


@settings(max_examples=400, deadline=None)
@given(anything, st.booleans())
def test_analyze_skips_only_what_cannot_match(value: str, keep: bool) -> None:
    assert text.analyze(value, keep_stopwords=keep) == reference_analyze(value, keep_stopwords=keep)


# -- spelling: the memo and the no-callback path ----------------------------------------------


def reference_mend(vocabulary: Vocabulary, value: str, known: object) -> str:
    """Vocabulary.mend before it remembered words (same _split and _closest)."""
    mended = 0

    def fix(match: object) -> str:
        nonlocal mended
        word = match.group(0)  # type: ignore[attr-defined]
        if mended >= MAX_MENDS or len(word) < MIN_WORD or word in vocabulary:
            return word
        if known(word):  # type: ignore[operator]
            return word
        replacement = vocabulary._split(word, known) or vocabulary._closest(word)  # type: ignore[arg-type]
        if replacement is None:
            return word
        mended += 1
        return replacement

    import re

    return re.sub(r"[^\W\d_]+", fix, value)


@settings(max_examples=300, deadline=None)
@given(st.lists(sentences, min_size=1, max_size=4))
def test_mending_remembers_what_it_would_have_done(questions: list[str]) -> None:
    vocabulary = Vocabulary()
    vocabulary.add(["cancel my order", "password reset printer offline", "muscle mass gainer"])
    known = {"massage", "muscle", "mass", "good", "afternoon"}.__contains__
    for question in questions * 2:  # the second time from the memo
        value = question.lower()
        assert vocabulary.mend(value, known) == reference_mend(vocabulary, value, known)


# -- the rapidfuzz shortcuts ------------------------------------------------------------------

terms = st.lists(st.sampled_from(["vpn", "drop", "reset", "password", "my", "i", "how", "do",
                                  "printer", "offlin", "a", "ab", "abc", "zz"]),
                 max_size=6)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(terms, terms)
def test_token_set_ratio_of_disjoint_terms_is_the_ratio_of_their_sorted_lists(
    question: list[str], phrase: list[str]
) -> None:
    line = " ".join(sorted(set(phrase)))  # how a phrasing's analysed terms are stored
    fuzzy = " ".join(question)
    expected = fuzz.token_set_ratio(fuzzy, " ".join(phrase))
    assert fuzz.token_set_ratio(fuzzy, line) == expected
    if question and not set(question) & set(phrase):  # else the real call is made
        shortcut = _cdist(" ".join(sorted(set(question))), [line])[0]
        assert shortcut == pytest.approx(expected, abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(sentences)
def test_a_phrase_line_is_its_sorted_distinct_analysed_terms(value: str) -> None:
    expected = " ".join(sorted(set(text.analyze(value, keep_stopwords=True))))
    assert _phrase_line(value) == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["a", "ab", "b", "vpn", "x", "my"]), max_size=4)))
def test_line_hits_finds_exactly_the_lines_with_the_term(rows: list[list[str]]) -> None:
    lines = [" ".join(sorted(set(row))) for row in rows]
    needles = ["a", "ab", "b", "vpn", "zz", "my"]
    found = _line_hits(lines, needles)
    for needle in needles:
        expected = {i for i, line in enumerate(lines) if needle in line.split()}
        assert found.get(needle, set()) == expected


raws = st.text(alphabet="abcde fgh", max_size=30)


@settings(max_examples=500, deadline=None)
@given(raws, st.lists(raws, min_size=1, max_size=5))
def test_best_partial_is_the_best_partial_ratio(query: str, choices: list[str]) -> None:
    assert _best_partial(query, choices) == max(fuzz.partial_ratio(query, c) for c in choices)


@settings(max_examples=500, deadline=None)
@given(
    st.floats(-20, 20),
    st.floats(-5, 15),
    st.floats(0, 8),
    st.floats(0, 101),
)
def test_a_runner_up_under_the_floor_scores_under_the_threshold(
    gate: float, best_rank: float, gap: float, threshold: float
) -> None:
    t = Tuning()
    floor = _rank_floor(gate, best_rank, threshold, t)
    rank = best_rank - gap
    score = round(100.0 * _sigmoid(gate - t.follow_slope * max(0.0, gap - t.follow_margin)), 1)
    best_score = round(100.0 * _sigmoid(gate), 1)
    if floor == math.inf:
        assert best_score < threshold
    elif rank < floor:
        assert score < threshold


# -- BM25 with numpy weights: the search it replaced -------------------------------------------


def reference_search(index: InvertedIndex, query: dict[str, float], limit: int) -> list[Any]:
    """InvertedIndex.search before its weights were computed with numpy."""
    n = len(index._lengths)
    if not n or limit <= 0:
        return []
    k1, b = index._params.k1, index._params.b
    k1_plus = k1 + 1.0
    norm = k1 * b / (index._total_length / n) if index._total_length else 0.0
    base = k1 * (1.0 - b)
    lengths = index._lengths
    terms = sorted((t for t in query if t in index._docs), key=lambda t: len(index._docs[t]))
    scores: dict[int, float] = {}
    read = 0
    rest = len(terms)
    for rank, term in enumerate(terms):
        docs = index._docs[term]
        if rank and read + len(docs) > index.budget:
            rest = rank
            break
        read += len(docs)
        scale = index.idf(term) * query[term] * k1_plus
        for doc, tf in zip(docs, index._tfs[term], strict=True):
            scores[doc] = scores.get(doc, 0.0) + scale * tf / (tf + base + norm * lengths[doc])
    if rest < len(terms):
        pool = max(index.pool, limit)
        if len(scores) > pool:
            scores = dict(heapq.nlargest(pool, scores.items(), key=lambda item: item[1]))
        for term in terms[rest:]:
            docs, tfs = index._docs[term], index._tfs[term]
            scale = index.idf(term) * query[term] * k1_plus
            for doc in scores:
                i = bisect_left(docs, doc)
                if i < len(docs) and docs[i] == doc:
                    tf = tfs[i]
                    scores[doc] += scale * tf / (tf + base + norm * lengths[doc])
    if len(scores) > limit:
        return heapq.nlargest(limit, scores.items(), key=lambda item: item[1])
    return sorted(scores.items(), key=lambda item: item[1], reverse=True)


@pytest.mark.parametrize("size", [40, 3_000])
def test_bm25_is_the_same_with_numpy_weights(size: int) -> None:
    rng = random.Random(size)
    vocabulary = [f"w{i}" for i in range(300)]
    index = InvertedIndex(Bm25Params(k1=2.0, b=0.75))
    added = []
    for _ in range(size):
        words = rng.choices(vocabulary, weights=[1 / (i + 1) for i in range(300)], k=30)
        added.append(weighted_counts([(words, 1), (words[:4], 3)]))
        index.add(added[-1])
    for doc in rng.sample(range(size), size // 10):
        index.remove(doc, added[doc])
    for _ in range(60):
        query = {w: rng.choice([1.0, 0.5]) for w in rng.sample(vocabulary[:120], 6)}
        for limit in (3, 12, 40):
            assert index.search(query, limit) == reference_search(index, query, limit)
