"""Article vectors for the knowledge index: a centroid scan finds what shares no word.

Each article gets one centroid, the normalised mean of the vectors of its title, its keywords
and its body (see :mod:`bot.knowledge.vectors`). Looking for candidates scans the centroids
only, one matrix-vector product (0.07 ms at 10 000 articles, 2.2 ms at 100 000). The title
and keywords are kept as token ids and the length of each one's vector, a few hundred bytes,
so 100 000 articles cost ~100 MiB of centroids, not the ~800 MiB that per-phrasing vectors
took. A phrasing's cosine with a question is then the sum of its tokens' dot products with
the question over that stored length: one gather and one product for all the candidates'
phrasings of a question, instead of summing 256-wide rows per phrasing (which cost ~0.5 ms a
question on the starter kit).
"""

from __future__ import annotations

from array import array
from itertools import accumulate

import numpy as np
import numpy.typing as npt

from bot.knowledge.vectors import StaticEncoder, Vector

__all__ = ["SemanticTable"]


class SemanticTable:
    """Vectors per document number; slots of removed documents are reused.

    While their total stays under :attr:`vector_budget`, the phrasings' summed vectors are
    kept as well (a starter kit's take ~0.3 MB), so a question's phrasing cosines are one
    product, computed exactly as before token ids were all that was kept; past the budget
    they are summed from token products as described above.
    """

    vector_budget = 16 * 2**20  # bytes of float32 phrasing vectors kept

    def __init__(self, encoder: StaticEncoder) -> None:
        self._encoder = encoder
        # doc → its phrasings' summed token vectors and their lengths (1 where 0)
        self._vectors: dict[int, tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]] = {}
        self._vector_bytes = 0
        dims = encoder.dims
        self._centroids: npt.NDArray[np.float32] = np.zeros((16, dims), dtype=np.float32)
        self._slot_doc = np.full(16, -1, dtype=np.int64)  # -1: free slot
        self._used = 0  # slots [0, used) have been handed out
        self._free: list[int] = []
        self._slot_of: dict[int, int] = {}
        # doc → (token ids of its phrasings, one after the other; tokens per phrasing; the
        # length of each phrasing's summed vector)
        self._phrases: dict[int, tuple[npt.NDArray[np.int32], tuple[int, ...], array[float]]]
        self._phrases = {}
        self._shared = False  # the centroid arrays are also a copy's until one side writes

    def copy(self) -> SemanticTable:
        """A table with the same vectors; the centroid matrix is shared until either side
        adds or removes a document (that side copies it first), everything else per document
        is never changed in place and stays shared."""
        other = SemanticTable.__new__(SemanticTable)
        other._encoder = self._encoder
        other._vectors = dict(self._vectors)
        other._vector_bytes = self._vector_bytes
        other._centroids = self._centroids
        other._slot_doc = self._slot_doc
        other._used = self._used
        other._free = list(self._free)
        other._slot_of = dict(self._slot_of)
        other._phrases = dict(self._phrases)
        other._shared = self._shared = True
        return other

    def _own(self) -> None:
        if self._shared:
            self._centroids = self._centroids.copy()
            self._slot_doc = self._slot_doc.copy()
            self._shared = False

    def __len__(self) -> int:
        return len(self._slot_of)

    def add(self, doc: int, phrases: list[str], body: str | list[int] = "") -> None:
        """Index ``doc``: its short phrasings (title, keywords) and its body (text or token
        ids), which only shapes the centroid. Texts with no known word are left out."""
        self.remove(doc)
        encoder = self._encoder
        id_lists = [ids for ids in (encoder.token_ids(text) for text in phrases) if ids]
        body_ids = encoder.token_ids(body) if isinstance(body, str) else body
        vectors = encoder.vectors_of([*id_lists, body_ids] if body_ids else id_lists)
        centroid = vectors.mean(axis=0) if len(vectors) else np.zeros(encoder.dims, np.float32)
        norm = float(np.linalg.norm(centroid))
        self._own()
        slot = self._free.pop() if self._free else self._grow()
        self._centroids[slot] = centroid / norm if norm > 0 else centroid
        self._slot_doc[slot] = doc
        self._slot_of[doc] = slot
        flat = np.array([i for ids in id_lists for i in ids], dtype=np.int32)
        lengths = tuple(len(ids) for ids in id_lists)
        norms = array("f")  # float32 like the norms themselves: 4 bytes each, not a float
        if id_lists:
            starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
            sums = np.add.reduceat(encoder.rows(flat), starts, axis=0)
            lengths_of = np.linalg.norm(sums, axis=1)
            norms.frombytes(lengths_of.astype(np.float32).tobytes())
            if self._vector_bytes + sums.nbytes <= self.vector_budget:
                self._vectors[doc] = (sums, np.where(lengths_of > 0, lengths_of, 1.0))
                self._vector_bytes += sums.nbytes
        self._phrases[doc] = (flat, lengths, norms)

    def remove(self, doc: int) -> None:
        slot = self._slot_of.pop(doc, None)
        if slot is None:
            return
        self._own()
        self._centroids[slot] = 0.0
        self._slot_doc[slot] = -1
        self._free.append(slot)
        del self._phrases[doc]
        kept = self._vectors.pop(doc, None)
        if kept is not None:
            self._vector_bytes -= kept[0].nbytes

    def nearest(self, query: Vector, count: int) -> list[tuple[int, float]]:
        """The ``count`` documents whose centroids are closest to ``query``, closest first."""
        if not self._slot_of or count <= 0:
            return []
        used = self._used
        sims = self._centroids[:used] @ query
        if self._free:
            sims[self._slot_doc[:used] < 0] = -2.0
        count = min(count, len(self._slot_of))
        top = np.argpartition(-sims, count - 1)[:count] if count < used else np.arange(used)
        top = top[np.argsort(-sims[top], kind="stable")]
        found = zip(self._slot_doc[top].tolist(), sims[top].tolist(), strict=True)
        return [(doc, sim) for doc, sim in found if doc >= 0]

    def centroid_similarity(self, doc: int, query: Vector) -> float:
        slot = self._slot_of.get(doc)
        return float(self._centroids[slot] @ query) if slot is not None else 0.0

    def centroid_similarities(self, docs: list[int], query: Vector) -> list[float]:
        """:meth:`centroid_similarity` of each document, as one matrix product: the same up to
        the last bits of float32 (the per-document dot product adds up in another order)."""
        slot_of = self._slot_of
        slots = [slot_of.get(doc, -1) for doc in docs]
        sims = (self._centroids[slots] @ query).tolist()
        return [sim if slot >= 0 else 0.0 for slot, sim in zip(slots, sims, strict=True)]

    def phrase_similarities(self, docs: list[int], query: Vector) -> dict[int, float]:
        """For each document, the cosine of ``query`` with its closest title or keyword
        (0 for a document without one), computed for all of them in one pass."""
        kept = self._vectors
        phrases = self._phrases
        owners: list[int] = []
        matrices: list[npt.NDArray[np.float32]] = []
        lengths: list[npt.NDArray[np.float32]] = []
        for doc in docs:
            stored = kept.get(doc)
            if stored is not None:
                owners.append(doc)
                matrices.append(stored[0])
                lengths.append(stored[1])
            elif doc in phrases and phrases[doc][1]:
                return self._summed_similarities(docs, query)  # past the budget
        best: dict[int, float] = {}
        if owners:
            sims = (np.concatenate(matrices) @ query) / np.concatenate(lengths)
            starts = list(accumulate((len(m) for m in matrices[:-1]), initial=0))
            best = dict(zip(owners, np.maximum.reduceat(sims, starts).tolist(), strict=True))
        return {doc: best.get(doc, 0.0) for doc in docs}

    def _summed_similarities(self, docs: list[int], query: Vector) -> dict[int, float]:
        """:meth:`phrase_similarities` from token ids: each phrasing's cosine is the sum of
        its tokens' products with ``query`` over its stored norm."""
        flats: list[npt.NDArray[np.int32]] = []
        lengths: list[int] = []
        norms: list[float] = []
        owners: list[int] = []
        for doc in docs:
            stored = self._phrases.get(doc)
            if stored is not None and stored[1]:
                flats.append(stored[0])
                lengths.extend(stored[1])
                norms.extend(stored[2])
                owners.extend([doc] * len(stored[1]))
        best: dict[int, float] = {}
        if owners:
            ids = np.concatenate(flats)
            starts = np.zeros(len(lengths), dtype=np.intp)
            np.cumsum(lengths[:-1], out=starts[1:])
            # float64: the sum of per-token products then stays within 1e-6 of the float32
            # cosine of the summed vector that this replaced (tests/unit/test_knowledge_unchanged)
            dots = np.add.reduceat(self._encoder.dots(ids, query), starts)
            lengths_of = np.array(norms, dtype=np.float64)
            sims = dots / np.where(lengths_of > 0, lengths_of, 1.0)
            for doc, sim in zip(owners, sims.tolist(), strict=True):
                if sim > best.get(doc, -2.0):
                    best[doc] = sim
        return {doc: best.get(doc, 0.0) for doc in docs}

    def _grow(self) -> int:
        if self._used == len(self._slot_doc):
            size = 2 * len(self._slot_doc)
            centroids = np.zeros((size, self._encoder.dims), dtype=np.float32)
            centroids[: self._used] = self._centroids[: self._used]
            slot_doc = np.full(size, -1, dtype=np.int64)
            slot_doc[: self._used] = self._slot_doc[: self._used]
            self._centroids, self._slot_doc = centroids, slot_doc
        self._used += 1
        return self._used - 1
