"""Text normalisation shared by indexing and querying.

Articles and questions go through the same steps so that "Can't connect to the Wi-Fi!!" and
"wifi connection" meet: Unicode folding, contractions, word splitting, a light English
stemmer (plurals, -ing, -ed, final e), the IT synonyms of :mod:`bot.knowledge.lexicon`, and
stopword removal. A real stemmer (Porter, Snowball) would be a new dependency for little gain
on short helpdesk questions.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from bot.knowledge.lexicon import PHRASE_SYNONYMS, STOPWORDS, WORD_SYNONYMS

__all__ = ["analyze", "is_stopword", "stem"]

MAX_TOKEN_LEN = 40  # longer "words" are hashes, base64 or keyboard mashing

_WORD = re.compile(r"[^\W_]+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_CONTRACTIONS = (
    (re.compile(r"\bcan'?t\b"), "cannot"),
    (re.compile(r"\bwon'?t\b"), "will not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'(?:s|re|m|ve|ll|d)\b"), ""),
)
_VOWELS = frozenset("aeiouy")
_UNDOUBLE_KEEP = frozenset("lsz")


def _has_vowel(word: str) -> bool:
    return any(ch in _VOWELS for ch in word)


def _after_suffix(word: str) -> str:
    """Tidy a stem after -ing/-ed: "runn" → "run", "mak" → "make" (as Porter does)."""
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in _UNDOUBLE_KEEP:
        return word[:-1]
    if (
        len(word) == 3
        and word[0] not in _VOWELS
        and word[1] in _VOWELS
        and word[2] not in _VOWELS
        and word[2] not in "wx"
    ):
        return word + "e"
    return word


def stem(word: str) -> str:
    """Strip common English suffixes so inflections of a word share one index term.

    Deliberately light: plurals, -ing, -ed and a final "e" (so "share", "shares", "shared"
    and "sharing" all become "shar"); it never has to produce a real word, only a consistent
    one.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "shes", "ches", "xes", "zes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is", "os")):
        word = word[:-1]
    elif word.endswith("ing") and len(word) > 5 and _has_vowel(word[:-3]):
        word = _after_suffix(word[:-3])
    elif word.endswith("ed") and not word.endswith("eed") and len(word) > 4:
        if _has_vowel(word[:-2]):
            word = _after_suffix(word[:-2])
    if len(word) > 4 and word.endswith("e"):
        word = word[:-1]
    return word


def _build_stem_synonyms() -> dict[str, str]:
    table: dict[str, str] = {}
    for raw, target in WORD_SYNONYMS.items():
        table[raw] = stem(target)
        table.setdefault(stem(raw), stem(target))
    return table


_SYNONYMS = _build_stem_synonyms()
_PHRASES = {
    tuple(stem(w) for w in words): stem(target) for words, target in PHRASE_SYNONYMS.items()
}
_PHRASE_LENGTHS = sorted({len(words) for words in _PHRASES}, reverse=True)
_PHRASE_STARTS = frozenset(words[0] for words in _PHRASES)
_ARTICLES = frozenset(("a", "an", "the", "to", "of", "is", "are", "be"))
_STOP_STEMS = frozenset(stem(w) for w in STOPWORDS) | STOPWORDS


@functools.lru_cache(maxsize=65_536)
def _term(raw: str) -> str:
    """A word's index term (remembered: every question and article repeats common words)."""
    mapped = _SYNONYMS.get(raw)
    if mapped is not None:
        return mapped
    stemmed = stem(raw)
    return _SYNONYMS.get(stemmed, stemmed)


def _merge_phrases(terms: list[str]) -> list[str]:
    if _PHRASE_STARTS.isdisjoint(terms):  # the common case: no phrase can start anywhere
        return terms
    out: list[str] = []
    i = 0
    while i < len(terms):
        if terms[i] not in _PHRASE_STARTS:
            out.append(terms[i])
            i += 1
            continue
        for size in _PHRASE_LENGTHS:
            target = _PHRASES.get(tuple(terms[i : i + size]))
            if target is not None:
                out.append(target)
                i += size
                break
        else:
            out.append(terms[i])
            i += 1
    return out


def is_stopword(term: str) -> bool:
    """True for an analysed term that carries no topic ("how", "my", "please")."""
    return term in _STOP_STEMS


def analyze(text: str, *, keep_stopwords: bool = False) -> list[str]:
    """Turn text into index terms, in order, duplicates kept (BM25 counts them).

    ``keep_stopwords`` keeps all but articles: in short phrasings "where am i" or "what can
    you do" the function words are what tells questions apart.
    """
    text = unicodedata.normalize("NFKC", text).casefold().translate(_APOSTROPHES)
    if "'" in text or "cant" in text or "wont" in text:  # else no contraction can match
        for pattern, replacement in _CONTRACTIONS:
            text = pattern.sub(replacement, text)
    raw = [w for w in _WORD.findall(text) if len(w) <= MAX_TOKEN_LEN]
    terms = _merge_phrases([_term(w) for w in raw])
    if keep_stopwords:
        return [t for t in terms if t not in _ARTICLES]
    return [t for t in terms if t not in _STOP_STEMS]
