"""The knowledge index: words and meaning find candidates, features rank them, a gate decides.

Three stages keep it fast and honest as the knowledge base grows:

1. **Candidates.** The inverted index of :mod:`bot.knowledge.postings` narrows thousands of
   articles to the dozen that share the most (idf-weighted) words with the question; the
   centroid scan of :mod:`bot.knowledge.semantic` adds the few closest in meaning, which may
   share no word at all ("speak french" → "change language").
2. **Ranking.** Each candidate gets a few features that do not depend on how many articles
   there are (:data:`FEATURES`): BM25 relative to the best candidate, the idf share of the
   question's topic words that the article / its best single phrasing (title or keyword) /
   its title contains, how much of the title the question has, rapidfuzz similarities of its
   best phrasing, and the cosine of the question's vector (:mod:`bot.knowledge.vectors`) with
   its closest phrasing and with the article's centroid. A linear combination
   (:data:`RANK_WEIGHTS`) orders them.
3. **Gate.** Whether to show anything at all is a separate decision: a logistic model
   (:data:`GATE_WEIGHTS`) over the best candidate's ranking score, the idf share of the
   question's topic words its article contains, its best fuzzy similarity, the idf share of
   the question's words the knowledge base has never seen, its vector similarities, and how
   far the closest article stands out from the next few (a question the knowledge base does
   not answer is about equally far from many). Its probability, 0..100, is the score; the
   other candidates are shown with the best one when they trail it by less than
   :data:`FOLLOW_MARGIN` in ranking score.

Both weight sets were fitted by ``benchmarks/kb_tune.py`` on CLINC150 ``val``, ``oos_val`` and
``oos_train`` (never ``test``); the features are shares and similarities that do not grow
with the knowledge base, so the same weights serve a 30-article starter kit and a 10 000-article
base (see benchmarks/README.md).
Idf counts the function words of article bodies even though they get no postings, so "how" or
"my" weigh little in a knowledge base of long articles too. A pasted log or long description
is read from its start (:data:`MAX_QUERY_CHARS`), keeping its rarest known words.
"""

from __future__ import annotations

import functools
import math
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process, utils

from bot.knowledge.calibration import (
    Calibration,
    choose_offset,
    held_out_articles,
    held_out_phrasings,
    without_phrasing,
)
from bot.knowledge.chat import SLOT_WORDS, normalize
from bot.knowledge.model import Article, Suggestion
from bot.knowledge.postings import Bm25Params, InvertedIndex, weighted_counts
from bot.knowledge.semantic import SemanticTable
from bot.knowledge.spelling import Vocabulary
from bot.knowledge.text import analyze, is_stopword
from bot.knowledge.vectors import StaticEncoder, Vector, default_encoder

__all__ = ["DEFAULT_THRESHOLD", "KnowledgeIndex", "Tuning"]

DEFAULT_THRESHOLD = 50.0  # the gate's even odds; see GATE_BIAS and benchmarks/README.md
MAX_QUERY_CHARS = 2_000  # only the start of a pasted log or essay is read ...
MAX_QUERY_TERMS = 32  # ... and at most this many distinct words of it, the rarest known first
MAX_FUZZY_CHARS = 300  # character similarity compares only this much (it is quadratic)

