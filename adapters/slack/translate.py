"""Slack payloads → desk events. Pure functions: no SDK, no I/O, tested on plain dicts.

Every event carries an id that is stable for one delivery, so Slack's retries
(``X-Slack-Retry-Num``) and redeliveries are recognised once by the desk:

- Events API: the envelope's ``event_id`` (the same on every retry);
- interactivity: ``act:`` + the ``trigger_id`` Slack mints for each press;
- modal submissions: ``view:`` + the view id (a view is submitted once);
- slash commands: ``cmd:`` + the invocation's ``trigger_id``.

Button values carry the desk action, the ticket and a value (``cl|42|``); one pair of
functions here encodes and decodes them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from bot.events import ActionPressed, ChatRef, CommandInvoked, MessageReceived, UserRef
from bot.messages import Action, unpack_button
from bot.views import PROMPTS

PLATFORM = "slack"
ACTION_ID_PREFIX = "tierdesk:"  # every button the desk renders has an action_id starting so
PROMPT_CALLBACK_ID = "tierdesk_prompt"  # the modal that asks for a reason, note or reply
PROMPT_BLOCK_ID = "text"
PROMPT_INPUT_ID = "text"

# Buttons that, pressed in a channel without a value, ask for text in a modal first.
# Commands that start an intake: run in the user's DM with the bot, wherever typed.
INTAKE_COMMANDS = frozenset({"new", "ticket"})
# Message subtypes that are someone writing; edits, deletions, joins, bot posts are not.
_AUTHORED_SUBTYPES = frozenset({"", "file_share", "thread_broadcast"})
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
# Slack's control sequences in message text: <@U1|name>, <#C1|name>, <!here>, <url|label>
_CONTROL = re.compile(r"<([@#!]?)([^<>|]*)(?:\|([^<>]*))?>")


def mentioned_users(raw: str) -> list[str]:
    """The user ids mentioned (``<@U123>``) in Slack's wire text without a name label."""
    return [m.group(2) for m in _CONTROL.finditer(raw) if m.group(1) == "@" and not m.group(3)]


def plain_text(raw: str, names: Mapping[str, str] | None = None) -> str:
    """Slack's wire text as the person typed it: control sequences become readable text
    (a mention ``@name``, from its label or ``names``: user id → display name) and
    ``&amp;``/``&lt;``/``&gt;`` are decoded (Slack encodes those three). Outbound text is
    rendered literally by ``render``, so nothing decoded here can ping anyone."""
    names = names or {}

    def readable(match: re.Match[str]) -> str:
        sigil, target, label = match.group(1), match.group(2), match.group(3)
        if sigil == "@":
            return "@" + (label or names.get(target) or target)
        if sigil == "#":
            return sigil + (label or target)
        if sigil == "!":
            return "@" + (label or target.split("^")[0])
        return f"{label} ({target})" if label and label != target else target

    text = _CONTROL.sub(readable, raw)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


@dataclass(frozen=True, slots=True)
class Profile:
    """What ``users.info`` told us about a user."""

    display_name: str = ""
    timezone: str | None = None


def profile_of(user: Mapping[str, Any]) -> Profile:
    """The display name and time zone from a ``users.info`` ``user`` object."""
    profile = user.get("profile") or {}
    name = next(
        (
            str(n).strip()
            for n in (
                profile.get("display_name"),
                profile.get("real_name"),
                user.get("real_name"),
                user.get("name"),
            )
            if n and str(n).strip()
        ),
        "",
    )
    tz = user.get("tz")
    return Profile(name, str(tz) if tz else None)


def user_ref(user_id: str, profile: Profile | None = None) -> UserRef:
    profile = profile or Profile()
    return UserRef(PLATFORM, user_id, profile.display_name, profile.timezone)


def is_direct(channel_id: str, channel_type: str = "") -> bool:
    """A one-to-one chat with the bot: ``channel_type: im``, or a ``D…`` channel id."""
    return channel_type == "im" or channel_id.startswith("D")


