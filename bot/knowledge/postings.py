"""An incremental inverted index with BM25 scoring, in pure Python.

It only has to pick a few dozen candidates out of many thousand articles quickly, so it keeps
the layout that is cheap in CPython: per term, two parallel ``array`` columns (document number,
field-weighted term frequency) sorted by document number. Document numbers only grow, so an add
appends and a removal is a bisect plus a C-level delete; that keeps 100 000 articles in tens of
megabytes instead of hundreds with per-posting dicts.
"""

from __future__ import annotations

import heapq
import math
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass
from operator import itemgetter

import numpy as np
import numpy.typing as npt

__all__ = ["Bm25Params", "InvertedIndex", "weighted_counts"]

_TF_MAX = 0xFFFF  # the tf column is unsigned 16-bit
_SECOND = itemgetter(1)


@dataclass(frozen=True, slots=True)
class Bm25Params:
    """BM25 constants: ``k1`` saturates repeated words, ``b`` discounts long documents."""

    k1: float = 1.2
    b: float = 0.75


class InvertedIndex:
    """Term → documents, with the statistics BM25 needs, updated in place (or, after
    :meth:`copy`, copied on the first change of a term)."""

    __slots__ = (
        "_docs",
        "_idf",
        "_length_of",
        "_lengths",
        "_next",
        "_params",
        "_seen",
        "_shared",
        "_terms_version",
        "_tfs",
        "_total_length",
        "_version",
        "_vocab_dirty",
    )

    budget = 3_000  # postings read to find candidates (the rarest term is always read)
    pool = 150  # candidates kept for the commoner terms to score

    def __init__(self, params: Bm25Params | None = None) -> None:
        self._params = params or Bm25Params()
        self._docs: dict[str, array[int]] = {}
        self._tfs: dict[str, array[int]] = {}
        self._lengths: dict[int, int] = {}
        self._length_of = array("q")  # the same by document number, for numpy (0: removed)
        self._seen: Counter[str] = Counter()  # documents that have a term without a posting
        self._total_length = 0
        self._next = 0
        self._vocab_dirty = True
        self._terms_version = 0  # bumped whenever a term appears or vanishes
        self._idf: dict[str, float] = {}  # idf by term until the next add or remove
        self._version = 0  # bumped by every add and remove
        self._shared: set[str] = set()  # terms whose arrays a copy may still be reading

    def copy(self) -> InvertedIndex:
        """An index with the same postings, sharing every term's arrays with this one until
        either side changes that term (then it copies them first): a new version of a large
        index costs a few dictionary copies, not its postings."""
        other = InvertedIndex.__new__(InvertedIndex)
        other._params = self._params
        other._docs = dict(self._docs)
        other._tfs = dict(self._tfs)
        other._lengths = dict(self._lengths)
        other._length_of = array("q", self._length_of)
        other._seen = Counter(self._seen)
        other._total_length = self._total_length
        other._next = self._next
        other._vocab_dirty = True
        other._terms_version = self._terms_version
        other._idf = self._idf  # replaced, never changed, by an add or remove
        other._version = self._version
        self._shared = set(self._docs)
        other._shared = set(self._docs)
        return other

    def _own(self, term: str) -> None:
        """Copy ``term``'s arrays before changing them if a copy of this index shares them."""
        if term in self._shared:
            self._shared.discard(term)
            self._docs[term] = array("q", self._docs[term])
            self._tfs[term] = array("H", self._tfs[term])

    def __len__(self) -> int:
        return len(self._lengths)

    def __contains__(self, term: object) -> bool:
        return term in self._docs

    @property
    def vocabulary_changed(self) -> bool:
        """True once terms appeared or vanished since :meth:`vocabulary` was last called."""
        return self._vocab_dirty

    @property
    def version(self) -> int:
        """Changes with every add and remove (for caches of idf and the like)."""
        return self._version

    @property
    def terms_version(self) -> int:
        """Changes whenever the set of indexed terms does (for caches keyed by term)."""
        return self._terms_version

    def vocabulary(self) -> list[str]:
        """All indexed terms, sorted (for typo correction); resets :attr:`vocabulary_changed`."""
        self._vocab_dirty = False
        return sorted(self._docs)

    def document_frequency(self, term: str) -> int:
        """Documents that contain ``term``, whether or not it was indexed for them."""
        docs = self._docs.get(term)
        return (len(docs) if docs is not None else 0) + self._seen.get(term, 0)

    def idf(self, term: str) -> float:
        """BM25's idf; a term no document has gets the highest value the index can give."""
        idf = self._idf.get(term)
        if idf is None:
            n = len(self._lengths)
            df = self.document_frequency(term)
            idf = math.log(1.0 + (n - df + 0.5) / (df + 0.5))
            if len(self._idf) < 100_000:  # a flood of odd words does not grow it for ever
                self._idf[term] = idf
        return idf

    def add(self, weighted_terms: Mapping[str, int], seen: Iterable[str] = ()) -> int:
        """Index a document given as term → weighted frequency; returns its document number.

        ``seen`` are terms the document also contains but that are not worth a posting (the
        function words of a body): they only count towards document frequency, so "my" or
        "how" get the low idf they deserve in a knowledge base of long articles.
        """
        doc = self._next
        self._next += 1
        self._idf = {}
        self._version += 1
        length = 0
        for term, tf in weighted_terms.items():
            if tf <= 0:
                continue
            length += tf
            docs = self._docs.get(term)
            if docs is None:
                docs = self._docs[term] = array("q")
                self._tfs[term] = array("H")
                self._vocab_dirty = True
                self._terms_version += 1
            elif self._shared and term in self._shared:
                self._own(term)
                docs = self._docs[term]
            docs.append(doc)
            self._tfs[term].append(min(tf, _TF_MAX))
        self._lengths[doc] = length
        self._length_of.append(length)  # doc == its position: numbers are handed out in order
        self._total_length += length
        self._seen.update(set(seen).difference(weighted_terms))
        return doc

    def remove(self, doc: int, terms: Iterable[str], seen: Iterable[str] = ()) -> None:
        """Forget a document; ``terms`` and ``seen`` are the ones it was added with."""
        length = self._lengths.pop(doc, None)
        if length is None:
            return
        self._length_of[doc] = 0
        self._idf = {}
        self._version += 1
        self._total_length -= length
        terms = set(terms)
        for term in set(seen).difference(terms):
            left = self._seen[term] - 1
            if left > 0:
                self._seen[term] = left
            else:
                self._seen.pop(term, None)
        for term in terms:
            docs = self._docs.get(term)
            if docs is None:
                continue
            i = bisect_left(docs, doc)
            if i < len(docs) and docs[i] == doc:
                if self._shared and term in self._shared:
                    self._own(term)
                    docs = self._docs[term]
                del docs[i]
                del self._tfs[term][i]
                if not docs:
                    del self._docs[term]
                    del self._tfs[term]
                    self._shared.discard(term)
                    self._vocab_dirty = True
                    self._terms_version += 1

    def having(self, term: str, docs: Set[int]) -> set[int]:
        """The documents among ``docs`` that have ``term``: a set intersection for a short
        postings list, a bisect per document for a long one."""
        postings = self._docs.get(term)
        if postings is None:
            return set()
        if len(postings) <= 8 * len(docs):
            return docs.intersection(postings)
        return {doc for doc in docs if self.contains(term, doc)}

    def contains(self, term: str, doc: int) -> bool:
        """Whether document ``doc`` has ``term`` (a bisect in its postings)."""
        docs = self._docs.get(term)
        if docs is None:
            return False
        i = bisect_left(docs, doc)
        return i < len(docs) and docs[i] == doc

    def search(self, query: Mapping[str, float], limit: int) -> list[tuple[int, float]]:
        """The ``limit`` best (document, BM25) pairs for term → query weight (scales idf).

        Work is bounded whatever the index size: the rarest terms find candidates until about
        :attr:`budget` postings were read; the shortlist is then cut to :attr:`pool` documents
        and the commoner terms ("how", "my", "account") only add to those, by bisection. On a
        small index nothing is cut and the scores are exact BM25.
        """
        n = len(self._lengths)
        if not n or limit <= 0:
            return []
        k1 = self._params.k1
        b = self._params.b
        k1_plus = k1 + 1.0
        norm = k1 * b / (self._total_length / n) if self._total_length else 0.0
        base = k1 * (1.0 - b)
        lengths = np.frombuffer(self._length_of, dtype=np.int64)
        terms = sorted((t for t in query if t in self._docs), key=lambda t: len(self._docs[t]))
        scores: dict[int, float] = {}
        read = 0
        rest = len(terms)
        for rank, term in enumerate(terms):
            docs = self._docs[term]
            if rank and read + len(docs) > self.budget:
                rest = rank
                break
            read += len(docs)
            scale = self.idf(term) * query[term] * k1_plus
            get = scores.get
            weights = _weights(docs, self._tfs[term], scale, base, norm, lengths)
            for doc, weight in zip(docs, weights, strict=True):
                scores[doc] = get(doc, 0.0) + weight
        if rest < len(terms):
            pool = max(self.pool, limit)
            if len(scores) > pool:
                scores = dict(heapq.nlargest(pool, scores.items(), key=_SECOND))
            kept = list(scores)
            kept_np = np.array(kept, dtype=np.int64)
            for term in terms[rest:]:
                docs = self._docs[term]
                tfs = self._tfs[term]
                size = len(docs)
                scale = self.idf(term) * query[term] * k1_plus
                if size < 8 * len(scores):  # reading the postings is cheaper than bisecting
                    weights = _weights(docs, tfs, scale, base, norm, lengths)
                    for doc, weight in zip(docs, weights, strict=True):
                        if doc in scores:
                            scores[doc] += weight
                    continue
                # Bisect every kept document into the postings, all at once.
                docs_np = np.frombuffer(docs, dtype=np.int64)
                at = np.searchsorted(docs_np, kept_np)
                found = np.flatnonzero(docs_np[np.minimum(at, size - 1)] == kept_np)
                tf = np.frombuffer(tfs, dtype=np.uint16)[at[found]].astype(np.float64)
                weight = scale * tf / (tf + base + norm * lengths[kept_np[found]])
                for i, value in zip(found.tolist(), weight.tolist(), strict=True):
                    scores[kept[i]] += value
        if len(scores) > limit:
            return heapq.nlargest(limit, scores.items(), key=_SECOND)
        return sorted(scores.items(), key=_SECOND, reverse=True)


def _weights(
    docs: array[int],
    tfs: array[int],
    scale: float,
    base: float,
    norm: float,
    lengths: npt.NDArray[np.int64],
) -> list[float]:
    """Each posting's BM25 weight, ``scale * tf / (tf + base + norm * length)``: in numpy
    for a long postings list (the same float64 operations in the same order, so the same
    bits), in Python for a short one, where numpy's per-call cost would dominate."""
    if len(docs) < 32:
        return [
            scale * tf / (tf + base + norm * int(lengths[doc]))
            for doc, tf in zip(docs, tfs, strict=True)
        ]
    tf = np.frombuffer(tfs, dtype=np.uint16).astype(np.float64)
    length = lengths[np.frombuffer(docs, dtype=np.int64)]
    return (scale * tf / (tf + base + norm * length)).tolist()  # type: ignore[no-any-return]


def weighted_counts(fields: Iterable[tuple[Iterable[str], int]]) -> Counter[str]:
    """Field-weighted term frequencies: each (terms, weight) adds ``weight`` per occurrence."""
    counts: Counter[str] = Counter()
    for terms, weight in fields:
        for term in terms:
            counts[term] += weight
    return counts