# Candidate features, each 0..1, in this order (computed by KnowledgeIndex._candidate).
FEATURES = (
    "bm25",  # BM25 / best candidate's BM25
    "cover",  # idf share of the question's topic words anywhere in the article
    "phrase_cover",  # idf share of the question's topic words in its best single phrasing
    "title_cover",  # ... in its title
    "title_precision",  # idf share of the title's words that are in the question
    "token_set",  # rapidfuzz token_set_ratio, best analysed phrasing
    "ratio",  # rapidfuzz ratio, best raw phrasing
    "partial",  # rapidfuzz partial_ratio, best raw phrasing
    "semantic",  # cosine with the closest phrasing (title or keyword)
    "semantic_gap",  # semantic - the best candidate's semantic (0 for the closest, else < 0)
    "centroid",  # cosine with the article's centroid
)
# Fitted by benchmarks/kb_tune.py (listwise softmax over the shortlist, CLINC150 val).
RANK_WEIGHTS = (1.92, 1.28, 0.48, 0.75, 0.91, 1.26, 1.74, 1.22, 2.12, 2.12, 4.85)
_COVER = FEATURES.index("cover")
_TOKEN_SET = FEATURES.index("token_set")
_SEMANTIC = FEATURES.index("semantic")
_CENTROID = FEATURES.index("centroid")
_PARTIAL = FEATURES.index("partial")
# An upper bound of a rank is summed in another order than the rank, and from a centroid
# cosine that can differ from the exact one in its last bits (< 1e-6): it gets this slack.
_BOUND_SLACK = 1e-4
# Gate: logistic over _gate_features (ranking score, topic cover of the article, token_set,
# unknown share, semantic, best semantic, peak, centroid). Fitted by benchmarks/kb_tune.py on
# CLINC150 val (label: right article among the first three) against oos_val + oos_train
# (weighted to count as much); the bias is then moved so that 0.5 leaves 65 % of those 200
# out-of-scope questions without a suggestion (50 % is the target; the rest is a margin for
# estimating it from 200 questions, whose kind differs from one split to the next).
GATE_WEIGHTS = (0.954, 0.115, 0.890, -0.401, 0.134, 0.209, 1.604, 0.838)
GATE_BIAS = -8.953
FOLLOW_MARGIN = 3.0  # ranking-score gap within which the runners-up share the best's score
FOLLOW_SLOPE = 2.0  # beyond the margin, each unit of gap costs this much gate log-odds
# Acceptance: an article's share of accepted suggestions, as a Bayesian average that starts at
# the knowledge base's own rate (or ACCEPTANCE_PRIOR) and moves only as evidence comes in, so a
# new article is neither buried nor promoted. Its distance from that rate, times
# ACCEPTANCE_WEIGHT, is added to the ranking score: enough to reorder close candidates (the
# runners-up trail by ~1-3 points), not to lift an unrelated article over the right one.
ACCEPTANCE_PRIOR = 0.3  # acceptance rate assumed before anything was shown
ACCEPTANCE_SHOWS = 10  # shows the prior counts as
ACCEPTANCE_WEIGHT = 2.0
# Calibrations of this process by content (articles, tuning, encoder): rebuilding an index of
# the same articles (a test, a reload) reuses the answer instead of asking again.
_CALIBRATIONS: dict[int, Calibration] = {}
_CALIBRATIONS_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class Tuning:
    """Knobs of the engine; the defaults are what benchmarks/kb_tune.py was run with."""

    title_weight: int = 3
    keyword_weight: int = 1
    body_weight: int = 1
    bm25: Bm25Params = field(default_factory=lambda: Bm25Params(k1=2.0, b=0.75))
    candidates: int = 12  # BM25 shortlist that gets the full features
    prefix_len: int = 5  # a word that starts with another of at least this length ...
    prefix_weight: float = 0.5  # ... counts as related at this weight ("nutritional")
    prefix_limit: int = 3  # related words taken per question word
    typo_cutoff: float = 85.0  # rapidfuzz ratio for mapping an unknown word to a known one
    typo_terms: int = 3  # at most this many unknown words are corrected per question
    semantic_candidates: int = 5  # closest centroids added to the shortlist
    peak_rank: int = 4  # "stands out": best centroid cosine minus the one at this rank
    rank_weights: tuple[float, ...] = RANK_WEIGHTS
    gate_weights: tuple[float, ...] = GATE_WEIGHTS
    gate_bias: float = GATE_BIAS
    follow_margin: float = FOLLOW_MARGIN
    follow_slope: float = FOLLOW_SLOPE


@dataclass(frozen=True, slots=True)
class _Entry:
    article: Article
    doc: int
    phrases: str  # title and keywords, analysed, one per line (title first), each line its
    # distinct terms in sorted order: every use is a set of terms (covers, token_set_ratio)
    raws: tuple[str, ...]  # title and keywords, normalised and rapidfuzz-processed


@dataclass(frozen=True, slots=True)
class _Body:
    """An article body as the index reads it: computed once, reused while calibrating."""

    text: str  # normalised
    terms: tuple[str, ...]  # analysed, function words kept
    ids: list[int]  # token ids, for the centroid (shared: never changed)


@functools.lru_cache(maxsize=4096)
def _analysed_body(encoder: StaticEncoder, body: str) -> _Body:
    """Analysing a body is most of what adding an article costs, and the same articles are
    indexed again by every desk a process builds (the CLI, tests): analysed once instead."""
    text = normalize(body)
    terms = tuple(analyze(text, keep_stopwords=True))
    return _Body(text, terms, encoder.token_ids(text))


class _Word(NamedTuple):
    forms: tuple[str, ...]  # index terms that count as this word being present
    idf: float
    topic: bool  # not a stopword
    unknown: bool  # no article has it, not even as a function word of its body


# What a question's term means in this index: indexed?, related words, _Word, stands for.
_TermInfo = tuple[bool, tuple[tuple[str, float], ...], _Word, str]


class _Query(NamedTuple):
    weights: dict[str, float]  # index term → weight (1 for the word itself, less if related)
    words: tuple[_Word, ...]
    fuzzy: str  # the question's words (typos corrected) for token_set_ratio
    raw: str  # the question, rapidfuzz-processed, for ratio and partial_ratio
    unknown: float  # 0..1, idf share of the question's topic words no article has
    text: str  # the part of the question that is read


class _Context(NamedTuple):
    """One question as every candidate is compared with it (the records made per question
    are NamedTuples: a frozen dataclass costs ~1.5 µs to build, a dozen times a question)."""

    parsed: _Query
    vector: Vector
    best_semantic: float  # the best candidate's "semantic" feature
    peak: float  # best centroid cosine minus the one at Tuning.peak_rank


class _Candidate(NamedTuple):
    entry: _Entry
    bm25: float
    features: tuple[float, ...]  # FEATURES, each 0..1
    rank: float  # RANK_WEIGHTS · features