def chat_ref(channel_id: str, channel_type: str = "") -> ChatRef:
    return ChatRef(PLATFORM, channel_id, direct=is_direct(channel_id, channel_type))


# -- Events API ----------------------------------------------------------------------------


def message_author(event: Mapping[str, Any], bot_user_id: str = "") -> str | None:
    """The user who wrote a message the desk should see; None for edits, bots and ourselves."""
    subtype = str(event.get("subtype") or "")
    if subtype not in _AUTHORED_SUBTYPES or event.get("bot_id") or event.get("hidden"):
        return None
    user = str(event.get("user") or "")
    if not user or (bot_user_id and user == bot_user_id):
        return None
    return user


def message_received(
    body: Mapping[str, Any],
    profile: Profile | None = None,
    names: Mapping[str, str] | None = None,
) -> MessageReceived:
    """A ``message`` event (DM, or a channel message, maybe in a card's thread); ``names``
    resolves the users mentioned in it (see :func:`mentioned_users`)."""
    event = body["event"]
    ts = str(event.get("ts") or "")
    thread_ts = str(event.get("thread_ts") or "")
    files = tuple(
        str(f.get("name") or f.get("title") or "file")
        for f in event.get("files") or ()
        if isinstance(f, Mapping)
    )
    return MessageReceived(
        event_id=_event_id(body),
        user=user_ref(str(event.get("user") or ""), profile),
        chat=chat_ref(str(event.get("channel") or ""), str(event.get("channel_type") or "")),
        text=plain_text(str(event.get("text") or ""), names),
        reply_to=thread_ts if thread_ts and thread_ts != ts else "",
        files=files,
        raw=body,
    )


def mention_wants_intake(event: Mapping[str, Any]) -> bool:
    """A top-level ``@tierdesk …`` in a channel starts an intake; in a thread the ``message``
    event of the same post already reaches the desk (as a thread reply)."""
    return not event.get("thread_ts") and bool(event.get("user")) and not event.get("bot_id")


def mention_invoked(
    body: Mapping[str, Any],
    profile: Profile | None,
    dm_channel: str,
    names: Mapping[str, str] | None = None,
) -> CommandInvoked:
    """An ``app_mention`` as ``/new <text>`` in the user's DM with the bot."""
    event = body["event"]
    text = plain_text(_MENTION.sub("", str(event.get("text") or "")), names).strip()
    return CommandInvoked(
        event_id=_event_id(body),
        user=user_ref(str(event.get("user") or ""), profile),
        chat=ChatRef(PLATFORM, dm_channel, direct=True),
        name="new",
        args=text,
        raw=body,
    )


def _event_id(body: Mapping[str, Any]) -> str:
    event_id = str(body.get("event_id") or "")
    if event_id:
        return event_id
    event = body.get("event") or {}
    return f"msg:{event.get('channel', '')}:{event.get('ts') or event.get('event_ts', '')}"


# -- interactivity -------------------------------------------------------------------------


def action_pressed(body: Mapping[str, Any]) -> ActionPressed | None:
    """A ``block_actions`` press on one of our buttons; None for anything else. The user's
    profile is looked up later, only when the press is not answered with a form."""
    actions = body.get("actions") or ()
    if not actions:
        return None
    pressed = actions[0]
    if not str(pressed.get("action_id") or "").startswith(ACTION_ID_PREFIX):
        return None
    decoded = unpack_button(str(pressed.get("value") or ""))
    if decoded is None:
        return None
    action, ticket, value = decoded.action, decoded.ticket, decoded.value
    channel = body.get("channel") or {}
    container = body.get("container") or {}
    channel_id = str(channel.get("id") or container.get("channel_id") or "")
    user_id = str((body.get("user") or {}).get("id") or "")
    trigger = str(body.get("trigger_id") or "")
    event_id = (
        f"act:{trigger}"
        if trigger
        else f"act:{channel_id}:{user_id}:{pressed.get('action_ts', '')}:{pressed.get('action_id')}"
    )
    return ActionPressed(
        event_id=event_id,
        user=user_ref(user_id),
        chat=chat_ref(channel_id),
        action=action,
        ticket=ticket,
        value=value,
        raw=body,
    )


