"""A fake Telegram Bot API server on 127.0.0.1, for running the real PTB ``Application``.

It serves ``getMe``, ``getUpdates`` (long-polls a queue the test pushes updates into; as
on Telegram, an update is served again until a ``getUpdates`` offset above its id
confirms it),
``sendMessage``, ``editMessageText``, ``answerCallbackQuery``, ``setMyCommands``,
``deleteWebhook``, ``setWebhook`` and a few more, records every call, and can be scripted
to fail the next call of a method (a 429 with ``parameters.retry_after``, a 400, …).

Update builders produce payloads shaped like the real Bot API's, with the fields PTB 22
insists on (``from.is_bot``, ``chat.type``, ``callback_query.chat_instance``).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

TOKEN = "123456:TEST-fake-token"
BOT_USER: dict[str, Any] = {
    "id": 123456,
    "is_bot": True,
    "first_name": "Tier Desk",
    "username": "tierdesk_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
# Parameters PTB sends JSON-encoded; everything else stays the string it was.
_JSON_PARAMS = {
    "reply_markup",
    "reply_parameters",
    "link_preview_options",
    "commands",
    "scope",
    "allowed_updates",
    "entities",
    "message_id",
    "offset",
    "timeout",
    "limit",
    "show_alert",
    "drop_pending_updates",
}
_TAG = re.compile(r"<[^>]+>")
MAX_POLL_WAIT = 1.0  # a long poll waits at most this long for an update (or its timeout)


@dataclass(frozen=True)
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]

    @property
    def chat_id(self) -> str:
        return str(self.params.get("chat_id", ""))

    @property
    def text(self) -> str:
        """The HTML source as sent."""
        return str(self.params.get("text", ""))

    @property
    def plain(self) -> str:
        """What a reader sees: tags dropped, entities unescaped."""
        return html.unescape(_TAG.sub("", self.text))

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of every inline button, row by row."""
        markup = self.params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]

    @property
    def reply_to(self) -> int | None:
        reply = self.params.get("reply_parameters") or {}
        return reply.get("message_id") if isinstance(reply, dict) else None


@dataclass
class _Queued:
    update: dict[str, Any]
    served: bool = False  # a re-pushed old id is served once before an offset drops it


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: int | None = None