class KnowledgeIndex:
    """Articles searchable by a free-text question; add and remove are incremental.

    Threads: any number of ``search`` calls may run at once (each only reads the index; the
    per-word memos it fills are replaced, never half-written), and so may ``calibrate``,
    which asks its questions of a copy. ``add``, ``remove`` and ``set_feedback`` change the
    index in place and must not run while it is searched: to change an index in service,
    build the next version with :meth:`with_changes` (or change a :meth:`copy`), then swap
    the reference the searches use.
    """

    def __init__(
        self,
        articles: Iterable[Article] = (),
        *,
        threshold: float = DEFAULT_THRESHOLD,
        limit: int = 3,
        tuning: Tuning | None = None,
        encoder: StaticEncoder | None = None,
        calibrate: bool = True,
    ) -> None:
        self.threshold = threshold
        self._calibrate = calibrate
        self._version = 0  # bumped by add and remove; calibration is redone when it moved
        self._calibrated_version = -1
        self.calibration = Calibration()
        self.limit = limit
        self._tuning = tuning or Tuning()
        self._postings = InvertedIndex(self._tuning.bm25)
        self._encoder = encoder or default_encoder()
        self._semantic = SemanticTable(self._encoder)
        self._by_id: dict[str, _Entry] = {}
        self._by_doc: dict[int, _Entry] = {}
        self._vocabulary: list[str] = []
        self._words = Vocabulary()
        self._related_cache: dict[str, tuple[tuple[str, float], ...]] = {}
        self._related_version = -1
        self._term_memo: dict[tuple[str, bool], _TermInfo] = {}
        self._terms_version = -1
        self._titles: dict[int, tuple[tuple[str, ...], tuple[float, ...], float]] = {}
        self._titles_version = -1
        self._feedback: dict[str, tuple[int, int]] = {}  # article id → (shown, accepted)
        self._totals = (0, 0)  # shown, accepted over all articles
        self._lock = threading.Lock()  # one calibration at a time
        for article in articles:
            self.add(article)

    def copy(self) -> KnowledgeIndex:
        """An independent index with the same articles, feedback and calibration, to change
        while this one goes on serving searches.

        Cheap: articles, their analysed phrasings and vectors are shared, and so are the
        postings and the centroid matrix until the copy (or this index) changes them, which
        copies only what it changes (:meth:`InvertedIndex.copy`, :meth:`SemanticTable.copy`).
        """
        other = KnowledgeIndex.__new__(KnowledgeIndex)
        other.threshold = self.threshold
        other._calibrate = self._calibrate
        other._version = self._version
        other._calibrated_version = self._calibrated_version
        other.calibration = self.calibration
        other.limit = self.limit
        other._tuning = self._tuning
        other._postings = self._postings.copy()
        other._encoder = self._encoder
        other._semantic = self._semantic.copy()
        other._by_id = dict(self._by_id)
        other._by_doc = dict(self._by_doc)
        other._vocabulary = self._vocabulary  # replaced, never changed in place
        other._words = self._words.copy()
        other._related_cache = {}
        other._related_version = -1
        other._term_memo = {}
        other._terms_version = -1
        other._titles = {}
        other._titles_version = -1
        other._feedback = dict(self._feedback)
        other._totals = self._totals
        other._lock = threading.Lock()
        return other

    def with_changes(
        self, added: Iterable[Article] = (), removed: Iterable[str] = ()
    ) -> KnowledgeIndex:
        """The next version of this index: a :meth:`copy` with ``removed`` (ids) taken out,
        then ``added`` put in (an article with an id already there replaces it), calibrated
        and ready to search. This index is not changed: searches on it, in any thread, go
        on seeing the old version until the caller swaps the reference.
        """
        new = self.copy()
        for article_id in removed:
            new.remove(article_id)
        for article in added:
            new.add(article)
        if new._calibrate and new._version != new._calibrated_version:
            new.calibrate()
        return new

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._by_id

    def get(self, article_id: str) -> Article | None:
        entry = self._by_id.get(article_id)
        return entry.article if entry is not None else None

    def articles(self) -> list[Article]:
        """Every article, in the order they were (last) added."""
        return [entry.article for entry in self._by_doc.values()]

    def add(self, article: Article) -> None:
        """Index an article, replacing any article with the same id (in place: not while
        this index is searched, see the class docstring)."""
        self._add(article, self._body(article))

    def remove(self, article_id: str) -> None:
        """Forget an article; unknown ids are ignored (in place, like :meth:`add`)."""
        self._remove(article_id, None)

    def set_feedback(self, article_id: str, shown: int, accepted: int) -> None:
        """How often ``article_id`` was suggested and how often that solved it (the desk
        records both); ranking then prefers articles that help, see ACCEPTANCE_WEIGHT."""
        if not 0 <= accepted <= shown:
            raise ValueError(f"feedback for {article_id!r}: shown={shown}, accepted={accepted}")
        old_shown, old_accepted = self._feedback.get(article_id, (0, 0))
        self._feedback[article_id] = (shown, accepted)
        self._totals = (
            self._totals[0] + shown - old_shown,
            self._totals[1] + accepted - old_accepted,
        )

    def acceptance(self, article_id: str) -> float:
        """The Bayesian average acceptance of ``article_id`` (the base rate if never shown)."""
        base = self._base_acceptance()
        shown, accepted = self._feedback.get(article_id, (0, 0))
        return (accepted + ACCEPTANCE_SHOWS * base) / (shown + ACCEPTANCE_SHOWS)

    def _base_acceptance(self) -> float:
        shown, accepted = self._totals
        return (accepted + ACCEPTANCE_SHOWS * ACCEPTANCE_PRIOR) / (shown + ACCEPTANCE_SHOWS)

    def _add(self, article: Article, body: _Body) -> None:
        self._remove(article.id, None)
        texts = [normalize(text) for text in (article.title, *article.keywords)]
        doc = self._postings.add(*self._terms(texts, body))
        raws = tuple(utils.default_process(text) for text in texts)
        entry = _Entry(article, doc, _phrases(texts), raws)
        self._by_id[article.id] = entry
        self._by_doc[doc] = entry
        self._semantic.add(doc, texts, body.ids)
        self._words.add([*texts, body.text])
        self._version += 1

    def _remove(self, article_id: str, body: _Body | None) -> None:
        """``body``: the article's, when the caller has it at hand (calibration does)."""
        entry = self._by_id.pop(article_id, None)
        if entry is None:
            return
        article = entry.article
        body = body or self._body(article)
        texts = [normalize(text) for text in (article.title, *article.keywords)]
        del self._by_doc[entry.doc]
        self._postings.remove(entry.doc, *self._terms(texts, body))
        self._semantic.remove(entry.doc)
        self._words.remove([*texts, body.text])
        self._version += 1

    def _body(self, article: Article) -> _Body:
        return _analysed_body(self._encoder, article.body)

    def search(
        self, query: str, *, limit: int | None = None, threshold: float | None = None
    ) -> list[Suggestion]:
        """Articles answering ``query``, best first; [] when nothing is good enough.

        The best candidate's score is the gate's confidence that the knowledge base answers the
        question; runners-up close to it in the ranking share that score, others get less. Only
        suggestions scoring at least ``threshold`` are returned. Never raises on odd input:
        empty, binary or markup-only text gives []; very long text is read from its start.
        """
        limit = self.limit if limit is None else limit
        threshold = self.threshold if threshold is None else threshold
        if limit <= 0:
            return []
        if self._calibrate and self._version != self._calibrated_version:
            self.calibrate()
        t = self._tuning
        offset = self.calibration.offset

        def floor(context: _Context, best: _Candidate) -> float:
            return _rank_floor(self._gate_logit(context, best) + offset, best.rank, threshold, t)

        ranked = self._ranked(query, limit, exact=limit, floor=floor)
        if ranked is None or not ranked[1]:
            return []
        context, candidates = ranked
        best = candidates[0]
        gate = self._gate_logit(context, best) + offset
        out: list[Suggestion] = []
        for candidate in candidates[:limit]:
            gap = max(0.0, best.rank - candidate.rank - t.follow_margin)
            score = round(100.0 * _sigmoid(gate - t.follow_slope * gap), 1)
            if score < threshold:
                break
            out.append(Suggestion(candidate.entry.article, score))
        return out

    def calibrate(self) -> Calibration:
        """Fit the gate to these articles (:mod:`bot.knowledge.calibration`); ``search`` does
        it by itself the first time after articles were added or removed.

        The held-out questions are asked of a :meth:`copy`, so searches running meanwhile in
        other threads see this index unchanged, with its previous calibration.
        """
        with self._lock:
            version = self._version
            if version == self._calibrated_version and self._calibrated_version >= 0:
                return self.calibration  # done by another thread while this one waited
            articles = [e.article for e in self._by_id.values()]
            key = hash(
                (
                    self._tuning,
                    id(self._encoder),
                    tuple(sorted((a.id, a.title, a.keywords, a.body) for a in articles)),
                )
            )
            known = _CALIBRATIONS.get(key)
            if known is None:  # else the same articles again (a restart, a test): same answer
                known = self.copy()._held_out_calibration(articles)
                with _CALIBRATIONS_LOCK:
                    if len(_CALIBRATIONS) >= 64:
                        _CALIBRATIONS.pop(next(iter(_CALIBRATIONS)))
                    _CALIBRATIONS[key] = known
            self.calibration = known
            self._calibrated_version = version
            return known

    def _held_out_calibration(self, articles: list[Article]) -> Calibration:
        """Ask this index (a scratch copy: it is changed) the held-out questions."""
        bodies: dict[str, _Body] = {}

        def body(article: Article) -> _Body:
            found = bodies.get(article.id)
            if found is None:
                found = bodies[article.id] = self._body(article)
            return found

        negatives: list[float] = []
        for article, questions in held_out_articles(articles):
            self._remove(article.id, body(article))
            negatives.extend(self._held_out_logit(q, article.id)[0] for q in questions)
            self._add(article, body(article))
        positives: list[float] = []
        misses = 0
        for article, text in held_out_phrasings(articles):
            self._remove(article.id, body(article))
            self._add(without_phrasing(article, text), body(article))
            logit, found = self._held_out_logit(text, article.id)
            self._remove(article.id, body(article))
            self._add(article, body(article))
            if found:
                positives.append(logit)
            else:
                misses += 1
        offset = choose_offset(negatives, positives)
        return Calibration(offset, len(positives), misses, len(negatives))

    # -- internals (benchmarks/kb_tune.py reads _ranked and _gate_features) ------------------

    def _held_out_logit(self, question: str, article_id: str) -> tuple[float, bool]:
        """The gate's log-odds (before calibration) for ``question``, and whether
        ``article_id`` is among its first three candidates."""
        ranked = self._ranked(question, exact=3)
        if ranked is None:
            return -math.inf, False
        context, candidates = ranked
        found = article_id in [c.entry.article.id for c in candidates[:3]]
        return self._gate_logit(context, candidates[0]), found

    def _terms(self, texts: list[str], body: _Body) -> tuple[dict[str, int], set[str]]:
        """Field-weighted index terms of the (normalised) title, keywords and body, and the
        body's function words (for idf only)."""
        t = self._tuning
        keyword_terms = (term for kw in texts[1:] for term in _short_text(kw))
        function_words = {term for term in body.terms if is_stopword(term)}
        weighted = weighted_counts(
            (
                (_short_text(texts[0]), t.title_weight),
                (keyword_terms, t.keyword_weight),
                ((term for term in body.terms if term not in function_words), t.body_weight),
            )
        )
        return weighted, function_words

    def _gate_features(self, context: _Context, best: _Candidate) -> tuple[float, ...]:
        f = best.features
        return (
            best.rank,
            f[_COVER],
            f[_TOKEN_SET],
            context.parsed.unknown,
            f[_SEMANTIC],
            context.best_semantic,
            context.peak,
            f[_CENTROID],
        )

    def _gate_logit(self, context: _Context, best: _Candidate) -> float:
        t = self._tuning
        features = self._gate_features(context, best)
        return t.gate_bias + sum(w * f for w, f in zip(t.gate_weights, features, strict=True))

    def _related(self, term: str) -> tuple[tuple[str, float], ...]:
        """Indexed words that probably mean ``term``: one a prefix of the other, or a typo.

        Remembered per term until the indexed terms change: most words of a question were
        in an earlier one, and the typo look-up scans the whole vocabulary."""
        version = self._postings.terms_version
        if version != self._related_version:
            self._related_cache = {}
            self._related_version = version
        found = self._related_cache.get(term)
        if found is None:
            found = tuple(self._find_related(term))
            if len(self._related_cache) < 50_000:
                self._related_cache[term] = found
        return found

    def _find_related(self, term: str) -> list[tuple[str, float]]:
        t = self._tuning
        if len(term) < t.prefix_len or not term.isalpha():
            return []
        if self._postings.vocabulary_changed:
            self._vocabulary = self._postings.vocabulary()
        vocab = self._vocabulary
        out = [
            (term[:size], t.prefix_weight)
            for size in range(len(term) - 1, t.prefix_len - 1, -1)
            if term[:size] in self._postings
        ][: t.prefix_limit]
        i = bisect_left(vocab, term)
        while i < len(vocab) and vocab[i].startswith(term) and len(out) < t.prefix_limit:
            if vocab[i] != term:
                out.append((vocab[i], t.prefix_weight))
            i += 1
        if not out and term not in self._postings:
            hit = process.extractOne(term, vocab, scorer=fuzz.ratio, score_cutoff=t.typo_cutoff)
            if hit is not None:
                out.append((hit[0], hit[1] / 100.0))
        return out

    def _term(self, term: str, may_correct: bool) -> _TermInfo:
        """What a question's term means here: whether it is indexed, its related indexed
        words (looked up for an unknown term only while ``may_correct``), its _Word, and the
        word it stands for. ``_parse`` remembers it per term until the next add or remove."""
        postings = self._postings
        known = term in postings
        related = self._related(term) if known or may_correct else ()
        forms = ((term,) if known else ()) + tuple(other for other, _ in related)
        stands_for = term if known or not forms else forms[0]
        unseen = not forms and postings.document_frequency(term) == 0
        if unseen and term in _SLOT_TERMS:  # "id", "amount": recognised, just not asked about
            word = _Word(forms, postings.idf(stands_for), False, False)
        else:
            word = _Word(forms, postings.idf(stands_for), not is_stopword(term), unseen)
        return (known, related, word, stands_for)

    def _parse(self, query: object) -> _Query | None:
        if not isinstance(query, str):
            return None
        text = normalize(query[:MAX_QUERY_CHARS])
        if not text.strip():
            return None
        text = self._words.mend(text, self._encoder.knows_word)
        try:
            terms = list(dict.fromkeys(analyze(text, keep_stopwords=True)))
            raw = utils.default_process(text[:MAX_FUZZY_CHARS])
        except (ValueError, UnicodeError):  # lone surrogates and the like
            return None
        postings = self._postings
        if len(terms) > MAX_QUERY_TERMS:  # a description or a log: keep its rarest known words
            rare = sorted((t for t in terms if t in postings), key=postings.idf, reverse=True)
            keep = set(rare[:MAX_QUERY_TERMS])
            terms = [t for t in terms if t in keep]
        weights: dict[str, float] = {}
        words: list[_Word] = []
        fuzzy: list[str] = []
        corrected = 0
        typo_terms = self._tuning.typo_terms
        if postings.version != self._terms_version:
            self._term_memo = {}
            self._terms_version = postings.version
        memo = self._term_memo
        for term in terms:
            may_correct = corrected < typo_terms
            info = memo.get((term, may_correct))
            if info is None:
                info = self._term(term, may_correct)
                if len(memo) < 50_000:
                    memo[(term, may_correct)] = info
            known, related, word, stands_for = info
            corrected += not known and may_correct
            if known:
                weights[term] = 1.0
            for other, weight in related:
                weights[other] = max(weights.get(other, 0.0), weight)
            words.append(word)
            fuzzy.append(stands_for)
        if not words:
            return None
        topics = [w for w in words if w.topic] or words  # "where am i" is all function words
        total = sum(w.idf for w in topics)
        missing = sum(w.idf for w in topics if w.unknown)
        unknown_share = missing / total if total > 0 else 0.0
        return _Query(weights, tuple(words), " ".join(fuzzy), raw, unknown_share, text)

    def _ranked(
        self,
        query: object,
        limit: int = 0,
        *,
        exact: int | None = None,
        floor: Callable[[_Context, _Candidate], float] | None = None,
    ) -> tuple[_Context, list[_Candidate]] | None:
        """The question in context and its shortlist, best first; None when there is nothing.

        ``exact``: only that many best candidates are needed (a search shows ``limit``, the
        calibration looks at three); candidates that provably cannot be among them are left
        out, so their most expensive feature is not computed. None: every candidate
        (benchmarks/kb_tune.py fits on all of them). ``floor``: given the best candidate, the
        ranking score under which a candidate is not needed either (a search's threshold);
        +inf when nothing is shown, and if that holds for a ceiling of every candidate the
        shortlist comes back empty.
        """
        parsed = self._parse(query)
        if parsed is None or not self._by_id:
            return None
        t = self._tuning
        hits = self._postings.search(parsed.weights, max(t.candidates, limit))
        vector = self._encoder.encode(parsed.text)
        nearest: list[tuple[int, float]] = []
        if vector.any():
            nearest = self._semantic.nearest(vector, max(t.semantic_candidates, t.peak_rank + 1))
        docs = dict(hits)
        for doc, _ in nearest[: t.semantic_candidates]:
            docs.setdefault(doc, 0.0)
        if not docs:
            return None
        semantic = self._semantic.phrase_similarities(list(docs), vector)
        peak = nearest[0][1] - nearest[min(t.peak_rank, len(nearest) - 1)][1] if nearest else 0.0
        context = _Context(parsed, vector, max(semantic.values()), peak)
        best_bm25 = hits[0][1] if hits else 0.0
        candidates = self._candidates(context, docs, best_bm25, semantic, exact, floor)
        candidates.sort(key=lambda c: (c.rank, c.bm25), reverse=True)
        return context, candidates

    def _candidates(
        self,
        context: _Context,
        docs: dict[int, float],
        best_bm25: float,
        semantic: dict[int, float],
        exact: int | None,
        floor: Callable[[_Context, _Candidate], float] | None = None,
    ) -> list[_Candidate]:
        """Every shortlisted document with its FEATURES, computed for all of them at once.

        What costs is rapidfuzz: ~100 phrasings per question on the starter kit. ``ratio`` is
        one SIMD ``cdist`` over all of them; ``token_set_ratio`` of a phrasing that shares no
        term with the question is the ``ratio`` of the two sorted term lists (so the same
        ``cdist``), and only phrasings that share a term get the real call. ``partial_ratio``
        (~2 µs a phrasing) comes last, best candidate first, and only for candidates that can
        still be among the ones needed: the first ``exact``, none ranked under ``floor``.
        Every feature is exactly what the scorer returns.
        """
        parsed = context.parsed
        postings = self._postings
        probe = _Probe(parsed, postings)
        t = self._tuning
        weights = t.rank_weights
        entries = [self._by_doc[doc] for doc in docs]
        lines: list[str] = []
        line_start: list[int] = []
        raws: list[str] = []
        raw_start: list[int] = []
        for entry in entries:
            line_start.append(len(lines))
            lines.extend(entry.phrases.split("\n"))
            raw_start.append(len(raws))
            raws.extend(entry.raws)
        line_start.append(len(lines))
        raw_start.append(len(raws))

        covers = [0.0] * len(entries)
        titles = [0.0] * len(entries)
        candidates = set(docs)
        having = [  # per topic word, the candidates that have one of its forms anywhere
            set().union(*(postings.having(form, candidates) for form in forms))
            for forms, _ in probe.topics
        ]
        words = set(parsed.fuzzy.split())
        # A phrasing's terms are all indexed, so a term that is not cannot be in one.
        found = _line_hits(lines, [w for w in words | probe.forms if w in postings])
        covered_list = [0.0] * len(lines)
        for forms, idf in probe.topics:  # in topic order, as a per-line sum would add them
            for i in set().union(*(found.get(form, ()) for form in forms)):
                covered_list[i] += idf
        best_covered = [max(covered_list[first:end]) for first, end in pairwise(line_start)]
        # token_set_ratio: lines without a common term are plain ratios of sorted term lists
        token_sets = _cdist(" ".join(sorted(words)), lines)
        for i in set().union(*(found.get(word, ()) for word in words)):
            token_sets[i] = fuzz.token_set_ratio(parsed.fuzzy, lines[i])
        starts = line_start[:-1]
        best_token_sets = np.maximum.reduceat(token_sets, starts).tolist()
        ratios = _cdist(parsed.raw, raws)
        best_ratios = np.maximum.reduceat(ratios, raw_start[:-1]).tolist()
        vector = context.vector
        adjust = self._acceptance_adjustments(entries)
        total = probe.total
        best_semantic = context.best_semantic
        # What each candidate can rank at most: every feature but two exact, partial_ratio at
        # its most (100), the centroid cosine from one product for all (it may differ from
        # the per-article dot product used for the rank in the last bits, hence the slack).
        w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10 = weights
        roughly = self._semantic.centroid_similarities(list(docs), vector)
        pending: list[tuple[float, int]] = []
        for n, (doc, bm25) in enumerate(docs.items()):
            cover = 0.0
            for (_, idf), hit in zip(probe.topics, having, strict=True):
                if doc in hit:
                    cover += idf
            covers[n] = cover
            first = line_start[n]
            titles[n] = probe.precision(*self._title_weights(entries[n]))
            sem = semantic[doc]
            most = (
                w0 * (bm25 / best_bm25 if best_bm25 > 0 else 0.0)
                + w1 * cover / total
                + w2 * best_covered[n] / total
                + w3 * covered_list[first] / total
                + w4 * titles[n]
                + w5 * best_token_sets[n] / 100.0
                + w6 * best_ratios[n] / 100.0
                + w7
                + w8 * sem
                + w9 * (sem - best_semantic)
                + w10 * roughly[n]
                + adjust[n]
            )
            pending.append((most, n))

        if floor is not None and pending and self._ceiling_applies():
            # The best any candidate could do in the gate (each feature at its highest over
            # the shortlist): when even that is not shown, nothing is, and nothing is needed.
            ceiling = [0.0] * len(FEATURES)
            ceiling[_COVER] = max(covers) / total
            ceiling[_TOKEN_SET] = max(best_token_sets) / 100.0
            ceiling[_SEMANTIC] = max(semantic.values())
            ceiling[_CENTROID] = max(roughly) + _BOUND_SLACK
            most = max(item[0] for item in pending) + _BOUND_SLACK
            if floor(context, _Candidate(entries[0], 0.0, tuple(ceiling), most)) == math.inf:
                return []

        needed = len(pending) if exact is None else max(1, exact)
        pending.sort(key=lambda item: item[0], reverse=True)
        centroid = self._semantic.centroid_similarity
        done: list[tuple[int, _Candidate]] = []
        best_ranks: list[float] = []  # the exact ranks so far, best first, at most `needed`
        lowest = -math.inf  # no candidate ranked below this is needed (see ``floor``)
        for most, n in pending:
            bound = most + _BOUND_SLACK
            if floor is not None and best_ranks and bound < best_ranks[0]:
                # No candidate left can rank first: the best is known, and with it the floor.
                best = max(done, key=lambda item: (item[1].rank, item[1].bm25, -item[0]))[1]
                lowest = floor(context, best)
                floor = None
            if bound < lowest:
                break
            if len(best_ranks) >= needed and bound < best_ranks[-1]:
                break  # neither this one nor any after it can be among the first `needed`
            doc = entries[n].doc
            bm25 = docs[doc]
            first = line_start[n]
            sem = semantic[doc]
            features = (
                bm25 / best_bm25 if best_bm25 > 0 else 0.0,
                covers[n] / total,
                best_covered[n] / total,
                covered_list[first] / total,
                titles[n],
                best_token_sets[n] / 100.0,
                best_ratios[n] / 100.0,
                _best_partial(parsed.raw, raws[raw_start[n] : raw_start[n + 1]]) / 100.0,
                sem,
                sem - best_semantic,
                centroid(doc, vector),
            )
            rank = _rank(weights, features)
            if adjust[n]:
                rank = rank + adjust[n]
            done.append((n, _Candidate(entries[n], bm25, features, rank)))
            best_ranks.append(rank)
            best_ranks.sort(reverse=True)
            del best_ranks[needed:]
        done.sort(key=lambda item: item[0])  # shortlist order, which breaks ties as before
        return [candidate for _, candidate in done]

    def _ceiling_applies(self) -> bool:
        """Whether the gate grows with every candidate feature it reads (the shipped weights
        do), so that the highest of each over a shortlist bounds it from above."""
        w = self._tuning.gate_weights
        return min(w[0], w[1], w[2], w[4], w[7]) >= 0

    def _title_weights(self, entry: _Entry) -> tuple[tuple[str, ...], tuple[float, ...], float]:
        """A title's distinct terms, their idf and its idf mass (for ``title_precision``),
        remembered per article until the next add or remove changes the idf."""
        version = self._postings.version
        if version != self._titles_version:
            self._titles = {}
            self._titles_version = version
        found = self._titles.get(entry.doc)
        if found is None:
            terms = tuple(entry.phrases.split("\n", 1)[0].split())
            idfs = tuple(self._postings.idf(term) for term in terms)
            found = self._titles[entry.doc] = (terms, idfs, sum(idfs))
        return found

    def _acceptance_adjustments(self, entries: list[_Entry]) -> list[float]:
        """What each entry's acceptance adds to its ranking score (0 without feedback)."""
        if not self._feedback:
            return [0.0] * len(entries)
        base = self._base_acceptance()
        return [ACCEPTANCE_WEIGHT * (self.acceptance(e.article.id) - base) for e in entries]


