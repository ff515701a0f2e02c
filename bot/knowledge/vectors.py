"""Sentence vectors from static token vectors: meaning at a cost of microseconds per question.

Shared words miss questions like "speak french" for an article titled "change language". The
table in ``data/static_vectors.npz`` gives each WordPiece token of all-MiniLM-L6-v2 one vector
(distilled by ``benchmarks/kb_vectors.py``); a text's vector is the normalised mean of its
tokens' vectors, so similar questions and articles point the same way. The tokenizer is BERT's
uncased WordPiece, written out here so the index needs numpy and nothing else.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

__all__ = ["DEFAULT_TABLE", "StaticEncoder", "Vector", "basic_words", "default_encoder"]

DEFAULT_TABLE = Path(__file__).resolve().parent / "data" / "static_vectors.npz"
MAX_WORD_CHARS = 100  # BERT's limit: a longer "word" is one unknown token
MAX_TOKENS = 256  # a pasted log is read from its start

Vector = npt.NDArray[np.float32]


def _is_punctuation(ch: str) -> bool:
    code = ord(ch)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(code: int) -> bool:
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0x20000 <= code <= 0x2A6DF
        or 0x2A700 <= code <= 0x2CEAF
        or 0xF900 <= code <= 0xFAFF
        or 0x2F800 <= code <= 0x2FA1F
    )


_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ASCII_WORD = re.compile(r"[a-z0-9]+|[!-/:-@\[-`{-~]")  # every printable non-alnum is punctuation


def basic_words(text: str) -> list[str]:
    """BERT's uncased pre-tokenisation: fold case and accents, split off punctuation."""
    if text.isascii():  # the common case: 7 µs for a 250-character question, 11x faster
        return _ASCII_WORD.findall(_ASCII_CONTROL.sub("", text.lower()))
    text = unicodedata.normalize("NFD", text.lower())
    out: list[str] = []
    word: list[str] = []
    for ch in text:
        code = ord(ch)
        category = unicodedata.category(ch)
        if ch in " \t\n\r" or category == "Zs":  # BERT's whitespace
            if word:
                out.append("".join(word))
                word = []
        elif category == "Mn" or category[0] == "C" or code == 0xFFFD:
            continue  # accents and control characters
        elif _is_punctuation(ch) or _is_cjk(code):
            if word:
                out.append("".join(word))
                word = []
            out.append(ch)
        else:
            word.append(ch)
    if word:
        out.append("".join(word))
    return out


class StaticEncoder:
    """Texts to unit vectors; texts with no known token get the zero vector.

    The table stays as it ships, int8 with one float32 scale per row (7.5 MB instead of
    30 MB as float32, in every process that runs a desk); only the rows a text needs are
    turned into float32, each exactly as ``int8 * scale`` was before, so vectors do not change.
    """

    def __init__(
        self,
        tokens: list[str],
        vectors: npt.NDArray[np.int8] | npt.NDArray[np.float32],
        scales: npt.NDArray[np.float32] | None = None,
    ) -> None:
        """``vectors``: int8 rows with their ``scales``, or float32 rows (scales None)."""
        if scales is not None and len(scales) != len(vectors):
            raise ValueError(f"{len(vectors)} vectors but {len(scales)} scales")
        self._ids = {token: i for i, token in enumerate(tokens)}
        self._rows = vectors if scales is not None else np.asarray(vectors, dtype=np.float32)
        self._scales = None if scales is None else np.asarray(scales, dtype=np.float32)[:, None]
        self.dims = int(vectors.shape[1])
        self._unknown = self._ids.get("[UNK]", -1)
        self._pieces: dict[str, tuple[int, ...]] = {}

    @classmethod
    def load(cls, path: Path = DEFAULT_TABLE) -> StaticEncoder:
        with np.load(path) as data:
            tokens = str(data["tokens"]).split("\n")
            vectors = data["vectors"]
            scales = data["scales"].astype(np.float32)
        if len(tokens) != len(vectors):
            raise ValueError(f"{path}: {len(tokens)} tokens but {len(vectors)} vectors")
        return cls(tokens, vectors, scales)

    @property
    def nbytes(self) -> int:
        """Memory the table itself takes (rows and scales, not the token dictionary)."""
        return int(self._rows.nbytes + (0 if self._scales is None else self._scales.nbytes))

    def dots(self, ids: npt.NDArray[np.int32], query: Vector) -> npt.NDArray[np.float64]:
        """Each token's vector times ``query``, without dequantising its row: the int8 row
        times the query, then its scale. In float64, so that summing these per phrasing stays
        within 1e-7 of the float32 cosine of the summed vector (see SemanticTable)."""
        rows = self._rows[ids].astype(np.float64)
        dots: npt.NDArray[np.float64] = rows @ query.astype(np.float64)
        return dots if self._scales is None else dots * self._scales[ids, 0]

    def rows(self, ids: list[int] | npt.NDArray[np.int32]) -> npt.NDArray[np.float32]:
        """The float32 vectors of token ``ids``, one row each (dequantised on the way)."""
        index = np.asarray(ids, dtype=np.intp)
        if self._scales is None:
            return self._rows[index]  # type: ignore[return-value]
        rows = self._rows[index].astype(np.float32)
        rows *= self._scales[index]
        return rows

    def token_ids(self, text: str) -> list[int]:
        """WordPiece ids of ``text``; a word that cannot be split is dropped, like [UNK]."""
        ids: list[int] = []
        for word in basic_words(text):
            pieces = self._pieces.get(word)
            if pieces is None:
                pieces = self._wordpiece(word)
                if len(self._pieces) < 100_000:
                    self._pieces[word] = pieces
            ids.extend(pieces)
            if len(ids) >= MAX_TOKENS:
                return ids[:MAX_TOKENS]
        return ids

    def knows_word(self, word: str) -> bool:
        """Whether ``word`` (lower case) is one whole token: a real word, not pieces."""
        return word in self._ids

    def encode(self, text: str) -> Vector:
        """The unit vector of ``text``; the zero vector when it has no known token."""
        ids = self.token_ids(text)
        if ids:
            vector = self.rows(ids).sum(axis=0)
            norm = float(np.sqrt(vector.dot(vector)))
            if norm > 0:
                return vector / norm  # type: ignore[no-any-return]
        return np.zeros(self.dims, dtype=np.float32)

    def vectors_of(self, id_lists: list[list[int]]) -> npt.NDArray[np.float32]:
        """One unit row per list of token ids (the zero row for an empty list)."""
        out = np.zeros((len(id_lists), self.dims), dtype=np.float32)
        for row, ids in enumerate(id_lists):
            if ids:
                vector = self.rows(ids).sum(axis=0)
                norm = float(np.sqrt(vector.dot(vector)))  # np.linalg.norm, minus its checks
                if norm > 0:
                    out[row] = vector / norm
        return out

    def _wordpiece(self, word: str) -> tuple[int, ...]:
        if len(word) > MAX_WORD_CHARS:
            return ()
        ids = self._ids
        pieces: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            found = -1
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                found = ids.get(piece, -1)
                if found >= 0:
                    break
                end -= 1
            if found < 0:
                return ()  # BERT makes the whole word [UNK]; its vector carries no meaning
            pieces.append(found)
            start = end
        return tuple(p for p in pieces if p != self._unknown)


@cache
def default_encoder() -> StaticEncoder:
    """The shipped table, loaded once per process (7.5 MB: int8 rows, a scale each)."""
    return StaticEncoder.load()