def asks_for_text(event: ActionPressed) -> bool:
    """Reply / Escalate / Resolve pressed on a card: ask for the text in a modal first.

    In a DM (the requester's "add to #N" during intake) the press goes straight to the desk.
    """
    return event.action in PROMPTS and not event.value and not event.chat.direct


def prompt_metadata(event: ActionPressed) -> str:
    """What the modal must remember to submit the press later (``private_metadata``)."""
    return json.dumps(
        {"a": event.action.value, "t": event.ticket, "c": event.chat.chat_id},
        separators=(",", ":"),
    )


def prompt_submitted(
    body: Mapping[str, Any], profile: Profile | None = None
) -> ActionPressed | None:
    """A ``view_submission`` of the prompt modal: the press, now with its text as value."""
    view = body.get("view") or {}
    if view.get("callback_id") != PROMPT_CALLBACK_ID:
        return None
    try:
        meta = json.loads(str(view.get("private_metadata") or ""))
        action = Action(meta["a"])
        ticket = int(meta["t"])
        channel_id = str(meta["c"])
    except (ValueError, KeyError, TypeError):
        return None
    values = (view.get("state") or {}).get("values") or {}
    text = str(((values.get(PROMPT_BLOCK_ID) or {}).get(PROMPT_INPUT_ID) or {}).get("value") or "")
    user_id = str((body.get("user") or {}).get("id") or "")
    return ActionPressed(
        event_id=f"view:{view.get('id') or body.get('trigger_id', '')}",
        user=user_ref(user_id, profile),
        chat=chat_ref(channel_id),
        action=action,
        ticket=ticket,
        value=text.strip(),
        raw=body,
    )


# -- slash commands ------------------------------------------------------------------------


def command_invoked(
    body: Mapping[str, Any],
    profile: Profile | None,
    commands: Collection[str],
    names: Mapping[str, str] | None = None,
) -> CommandInvoked:
    """``/ticket claim 42`` runs the desk's ``claim``; ``/ticket my printer…`` opens a new one.

    Mentions in a problem's text read as names (``names``); an agent's command keeps the
    id it mentions (``/ticket reassign 4 @U2``), which names the agent even before the
    desk has met them."""
    raw = str(body.get("text") or "")
    text = plain_text(raw).strip()
    head, _, rest = text.partition(" ")
    name = head.lstrip("/").lower()
    if name not in commands:
        name, args = "new", plain_text(raw, names).strip()
    elif name in INTAKE_COMMANDS:
        args = plain_text(raw, names).strip().partition(" ")[2].strip()
    else:
        args = rest.strip()
    channel_id = str(body.get("channel_id") or "")
    direct = is_direct(channel_id) or body.get("channel_name") == "directmessage"
    trigger = str(body.get("trigger_id") or "")
    return CommandInvoked(
        event_id=f"cmd:{trigger}" if trigger else f"cmd:{channel_id}:{body.get('user_id')}:{text}",
        user=user_ref(str(body.get("user_id") or ""), profile),
        chat=ChatRef(PLATFORM, channel_id, direct=direct),
        name=name,
        args=args,
        raw=body,
    )


def command_wants_dm(event: CommandInvoked) -> bool:
    """Run this command in the user's DM with the bot (intakes, and any command from a DM:
    the DM it was typed in may be with another person, where the bot cannot write)."""
    return event.chat.direct or event.name in INTAKE_COMMANDS


__all__ = [
    "ACTION_ID_PREFIX",
    "PLATFORM",
    "PROMPT_CALLBACK_ID",
    "Profile",
    "action_pressed",
    "asks_for_text",
    "command_invoked",
    "command_wants_dm",
    "mention_invoked",
    "mention_wants_intake",
    "mentioned_users",
    "message_author",
    "message_received",
    "plain_text",
    "profile_of",
    "prompt_metadata",
    "prompt_submitted",
]
