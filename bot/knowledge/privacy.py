"""Personal data out of phrasings the knowledge base learns from requesters.

A requester's question that an article answered may become a new phrasing of that article,
seen by every agent who edits it and matched against everybody's questions. It must not carry
the requester's e-mail address, phone number, name or account / order numbers, so
:func:`mask` replaces each with a placeholder naming what was there. The placeholders are
plain words the matcher treats as slots (:data:`bot.knowledge.chat.SLOT_WORDS`), so a masked
phrasing still matches the next "my order 123456 has not arrived".
"""

from __future__ import annotations

import re
import string

__all__ = ["MAX_MASKED", "MAX_PHRASING", "mask", "phrasing"]

MAX_PHRASING = 200  # characters a learned phrasing keeps: a question, not a whole story
MAX_MASKED = 1_000  # characters of a text masked and kept; the patterns below can cost the
# square of a long run's length ("ab-ab-…" of 50 000 characters: 28 s), so the rest goes

_LAST_WORD = re.compile(r"\s\S*\Z")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")  # from a run's start: linear
_MENTION = re.compile(r"<@[\w]+(?:\|[^>]*)?>|(?<![\w@])@[A-Za-z0-9_.]{2,}")  # Slack, Telegram
_PHONE = re.compile(r"(?<![\w+])\+?\d[\d ().-]{7,}\d(?!\w)")
_NUMBER = re.compile(r"\b[A-Za-z#-]*\d[\dA-Za-z-]*\b")
# "my name is Asha Rao", "I am Asha", "this is Rahul Sharma": the capitalised words after.
_NAME = re.compile(
    r"\b(?P<lead>(?i:my name is|my name's|i am|i'm|this is|it's|name:)\s+)"
    r"(?P<name>[A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+){0,2})"
)
# "my name is asha rao" typed in lower case: after these leads the words are a name whatever
# their case (up to two; a word too many costs nothing, a surname kept would leak).
_NAMED = re.compile(
    r"(?i)\b(?P<lead>(?:my name is|my name's|name:)\s+)(?!name\b)[\w'-]+(?:\s+[\w'-]+)?"
)
_NOT_NAMES = frozenset(
    "I Unable Not Facing Having Getting Trying Still Very Also The A An Sorry New Here".split()
)


def _phone(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group(0))
    return "phone" if digits >= 8 else match.group(0)


def _number(match: re.Match[str]) -> str:
    """Four digits or more are an account, order or card number; "covid19" and "4g" stay."""
    token = match.group(0)
    return "id" if sum(ch.isdigit() for ch in token) >= 4 else token


def _name(match: re.Match[str]) -> str:
    first = match.group("name").split()[0]
    if first in _NOT_NAMES:
        return match.group(0)
    return match.group("lead") + "name"


def mask(text: str) -> str:
    """``text`` with e-mail addresses, mentions, phone numbers, long numbers and introduced
    names replaced by ``email``, ``name``, ``phone``, ``id`` and ``name``; cut to its first
    :data:`MAX_MASKED` characters, at a space (a word cut in two might no longer be seen as
    the address or number it was, so it goes)."""
    if len(text) > MAX_MASKED:
        cut = text[: MAX_MASKED + 1]
        last = _LAST_WORD.search(cut)  # the word the cut goes through (or the space after it)
        text = cut[: last.start()] if last else ""
    text = _EMAIL.sub("email", text)
    text = _MENTION.sub("name", text)
    text = _PHONE.sub(_phone, text)
    text = _NUMBER.sub(_number, text)
    text = _NAME.sub(_name, text)
    return _NAMED.sub(lambda m: m.group("lead") + "name", text)


def phrasing(text: str) -> str:
    """A requester's question as the knowledge base may learn it: masked, lower case,
    punctuation trimmed off the words, at most :data:`MAX_PHRASING` characters (cut at a
    word). Two questions that differ only in case, spacing, punctuation or personal data
    give the same phrasing, so their confirmations add up."""
    spaced = " ".join(text.split())  # "My   name is Asha": the name is still found
    words = (w.strip(string.punctuation) for w in mask(spaced).lower().split())
    kept: list[str] = []
    size = 0
    for word in words:
        if not word:
            continue
        if size + len(word) + bool(kept) > MAX_PHRASING:
            break
        kept.append(word)
        size += len(word) + (len(kept) > 1)
    return " ".join(kept)