class _Probe:
    """What every candidate of one question is compared with, computed once per question."""

    __slots__ = ("_postings", "forms", "parsed", "present", "topics", "total")

    def __init__(self, parsed: _Query, postings: InvertedIndex) -> None:
        self.parsed = parsed
        self._postings = postings
        words = [w for w in parsed.words if w.topic] or list(parsed.words)
        self.topics = [(frozenset(w.forms), w.idf) for w in words if w.forms]
        self.total = sum(w.idf for w in words) or 1.0
        self.present = frozenset(f for w in parsed.words for f in w.forms)
        self.forms = frozenset(f for forms, _ in self.topics for f in forms)

    def precision(self, terms: tuple[str, ...], idfs: tuple[float, ...], mass: float) -> float:
        """Idf share of ``terms`` (a title's, each once, with their ``idfs`` adding up to
        ``mass``) that the question has."""
        if mass <= 0:
            return 0.0
        hit = 0.0
        present = self.present
        for term, idf in zip(terms, idfs, strict=True):
            if term in present:
                hit += idf
        return hit / mass


def _rank_floor(gate: float, best_rank: float, threshold: float, tuning: Tuning) -> float:
    """The ranking score under which a candidate surely scores below ``threshold`` when the
    best candidate has ``best_rank`` and the gate log-odds ``gate`` (see ``search``): +inf
    when even the best is not shown. Conservative: scores are rounded to 0.1."""
    target = threshold - 0.05
    if target <= 0.0:
        return -math.inf
    if target >= 100.0:
        return math.inf
    least = math.log(target / (100.0 - target))  # the log-odds that round to the threshold
    if gate < least - 1e-9:
        return math.inf
    if tuning.follow_slope <= 0:
        return -math.inf
    return best_rank - tuning.follow_margin - (gate - least) / tuning.follow_slope - 1e-6