@dataclass
class FakeBotApi:
    """The fake server; ``await start()`` before use, ``await stop()`` after."""

    token: str = TOKEN
    calls: list[Call] = field(default_factory=list)
    port: int = 0
    served: list[int] = field(default_factory=list)  # update ids, each time one is served
    _pending: list[_Queued] = field(default_factory=list)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)
    _failures: dict[str, list[_Failure]] = field(default_factory=dict)
    _results: dict[tuple[str, int], Call] = field(default_factory=dict)  # (chat, id) → send
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _update_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(9000))
    _runner: web.AppRunner | None = None

    # -- server --------------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self._arrived.set()  # release a long poll still waiting
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await _params(request)
        self.calls.append(Call(method, params))
        failures = self._failures.get(method)
        if failures:
            failure = failures.pop(0)
            return _error(failure.status, failure.description, failure.retry_after)
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        result = await handler(params)
        return web.json_response({"ok": True, "result": result})

    # -- scripting -----------------------------------------------------------------------

    def fail_next(
        self, method: str, status: int, description: str, *, retry_after: int | None = None
    ) -> None:
        """The next call of ``method`` fails like the real API would."""
        self._failures.setdefault(method, []).append(_Failure(status, description, retry_after))

    def push(self, update: dict[str, Any]) -> None:
        """Queue an update for the next ``getUpdates`` (and the ones after, until confirmed)."""
        self._pending.append(_Queued(update))
        self._arrived.set()

    @property
    def unconfirmed(self) -> list[int]:
        """Ids of the updates no ``getUpdates`` offset has confirmed yet."""
        return [q.update["update_id"] for q in self._pending]

    def of(self, method: str, since: int = 0) -> list[Call]:
        return [c for c in self.calls[since:] if c.method == method]

    def messages(self, since: int = 0) -> list[Call]:
        """``sendMessage`` and ``editMessageText`` calls, in order."""
        return [c for c in self.calls[since:] if c.method in ("sendMessage", "editMessageText")]

    def sent_to(self, chat_id: int | str, since: int = 0) -> list[Call]:
        return [c for c in self.messages(since) if c.chat_id == str(chat_id)]

    def message_id_of(self, call: Call) -> int:
        """The id the fake gave a sendMessage call (or the edited message's id)."""
        if call.method == "editMessageText":
            return int(call.params["message_id"])
        for (_, message_id), sent in self._results.items():
            if sent is call:
                return message_id
        raise KeyError(call)

    # -- methods -------------------------------------------------------------------------

    async def _api_getMe(self, params: dict[str, Any]) -> Any:
        return BOT_USER

    async def _api_getUpdates(self, params: dict[str, Any]) -> Any:
        offset = params.get("offset")
        if isinstance(offset, int):  # confirms every update below it that was served
            self._pending = [
                q for q in self._pending if not (q.served and q.update["update_id"] < offset)
            ]
        wait = min(float(params.get("timeout") or 0), MAX_POLL_WAIT)
        if not self._pending and wait > 0:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), wait)
        batch = self._pending[: int(params.get("limit") or 100)]
        for queued in batch:
            queued.served = True
            self.served.append(queued.update["update_id"])
        return [q.update for q in batch]

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        message_id = next(self._message_ids)
        call = self.calls[-1]
        self._results[(str(params["chat_id"]), message_id)] = call
        return self._message(params, message_id)

    async def _api_sendPhoto(self, params: dict[str, Any]) -> Any:
        photo = params.get("photo")
        if not isinstance(photo, bytes) or not photo:
            raise web.HTTPBadRequest(text="photo: bytes expected")
        message = self._message(params, next(self._message_ids))
        message.pop("text")
        message["photo"] = [{"file_id": "P1", "file_unique_id": "U1", "width": 1540, "height": 935}]
        message["caption"] = str(params.get("caption", ""))
        return message

    def photos(self, since: int = 0) -> list[Call]:
        """``sendPhoto`` calls (``params["photo"]`` holds the bytes)."""
        return self.of("sendPhoto", since)

    async def _api_editMessageText(self, params: dict[str, Any]) -> Any:
        return self._message(params, int(params["message_id"]))

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_setMyCommands(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_deleteMyCommands(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_setWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> Any:
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> Any:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    def _message(self, params: dict[str, Any], message_id: int) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": _chat(chat_id),
            "from": BOT_USER,
            "text": html.unescape(_TAG.sub("", str(params.get("text", "")))),
        }

    # -- update builders -----------------------------------------------------------------

    def text(
        self,
        who: dict[str, Any],
        text: str,
        *,
        chat: dict[str, Any] | None = None,
        reply_to: Call | None = None,
        update_id: int | None = None,
        message_id: int | None = None,
    ) -> dict[str, Any]:
        """A message from ``who`` (in their private chat unless ``chat`` is given)."""
        chat = chat or private_chat(who)
        message: dict[str, Any] = {
            "message_id": message_id or next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": who,
            "text": text,
        }
        command = re.match(r"/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)
        if command:
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": command.end()}]
        if reply_to is not None:
            message["reply_to_message"] = {
                "message_id": self.message_id_of(reply_to),
                "date": int(time.time()),
                "chat": chat,
                "from": BOT_USER,
                "text": reply_to.plain,
            }
        return {"update_id": update_id or next(self._update_ids), "message": message}

    def press(self, who: dict[str, Any], call: Call, label: str) -> dict[str, Any]:
        """``who`` presses the button labelled ``label`` on a message the bot sent."""
        data = next((d for text, d in call.buttons if text == label), None)
        if data is None:
            raise AssertionError(f"no button {label!r} in {call.buttons}")
        return self.callback(who, call, data)

    def callback(self, who: dict[str, Any], call: Call, data: str) -> dict[str, Any]:
        chat_id = int(call.chat_id)
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": f"cq{next(self._update_ids)}",
                "from": who,
                "chat_instance": f"ci{chat_id}",
                "data": data,
                "message": {
                    "message_id": self.message_id_of(call),
                    "date": int(time.time()),
                    "chat": _chat(chat_id),
                    "from": BOT_USER,
                    "text": call.plain,
                },
            },
        }


def person(user_id: int, first_name: str, username: str = "") -> dict[str, Any]:
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if username:
        user["username"] = username
    return user


def private_chat(who: dict[str, Any]) -> dict[str, Any]:
    return {"id": who["id"], "type": "private", "first_name": who["first_name"]}


def group(chat_id: int, title: str) -> dict[str, Any]:
    return {"id": chat_id, "type": "supergroup", "title": title}


def _chat(chat_id: int) -> dict[str, Any]:
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": "someone"}
    return group(chat_id, f"group {chat_id}")


async def _params(request: web.Request) -> dict[str, Any]:
    if request.content_type == "application/json":
        body = await request.json()
        return dict(body) if isinstance(body, dict) else {}
    form = await request.post()
    params: dict[str, Any] = {}
    for key, value in form.items():
        if isinstance(value, web.FileField):  # sendPhoto's upload: the bytes themselves
            params[key] = value.file.read()
            continue
        text = value if isinstance(value, str) else str(value)
        if key in _JSON_PARAMS:
            try:
                params[key] = json.loads(text)
                continue
            except ValueError:
                pass
        params[key] = text
    return params


def _error(status: int, description: str, retry_after: int | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)
