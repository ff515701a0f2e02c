"""Typos and run-together words, mended against the words the articles are written in.

"recieved my ordr", "musclemass", "goodafternoon": a word that neither the articles nor the
English vocabulary of the word vectors know is either split into two words that are known
("muscle mass") or replaced by the closest word the articles use (rapidfuzz ``ratio`` at
least :data:`TYPO_CUTOFF`), before the question is analysed and encoded, so both the word
index and the vectors see the mended word. Words the vectors know as whole words ("massage")
are left alone: they are real words, only not the ones the articles use.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable

from rapidfuzz import fuzz, process

__all__ = ["Vocabulary"]

TYPO_CUTOFF = 80.0  # rapidfuzz ratio: one wrong letter in five, or a swap in a long word
MIN_WORD = 4  # shorter words are left alone ("no", "cod", "u")
MIN_PART = 2  # each half of a split word has at least this many letters
MAX_MENDS = 4  # at most this many words are mended per question

_WORD = re.compile(r"[^\W\d_]+")


class Vocabulary:
    """The lower-case words of every article, counted so removing an article is exact."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._sorted: list[str] | None = []
        # word → what mend makes of it (None: left alone), while the words and ``known`` stay
        self._mends: dict[str, str | None] = {}
        self._known: Callable[[str], bool] | None = None

    def copy(self) -> Vocabulary:
        """The same words, counted apart from this vocabulary from now on."""
        other = Vocabulary()
        other._counts = Counter(self._counts)
        other._sorted = self._sorted  # replaced, never changed in place
        other._mends = dict(self._mends)
        other._known = self._known
        return other

    def __contains__(self, word: object) -> bool:
        return word in self._counts

    def add(self, texts: Iterable[str]) -> None:
        before = len(self._counts)
        self._counts.update(w for text in texts for w in _WORD.findall(text.lower()))
        if len(self._counts) != before:
            self._sorted = None
            self._mends = {}

    def remove(self, texts: Iterable[str]) -> None:
        self._counts.subtract(w for text in texts for w in _WORD.findall(text.lower()))
        gone = [w for w, n in self._counts.items() if n <= 0] if self._counts else []
        for word in gone:
            del self._counts[word]
        if gone:
            self._sorted = None
            self._mends = {}

    def mend(self, text: str, known: Callable[[str], bool]) -> str:
        """``text`` (normalised, lower case) with unknown words split or corrected;
        ``known`` says whether a word is a real word even if no article uses it.

        What a word becomes is remembered until the articles' words change: the same words
        come back question after question, and a correction scans every word."""
        if known != self._known:
            self._mends = {}
            self._known = known
        mends = self._mends
        counts = self._counts
        if all(
            len(word) < MIN_WORD or word in counts or (word in mends and mends[word] is None)
            for word in _WORD.findall(text)
        ):
            return text  # nothing to mend (the common case), without a callback per word
        mended = 0

        def fix(match: re.Match[str]) -> str:
            nonlocal mended
            word = match.group(0)
            if mended >= MAX_MENDS or len(word) < MIN_WORD or word in counts:
                return word
            if word in mends:
                replacement = mends[word]
            else:
                replacement = None
                if not known(word):
                    replacement = self._split(word, known) or self._closest(word)
                if len(mends) < 50_000:
                    mends[word] = replacement
            if replacement is None:
                return word
            mended += 1
            return replacement

        return _WORD.sub(fix, text)

    def _split(self, word: str, known: Callable[[str], bool]) -> str | None:
        """Two known words run together, the articles' own words first."""
        best: tuple[int, str] | None = None
        for i in range(MIN_PART, len(word) - MIN_PART + 1):
            left, right = word[:i], word[i:]
            ours = (left in self._counts) + (right in self._counts)
            if ours == 0 and min(len(left), len(right)) < 3:
                continue
            if ours == 2 or (
                known(left)
                if right in self._counts
                else known(right)
                if left in self._counts
                else known(left) and known(right)
            ):
                score = ours * 100 + min(len(left), len(right))  # ours first, then balanced
                if best is None or score > best[0]:
                    best = (score, f"{left} {right}")
        return best[1] if best else None

    def _closest(self, word: str) -> str | None:
        if self._sorted is None:
            self._sorted = sorted(self._counts)
        hit = process.extractOne(word, self._sorted, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF)
        return hit[0] if hit is not None else None