def _rank(weights: tuple[float, ...], features: tuple[float, ...]) -> float:
    """``sum(w * f)``, added up in the same order as ``sum`` would (so to the same bits)."""
    w0, w1, w2, w3, w4, w5, w6, w7, w8, w9, w10 = weights
    f0, f1, f2, f3, f4, f5, f6, f7, f8, f9, f10 = features
    return (
        0.0
        + w0 * f0
        + w1 * f1
        + w2 * f2
        + w3 * f3
        + w4 * f4
        + w5 * f5
        + w6 * f6
        + w7 * f7
        + w8 * f8
        + w9 * f9
        + w10 * f10
    )


def _cdist(query: str, choices: list[str]) -> npt.NDArray[np.float64]:
    """``fuzz.ratio`` of ``query`` with each choice, in one call (SIMD where rapidfuzz has it)."""
    scores = process.cdist([query], choices, scorer=fuzz.ratio, dtype=np.float64)
    return scores[0]  # type: ignore[no-any-return]


def _line_hits(lines: list[str], terms: Iterable[str]) -> dict[str, set[int]]:
    """For each term, the lines (of distinct space-separated terms) that contain it: one
    ``str.find`` scan of all the lines per term instead of a set per line."""
    text = " " + " \n ".join(lines) + " "
    out: dict[str, set[int]] = {}
    for term in terms:
        needle = f" {term} "
        i = text.find(needle)
        if i < 0:
            continue
        found = out[term] = set()
        step = len(needle) - 1  # the next match may start at this one's closing space
        while i >= 0:
            found.add(text.count("\n", 0, i))
            i = text.find(needle, i + step)
    return out


