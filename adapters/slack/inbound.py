"""What a raw Slack HTTP request must be before bolt sees it.

bolt parses the body before it verifies the signature, so a malformed body (a JSON array,
broken JSON, form garbage, a timestamp like ``abc``), signed or not, would raise inside it
and be answered 500 with a traceback. Here the signature and timestamp are checked on the
raw bytes first (401), then the shape of what was signed (400): only requests bolt can
route reach it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

MAX_AGE = 5 * 60  # seconds: an older signed request may be a replay
ENVELOPES = frozenset({"url_verification", "event_callback", "app_rate_limited"})
INTERACTIVE = frozenset(
    {
        "block_actions",
        "block_suggestion",
        "view_submission",
        "view_closed",
        "shortcut",
        "message_action",
    }
)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a request is refused, with its HTTP status."""

    status: int
    reason: str


JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def refusal(
    body: bytes,
    headers: Mapping[str, str],
    content_type: str,
    secret: str,
    now: Callable[[], float] = time.time,
) -> Refusal | None:
    """None for a correctly signed, fresh request of a shape bolt routes; else why not."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not (timestamp.isascii() and timestamp.isdigit()) or not signature:
        return Refusal(401, "unsigned, or the timestamp is not a number")
    if abs(now() - int(timestamp)) > MAX_AGE:
        return Refusal(401, f"stale timestamp {timestamp}")
    if not hmac.compare_digest(sign(secret, timestamp, body), signature.encode("utf-8", "replace")):
        return Refusal(401, "bad signature")
    if content_type not in (JSON, FORM):  # Slack sends nothing else
        return Refusal(415, f"content type {content_type[:60]!r} is neither JSON nor a form")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return Refusal(400, "body is not UTF-8")
    if content_type == JSON:
        return _json_refusal(text)
    return _form_refusal(text)


def sign(secret: str, timestamp: str, body: bytes) -> bytes:
    """Slack's ``X-Slack-Signature`` for ``body`` (v0, HMAC-SHA256 over the raw bytes)."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return b"v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest().encode()


def _json_refusal(text: str) -> Refusal | None:
    envelope = _object(text)
    if envelope is None:
        return Refusal(400, "body is not a JSON object")
    kind = envelope.get("type")
    if kind not in ENVELOPES:
        return Refusal(400, f"unknown request type {str(kind)[:40]!r}")
    if kind == "event_callback" and not isinstance(envelope.get("event"), dict):
        return Refusal(400, "event_callback without an event")
    return None


def _form_refusal(text: str) -> Refusal | None:
    try:
        form = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=True))
    except ValueError:
        return Refusal(400, "body is neither JSON nor a form")
    if "payload" in form:
        payload = _object(form["payload"])
        if payload is None:
            return Refusal(400, "payload is not a JSON object")
        kind = payload.get("type")
        if kind not in INTERACTIVE:
            return Refusal(400, f"unknown interaction type {str(kind)[:40]!r}")
        if not isinstance(payload.get("user"), dict):
            return Refusal(400, f"{kind} without a user")
        if kind == "block_actions":
            actions = payload.get("actions")
            if not actions or not isinstance(actions, list):
                return Refusal(400, "block_actions without actions")
            if not all(isinstance(a, dict) for a in actions):
                return Refusal(400, "an action is not an object")
        if kind == "view_submission" and not isinstance(payload.get("view"), dict):
            return Refusal(400, "view_submission without a view")
        return None
    if form.get("command") or form.get("ssl_check"):
        return None
    return Refusal(400, "form is neither an interaction nor a command")


def _object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
