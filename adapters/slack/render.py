"""Neutral messages → Block Kit. Pure functions, no SDK.

Everything the desk says is plain text. Formatting comes from the message's structure alone:

- ``title``, ``text`` and ``quote`` (where requesters' words go) → ``rich_text`` blocks, whose
  text elements Slack shows literally: ``*bold*``, ``_it_``, backticks and ``<!channel>``
  stay characters, and a requester's words can never break the bold title (mrkdwn has no
  way to escape its formatting characters). Web addresses are separate ``code`` elements:
  shown in full and inert, never a clickable link or a label hiding its target.
- ``fields`` → section fields in ``mrkdwn`` (datetimes as ``<!date^…>`` tokens, so every
  viewer sees their own zone), every value escaped (``&``, ``<``, ``>``) so it pings nobody;
  each row of ``buttons`` → an ``actions`` block.
- Buttons are rendered generically from :class:`bot.messages.Button`: whatever the action,
  its value carries action, ticket and value (see :mod:`adapters.slack.translate`).
- Text over Slack's limits is cut with a marker; the full text stays in the ticket.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from adapters.slack.translate import (
    ACTION_ID_PREFIX,
    PROMPT_BLOCK_ID,
    PROMPT_CALLBACK_ID,
    PROMPT_INPUT_ID,
)
from bot.durations import format_instant
from bot.messages import Action, Message, pack_button, split_links
from bot.views import PROMPTS

# Slack's limits (https://docs.slack.dev/reference/block-kit/blocks)
SECTION_TEXT_LIMIT = 3000
FIELD_TEXT_LIMIT = 2000
FIELDS_PER_SECTION = 10
BLOCKS_LIMIT = 50
ELEMENTS_PER_ACTIONS = 25
BUTTON_LABEL_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
FALLBACK_TEXT_LIMIT = 3000
MODAL_TITLE_LIMIT = 24
CUT_MARKER = "… [cut here; the full text is kept in the ticket]"

Block = dict[str, Any]
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,3}$")


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn gives meaning to."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(escaped: str, limit: int) -> str:
    """Cut already-escaped text to ``limit`` characters with a marker, never mid-entity."""
    if len(escaped) <= limit:
        return escaped
    cut = _PARTIAL_ENTITY.sub("", escaped[: limit - len(CUT_MARKER)])
    return cut + CUT_MARKER


def date_token(instant: datetime, zone: str = "UTC") -> str:
    """``<!date^…>``: Slack shows it in each reader's zone; the fallback uses ``zone``."""
    fallback = format_instant(instant, zone or "UTC")
    return f"<!date^{int(instant.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def plain(text: str, limit: int) -> dict[str, Any]:
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return {"type": "plain_text", "text": text or " ", "emoji": True}


def render_message(message: Message, *, zone: str = "UTC") -> dict[str, Any]:
    """``text`` (the notification fallback) and ``blocks`` for chat.postMessage/update."""
    content = list(_content_blocks(message, zone))
    actions = list(_action_blocks(message))
    room = BLOCKS_LIMIT - len(actions)
    if len(content) > room:
        content = content[: room - 1] + [_section(escape("…") + CUT_MARKER)]
    fallback = truncate(escape(message.plain(zone)), FALLBACK_TEXT_LIMIT) or " "
    return {"text": fallback, "blocks": content + actions}


def _section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(truncate(text, SECTION_TEXT_LIMIT))}


def literal(text: str, *, bold: bool = False) -> list[dict[str, Any]]:
    """Rich text elements showing ``text`` exactly as written; web addresses inert."""
    text = (
        text
        if len(text) <= SECTION_TEXT_LIMIT
        else text[: SECTION_TEXT_LIMIT - len(CUT_MARKER)] + CUT_MARKER
    )
    elements: list[dict[str, Any]] = []
    for piece, link in split_links(text):
        style = {"bold": True} if bold else {}
        if link:
            style["code"] = True
        element: dict[str, Any] = {"type": "text", "text": piece}
        if style:
            element["style"] = style
        elements.append(element)
    return elements


def _rich(*parts: tuple[str, list[dict[str, Any]]]) -> Block:
    """A ``rich_text`` block of (``rich_text_section`` | ``rich_text_quote``, elements)."""
    return {
        "type": "rich_text",
        "elements": [{"type": kind, "elements": elements} for kind, elements in parts if elements],
    }


def _content_blocks(message: Message, zone: str) -> Iterator[Block]:
    if message.title:
        yield _rich(("rich_text_section", literal(message.title, bold=True)))
    if message.text:
        yield _rich(("rich_text_section", literal(message.text)))
    if message.fields:
        cells = [
            mrkdwn(
                truncate(f"*{escape(f.label)}*\n{_field_value(f.value, zone)}", FIELD_TEXT_LIMIT)
            )
            for f in message.fields
        ]
        for start in range(0, len(cells), FIELDS_PER_SECTION):
            yield {"type": "section", "fields": cells[start : start + FIELDS_PER_SECTION]}
    if message.quote:
        author = message.quote_author
        head = [*literal(author, bold=True), {"type": "text", "text": " wrote:"}] if author else []
        yield _rich(("rich_text_section", head), ("rich_text_quote", literal(message.quote)))


def _field_value(value: str | datetime, zone: str) -> str:
    if isinstance(value, datetime):
        return date_token(value, zone)
    return escape(value) or " "


def _action_blocks(message: Message) -> Iterator[Block]:
    for r, row in enumerate(message.buttons):
        elements = [
            {
                "type": "button",
                "action_id": f"{ACTION_ID_PREFIX}{r}:{c}",
                "text": plain(button.label, BUTTON_LABEL_LIMIT),
                "value": pack_button(button)[:BUTTON_VALUE_LIMIT],
            }
            for c, button in enumerate(row[:ELEMENTS_PER_ACTIONS])
        ]
        if elements:
            yield {"type": "actions", "block_id": f"tierdesk-row-{r}", "elements": elements}


# -- the prompt modal ----------------------------------------------------------------------


def prompt_modal(action: Action, ticket: int, metadata: str) -> dict[str, Any]:
    """The modal asking for the reply, reason or note a button needs (``views.open``)."""
    prompt = PROMPTS[action]
    ref = f"#{ticket}"
    return {
        "type": "modal",
        "callback_id": PROMPT_CALLBACK_ID,
        "private_metadata": metadata,
        "title": plain(prompt.title.format(ref=ref), MODAL_TITLE_LIMIT),
        "submit": plain(prompt.submit, MODAL_TITLE_LIMIT),
        "close": plain("Cancel", MODAL_TITLE_LIMIT),
        "blocks": [
            {
                "type": "input",
                "block_id": PROMPT_BLOCK_ID,
                "label": plain(prompt.question.format(ref=ref), 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": PROMPT_INPUT_ID,
                    "multiline": True,
                    "max_length": 3000,
                },
            }
        ],
    }
