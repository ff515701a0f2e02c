"""The knowledge index: BM25 picks candidates, rapidfuzz ranks them, one calibrated score.

Two stages keep it fast as the knowledge base grows: the inverted index of
:mod:`bot.knowledge.postings` narrows thousands of articles to a few dozen that share words
with the question, then rapidfuzz compares the question with each candidate's title and
keywords. The score shown to users (0..100) mixes measures that do not depend on how many
articles there are: BM25 relative to the best candidate (the ranking), the idf share of the
question's topic words and of all its words that the article contains, and the fuzzy
similarity of its best title/keyword phrase. So one threshold works for a 30-article starter
kit and a 10 000-article base alike, and "what's the weather on mars" gets nothing.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from bot.knowledge.model import Article, Suggestion
from bot.knowledge.postings import Bm25Params, InvertedIndex, weighted_counts
from bot.knowledge.text import analyze, is_stopword

__all__ = ["DEFAULT_THRESHOLD", "KnowledgeIndex", "Tuning"]

DEFAULT_THRESHOLD = 53.0  # ~55% of CLINC150 oos_val get nothing; see benchmarks/README.md
MAX_QUERY_CHARS = 2_000  # longer text is a pasted log or an essay, not a question
MAX_QUERY_TERMS = 32


@dataclass(frozen=True, slots=True)
class Tuning:
    """Weights of the ranking; the defaults are what benchmarks/kb_quality.py justifies."""

    title_weight: int = 3
    keyword_weight: int = 1
    body_weight: int = 1
    bm25: Bm25Params = field(default_factory=lambda: Bm25Params(k1=2.0, b=0.75))
    candidates: int = 30  # BM25 shortlist handed to rapidfuzz
    relative_weight: float = 0.2  # share of the score from BM25 relative to the best candidate
    topic_weight: float = 0.2  # ... from the idf share of the question's topic words it has
    word_weight: float = 0.2  # ... from the idf share of all the question's words it has
    fuzzy_weight: float = 0.4  # ... from rapidfuzz similarity of the best title/keyword phrase
    prefix_len: int = 5  # a word that starts with another of at least this length ...
    prefix_weight: float = 0.5  # ... counts as related at this weight ("nutritional")
    prefix_limit: int = 3  # related words taken per question word
    typo_cutoff: float = 85.0  # rapidfuzz ratio for mapping an unknown word to a known one
    typo_terms: int = 3  # at most this many unknown words are corrected per question


@dataclass(frozen=True, slots=True)
class _Entry:
    article: Article
    doc: int
    phrases: str  # title and keywords, analysed, one per line


@dataclass(frozen=True, slots=True)
class _Candidate:
    entry: _Entry
    bm25: float
    topics: float  # 0..1, idf share of the question's topic words found
    words: float  # 0..1, idf share of all the question's words found
    fuzzy: float  # 0..100


@dataclass(frozen=True, slots=True)
class _Word:
    forms: tuple[str, ...]  # index terms that count as this word being present
    idf: float
    topic: bool  # not a stopword


@dataclass(frozen=True, slots=True)
class _Query:
    weights: dict[str, float]  # index term → weight (1 for the word itself, less if related)
    words: tuple[_Word, ...]
    fuzzy: str  # the question's words (typos corrected) for rapidfuzz


class KnowledgeIndex:
    """Articles searchable by a free-text question; add and remove are incremental."""

    def __init__(
        self,
        articles: Iterable[Article] = (),
        *,
        threshold: float = DEFAULT_THRESHOLD,
        limit: int = 3,
        tuning: Tuning | None = None,
    ) -> None:
        self.threshold = threshold
        self.limit = limit
        self._tuning = tuning or Tuning()
        self._postings = InvertedIndex(self._tuning.bm25)
        self._by_id: dict[str, _Entry] = {}
        self._by_doc: dict[int, _Entry] = {}
        self._vocabulary: list[str] = []
        for article in articles:
            self.add(article)

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
        """Index an article, replacing any article with the same id."""
        self.remove(article.id)
        doc = self._postings.add(self._weighted_terms(article))
        entry = _Entry(article, doc, _phrases(article))
        self._by_id[article.id] = entry
        self._by_doc[doc] = entry

    def remove(self, article_id: str) -> None:
        """Forget an article; unknown ids are ignored."""
        entry = self._by_id.pop(article_id, None)
        if entry is None:
            return
        del self._by_doc[entry.doc]
        self._postings.remove(entry.doc, self._weighted_terms(entry.article))

    def search(
        self, query: str, *, limit: int | None = None, threshold: float | None = None
    ) -> list[Suggestion]:
        """Articles answering ``query``, best first; [] when nothing is good enough.

        Never raises on odd input: empty, huge, binary or markup-only text gives [].
        """
        limit = self.limit if limit is None else limit
        threshold = self.threshold if threshold is None else threshold
        if limit <= 0:
            return []
        candidates = self._candidates(query)
        if not candidates:
            return []
        best_bm25 = candidates[0].bm25
        scored = sorted(
            ((self._score(c, best_bm25), c.bm25, c) for c in candidates),
            key=lambda item: (item[0], item[1]),
            reverse=True,
        )
        shown = ((round(score, 1), c) for score, _, c in scored[:limit])
        return [Suggestion(c.entry.article, score) for score, c in shown if score >= threshold]

    # -- internals ---------------------------------------------------------------------------

    def _weighted_terms(self, article: Article) -> dict[str, int]:
        t = self._tuning
        keyword_terms = (term for kw in article.keywords for term in _short_text(kw))
        return weighted_counts(
            (
                (_short_text(article.title), t.title_weight),
                (keyword_terms, t.keyword_weight),
                (analyze(article.body), t.body_weight),
            )
        )

    def _score(self, candidate: _Candidate, best_bm25: float) -> float:
        t = self._tuning
        relative = candidate.bm25 / best_bm25 if best_bm25 > 0 else 0.0
        return 100.0 * (
            t.relative_weight * relative
            + t.topic_weight * candidate.topics
            + t.word_weight * candidate.words
            + t.fuzzy_weight * candidate.fuzzy / 100.0
        )

    def _related(self, term: str) -> list[tuple[str, float]]:
        """Indexed words that probably mean ``term``: one a prefix of the other, or a typo."""
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

    def _parse(self, query: object) -> _Query | None:
        if not isinstance(query, str) or len(query) > MAX_QUERY_CHARS or not query.strip():
            return None
        try:
            terms = list(dict.fromkeys(analyze(query, keep_stopwords=True)))[:MAX_QUERY_TERMS]
        except (ValueError, UnicodeError):  # lone surrogates and the like
            return None
        postings = self._postings
        weights: dict[str, float] = {}
        words: list[_Word] = []
        fuzzy: list[str] = []
        unknown = 0
        for term in terms:
            known = term in postings
            related: list[tuple[str, float]] = []
            if known or unknown < self._tuning.typo_terms:
                unknown += not known
                related = self._related(term)
            if known:
                weights[term] = 1.0
            for other, weight in related:
                weights[other] = max(weights.get(other, 0.0), weight)
            forms = ((term,) if known else ()) + tuple(other for other, _ in related)
            stands_for = term if known or not forms else forms[0]
            words.append(_Word(forms, postings.idf(stands_for), not is_stopword(term)))
            fuzzy.append(stands_for)
        if not weights:
            return None
        return _Query(weights, tuple(words), " ".join(fuzzy))

    def _candidates(self, query: object) -> list[_Candidate]:
        parsed = self._parse(query)
        if parsed is None or not self._by_id:
            return []
        postings = self._postings
        total_words = sum(w.idf for w in parsed.words)
        total_topics = sum(w.idf for w in parsed.words if w.topic)
        out: list[_Candidate] = []
        for doc, bm25 in postings.search(parsed.weights, self._tuning.candidates):
            entry = self._by_doc[doc]
            words = topics = 0.0
            for word in parsed.words:
                if any(postings.contains(form, doc) for form in word.forms):
                    words += word.idf
                    if word.topic:
                        topics += word.idf
            fuzzy = max(
                (fuzz.token_set_ratio(parsed.fuzzy, p) for p in entry.phrases.split("\n")),
                default=0.0,
            )
            out.append(
                _Candidate(
                    entry,
                    bm25,
                    topics / total_topics if total_topics > 0 else 0.0,
                    words / total_words if total_words > 0 else 0.0,
                    fuzzy,
                )
            )
        return out


def _short_text(text: str) -> list[str]:
    """Titles and keywords keep their function words: "where am i" is all function words."""
    return analyze(text, keep_stopwords=True)


def _phrases(article: Article) -> str:
    lines = (" ".join(_short_text(text)) for text in (article.title, *article.keywords))
    return "\n".join(line for line in lines if line)