def _best_partial(query: str, raws: list[str]) -> float:
    """``max(partial_ratio(query, raw) for raw in raws)``; 100 at once when one of the two
    lies whole in the other (its best window is itself), which is common and cheap to see."""
    for raw in raws:
        if raw and query and (raw in query if len(raw) <= len(query) else query in raw):
            return 100.0
    found = process.extractOne(query, raws, scorer=fuzz.partial_ratio)
    return found[1] if found is not None else 0.0


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _short_text(text: str) -> list[str]:
    """Titles and keywords keep their function words: "where am i" is all function words."""
    return analyze(text, keep_stopwords=True)


def _phrase_line(text: str) -> str:
    """A phrasing as its distinct analysed terms, sorted: what ``token_set_ratio`` reads of
    it anyway, so a question's terms can be compared with it without splitting and sorting."""
    return " ".join(sorted(set(_short_text(text))))


def _phrases(texts: list[str]) -> str:
    """Title and keywords (normalised), analysed, one per line; the title's line always comes
    first (even if empty); empty keywords are left out."""
    keywords = (_phrase_line(text) for text in texts[1:])
    return "\n".join((_phrase_line(texts[0]), *(k for k in keywords if k)))


_SLOT_TERMS = frozenset(term for word in SLOT_WORDS for term in analyze(word, keep_stopwords=True))
