"""Slack request bodies as Slack sends them (shapes from slack's docs and bolt's scenario tests)."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack_api import BOT_USER_ID, TEAM_ID

APP_ID = "A0TIERDESK"
_seq = itertools.count(1)


def signed_headers(
    body: str, secret: str, *, timestamp: int | None = None, content_type: str
) -> dict[str, str]:
    """Headers with a correct ``X-Slack-Signature`` for ``body`` at ``timestamp`` (now)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
    }


def event_body(event: dict[str, Any], *, event_id: str = "") -> str:
    """An Events API ``event_callback`` envelope."""
    return json.dumps(
        {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_seq):08d}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "team_id": TEAM_ID,
                    "user_id": BOT_USER_ID,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
        }
    )


def wire(text: str) -> str:
    """What Slack's Events API sends for text a person typed: ``&``, ``<``, ``>`` encoded."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def message_event(
    user: str,
    channel: str,
    text: str,
    *,
    thread_ts: str = "",
    files: tuple[str, ...] = (),
    raw: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """A message event for ``text`` as typed; ``raw=True`` sends it as is, for Slack's own
    control sequences (a real ``<@U…>`` mention, ``<!channel>``, a ``<url|label>`` link)."""
    ts = f"{int(time.time())}.{next(_seq):06d}"
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text if raw else wire(text),
        "ts": ts,
        "event_ts": ts,
        "channel_type": "im" if channel.startswith("D") else "channel",
        "team": TEAM_ID,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    if files:
        event["subtype"] = "file_share"
        event["files"] = [{"id": f"F{i}", "name": name} for i, name in enumerate(files)]
    event.update(extra)
    return event


def action_body(user: str, channel: str, message_ts: str, button: dict[str, Any]) -> str:
    """A ``block_actions`` press of ``button`` (as rendered) on a message, form-encoded."""
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
        },
        "trigger_id": f"{next(_seq)}.{TEAM_ID}.trigger",
        "team": {"id": TEAM_ID, "domain": "acme"},
        "channel": {"id": channel, "name": "directmessage" if channel.startswith("D") else "help"},
        "message": {"type": "message", "ts": message_ts, "bot_id": "BBOT"},
        "response_url": "https://hooks.slack.invalid/actions/1",
        "actions": [
            {
                "action_id": button["action_id"],
                "block_id": "tierdesk-row-0",
                "text": button["text"],
                "value": button["value"],
                "type": "button",
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)})


def view_submission_body(user: str, view: dict[str, Any], text: str, view_id: str) -> str:
    """A ``view_submission`` of ``view`` (as opened) with ``text`` typed into its input."""
    block = view["blocks"][0]
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "legacy-verification-token",
        "trigger_id": f"{next(_seq)}.{TEAM_ID}.trigger",
        "view": {
            **view,
            "id": view_id,
            "team_id": TEAM_ID,
            "state": {
                "values": {
                    block["block_id"]: {
                        block["element"]["action_id"]: {"type": "plain_text_input", "value": text}
                    }
                }
            },
            "hash": "1600000000.abcdef",
            "app_id": APP_ID,
            "bot_id": "BBOT",
        },
    }
    return urlencode({"payload": json.dumps(payload)})


def command_body(user: str, channel: str, text: str, command: str = "/ticket") -> str:
    """A slash command invocation, form-encoded."""
    return urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "team_domain": "acme",
            "channel_id": channel,
            "channel_name": "directmessage" if channel.startswith("D") else "help",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "response_url": "https://hooks.slack.invalid/commands/1",
            "trigger_id": f"{next(_seq)}.{TEAM_ID}.trigger",
        }
    )
