"""Understanding free text where a choice was offered ("just me", "2", "asap")."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz import fuzz, process

from bot.settings import Choice

_WORD = re.compile(r"[\w']+")


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def match_choice(text: str, choices: Sequence[Choice]) -> Choice | None:
    """The one choice ``text`` means, or None when it is unclear.

    Tries, in order: a number (1-based), an exact key/label/alias, an alias or label as a
    whole phrase inside the text (only if exactly one choice has one), a close fuzzy match.
    """
    said = _norm(text)
    if not said:
        return None
    if said.isdigit():
        index = int(said) - 1
        return choices[index] if 0 <= index < len(choices) else None
    for choice in choices:
        if said in {_norm(choice.key), _norm(choice.label), *(_norm(a) for a in choice.aliases)}:
            return choice
    padded = f" {said} "
    hits = [
        c
        for c in choices
        if any(f" {p} " in padded for p in map(_norm, (c.label, *c.aliases)) if p)
    ]
    if len(hits) == 1:
        return hits[0]
    if hits:
        return None
    names = {i: _norm(c.label) for i, c in enumerate(choices)}
    best = process.extract(said, names, scorer=fuzz.ratio, limit=2)
    if best and best[0][1] >= 80 and (len(best) == 1 or best[0][1] - best[1][1] >= 10):
        return choices[best[0][2]]
    return None
