"""Neutral message → Telegram HTML text chunks and a reply markup. Pure: no network, no bot.

Every piece of text from the desk is escaped with :func:`html.escape`; formatting comes
from the message's structure alone (bold title, bold field labels, a blockquote for
relayed user text), so ``<b>``, ``<a href=…>`` or ``&`` typed by a user arrive as text.
Web addresses go in ``<code>``: shown in full, but inert (Telegram links a bare address in
a bot's message, and a requester's link must not look like one the desk vouches for).

Telegram takes at most 4096 characters per message. Long messages are split on line or
word boundaries into several chunks (the keyboard rides on the last one); a message that
must stay one message (a card edited in place) is cut with a marker instead. Either way
the full text stays in the ticket. Lengths are counted in UTF-16 code units of the HTML
source, which is never less than what Telegram counts.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup

from adapters.telegram.callback_data import LongValues, encode
from bot.messages import Message, split_links

MAX_TEXT = 4096
CUT_MARKER = "\n… (shortened for Telegram; the full text is kept in the ticket)"
CUT_POINTER = "\n… (shortened for Telegram; {where} has the full text)"
MIN_PIECE = 200  # a split segment starts in the current chunk only if this much room is left

ReplyMarkup = InlineKeyboardMarkup | ForceReply


@dataclass(frozen=True, slots=True)
class Rendered:
    """What to send: HTML chunks in order, and the markup for the last one."""

    chunks: tuple[str, ...]
    reply_markup: ReplyMarkup | None = None


@dataclass(frozen=True, slots=True)
class _Segment:
    """One block of output: fixed HTML around user text that may be split."""

    raw: str
    open: str = ""
    close: str = ""

    def pieces(self, limit: int, first: int | None = None) -> list[str]:
        """The segment as HTML pieces of at most ``limit`` units. One too long for a whole
        message starts with a piece of ``first`` units (the room left in the chunk being
        filled) when that room is worth using."""
        whole = self.open + literal(self.raw) + self.close
        if units(whole) <= limit:
            return [whole]
        frame = units(self.open) + units(self.close)
        budget = max(limit - frame, 16)
        head = budget if first is None or first - frame < MIN_PIECE else first - frame
        pieces = split_text(self.raw, budget, head, _link_costs(self.raw))
        return [self.open + literal(p.rstrip("\n")) + self.close for p in pieces]


def esc(text: str) -> str:
    """Escape user or desk text for Telegram's HTML parse mode."""
    return html.escape(text, quote=True)


_CODE = ("<code>", "</code>")


def literal(text: str) -> str:
    """Text for Telegram's HTML parse mode as written: escaped, web addresses inert."""
    return "".join(
        _CODE[0] + esc(piece) + _CODE[1] if link else esc(piece)
        for piece, link in split_links(text)
    )


def _link_costs(raw: str) -> dict[int, int]:
    """Extra units at the index where each web address starts: its ``<code>`` tags."""
    costs, at = {}, 0
    for piece, link in split_links(raw):
        if link:
            costs[at] = units("".join(_CODE))
        at += len(piece)
    return costs


def units(text: str) -> int:
    """Length in UTF-16 code units, as Telegram counts."""
    return len(text.encode("utf-16-le")) // 2


def split_text(
    raw: str, budget: int, first: int | None = None, extra: Mapping[int, int] | None = None
) -> list[str]:
    """Pieces of ``raw`` whose escaped length fits ``budget`` (the first one ``first``),
    cut after a newline (else a space) in the second half of a piece when there is one.
    ``extra``: more units charged at some indexes (markup :func:`literal` adds there)."""
    extra = extra or {}
    pieces: list[str] = []
    start = 0
    while start < len(raw):
        budget_now = first if first is not None and not pieces else budget
        used, end, newline, space = 0, start, -1, -1
        while end < len(raw):
            cost = units(esc(raw[end])) + extra.get(end, 0)
            if used + cost > budget_now:
                break
            used += cost
            if raw[end] == "\n":
                newline = end
            elif raw[end] == " ":
                space = end
            end += 1
        if end < len(raw):
            half = start + (end - start) // 2
            cut = newline if newline >= half else space if space >= half else -1
            if cut >= 0:
                end = cut + 1
        end = max(end, start + 1)
        pieces.append(raw[start:end])
        start = end
    return pieces


def mention(user_id: str, label: str) -> str:
    """A link that mentions a user by id (works without a username)."""
    return f'<a href="tg://user?id={esc(user_id)}">{esc(label)}</a>'


def segments(
    message: Message, *, zone: str, now: datetime | None, for_user: str = "", for_name: str = ""
) -> list[_Segment]:
    out: list[_Segment] = []
    if for_user:
        out.append(_Segment("", open="👤 " + mention(for_user, for_name or for_user) + ":"))
    if message.title:
        out.append(_Segment(message.title, "<b>", "</b>"))
    if message.text:
        out.append(_Segment(message.text))
    for item in message.fields:
        out.append(_Segment(item.shown(zone, now), f"<b>{esc(item.label)}:</b> "))
    if message.quote:
        if message.quote_author:
            out.append(_Segment(f"{message.quote_author} wrote:", "<i>", "</i>"))
        out.append(_Segment(message.quote, "<blockquote>", "</blockquote>"))
    return out


def pack(
    parts: list[_Segment],
    *,
    limit: int = MAX_TEXT,
    single: bool = False,
    marker: str = CUT_MARKER,
) -> list[str]:
    """Join segments with newlines into chunks of at most ``limit`` units.

    ``single``: one chunk, cut with ``marker`` if the whole does not fit.
    """
    budget = limit - units(esc(marker)) if single else limit
    chunks: list[str] = []
    current = ""
    for segment in parts:
        room = budget - units(current) - 1 if current else budget
        for piece in segment.pieces(budget, room):
            candidate = f"{current}\n{piece}" if current else piece
            if units(candidate) <= budget:
                current = candidate
            else:
                chunks.append(current)
                current = piece
    if current or not chunks:
        chunks.append(current)
    if single and len(chunks) > 1:
        return [chunks[0] + esc(marker)]
    return chunks


def keyboard(message: Message, long_values: LongValues | None) -> InlineKeyboardMarkup | None:
    """Inline buttons drawn from the message's neutral buttons, whatever their action."""
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    button.label or button.action.name.title(),
                    callback_data=encode(button, long_values),
                )
                for button in row
            ]
            for row in message.buttons
            if row
        ]
    )


def render(
    message: Message,
    *,
    zone: str,
    now: datetime | None = None,
    long_values: LongValues | None = None,
    for_user: str = "",
    for_name: str = "",
    single: bool = False,
    limit: int = MAX_TEXT,
    rest_at: str = "",
) -> Rendered:
    """HTML chunks and markup for one neutral message.

    ``for_user``: the message is meant for one member of a group (Telegram has no
    ephemeral messages): it names them (``for_name``) in a mention, and a prompt for text
    gets a selective ``ForceReply`` so only they are asked to answer. ``single``: never
    split (edits); a cut says where the whole text is when ``rest_at`` names it
    (``/show 42``).
    """
    parts = segments(message, zone=zone, now=now, for_user=for_user, for_name=for_name)
    marker = CUT_POINTER.format(where=rest_at) if rest_at else CUT_MARKER
    chunks = [c for c in pack(parts, limit=limit, single=single, marker=marker) if c] or ["…"]
    markup: ReplyMarkup | None = keyboard(message, long_values)
    if markup is None and for_user and message.expects_reply:
        markup = ForceReply(selective=True)
    return Rendered(tuple(chunks), markup)
