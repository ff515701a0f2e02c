"""A fake Slack Web API on 127.0.0.1: records every call and answers like Slack does.

Point slack_sdk's ``AsyncWebClient(base_url=api.url)`` at it. Every call is recorded with
its arguments merged from the query string, form body and JSON body. Failures are scripted
per method: ``api.fail_next("chat.postMessage", status=429, retry_after=30)``.

Posted messages are kept per channel (``api.messages[channel]``, with their ``metadata``)
and read back by ``conversations.history`` / ``conversations.replies`` as Slack does
(metadata only with ``include_all_metadata``). ``api.hold("chat.postMessage")`` makes the
next such call store its message and then keep its HTTP answer until ``release()``: a
sender can be killed after Slack accepted a message and before it heard so.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
TEAM_ID = "T0TEAM"


@dataclass(frozen=True, slots=True)
class Call:
    """One Web API request as the fake received it."""

    method: str
    args: Mapping[str, Any]
    answer: Mapping[str, Any] = field(default_factory=dict)

    @property
    def ts(self) -> str:
        """The message's ts: the one the fake assigned, or the one updated."""
        return str(
            self.answer.get("ts") or self.answer.get("message_ts") or self.args.get("ts", "")
        )

    @property
    def view(self) -> dict[str, Any]:
        view = self.args.get("view") or {}
        return json.loads(view) if isinstance(view, str) else dict(view)

    @property
    def channel(self) -> str:
        return str(self.args.get("channel", ""))

    @property
    def text(self) -> str:
        return str(self.args.get("text", ""))

    @property
    def blocks(self) -> list[dict[str, Any]]:
        blocks = self.args.get("blocks") or []
        return json.loads(blocks) if isinstance(blocks, str) else list(blocks)

    @property
    def shown(self) -> str:
        """Everything a reader sees: the mrkdwn of every block and every button label."""
        parts: list[str] = []
        for block in self.blocks:
            if block["type"] == "rich_text":
                parts += [rich_text_shown(e) for e in block["elements"]]
                continue
            if "text" in block:
                parts.append(block["text"]["text"])
            parts += [f["text"] for f in block.get("fields", ())]
            parts += [e["text"]["text"] for e in block.get("elements", ())]
        return "\n".join(parts)

    @property
    def parsed(self) -> str:
        """What Slack parses for mentions and links: the fallback text and every mrkdwn text
        (rich text elements are not parsed; a mention there is an element of its own)."""
        texts = [self.text]
        for block in self.blocks:
            texts += [t["text"] for t in (block.get("text"), *block.get("fields", ())) if t]
        return "\n".join(texts)

    @property
    def rich_types(self) -> set[str]:
        """The kinds of rich text elements sent (``text`` only: no mention, broadcast, link)."""
        return {
            item["type"]
            for block in self.blocks
            if block["type"] == "rich_text"
            for element in block["elements"]
            for item in element["elements"]
        }

    @property
    def buttons(self) -> list[dict[str, Any]]:
        return [e for b in self.blocks if b["type"] == "actions" for e in b["elements"]]

    def button(self, label: str) -> dict[str, Any]:
        """The first button whose label starts with ``label``."""
        for element in self.buttons:
            if element["text"]["text"].startswith(label):
                return element
        raise AssertionError(f"no button {label!r} in {[b['text']['text'] for b in self.buttons]}")


def rich_text_shown(element: Mapping[str, Any]) -> str:
    """A rich text section or quote as mrkdwn-like text: bold as ``*x*``, code as ```x```,
    quoted lines behind ``> ``."""
    marks = {"bold": "*", "code": "`"}
    text = ""
    for item in element["elements"]:
        piece = str(item["text"])
        for style, mark in marks.items():
            if (item.get("style") or {}).get(style):
                piece = f"{mark}{piece}{mark}"
        text += piece
    if element["type"] == "rich_text_quote":
        return "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))
    return text


@dataclass
class _Failure:
    status: int
    error: str
    retry_after: float | None


@dataclass
class Hold:
    """One call kept waiting: ``accepted`` is set once its message is stored."""

    accepted: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def release(self) -> None:
        self.released.set()


def _flag(value: object) -> bool:
    return value in (True, 1, "1", "true", "True")


@dataclass
class FakeSlackApi:
    """The fake server; ``users`` maps user ids to ``users.info`` user objects."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    _failures: dict[str, list[_Failure]] = field(default_factory=dict)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _views: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    # Socket Mode: envelopes to push to the connected app, acks it sent back
    socket_outbox: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    socket_acks: asyncio.Queue[dict[str, Any]] = field(default_factory=asyncio.Queue)
    _seen: int = 0
    port: int = 0
    messages: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # per channel
    _holds: dict[str, list[Hold]] = field(default_factory=dict)
    # the clock of message ts (Unix seconds); None numbers them from a fixed 1795000000
    now: Callable[[], float] | None = None
    # files_upload_v2: bytes per file id as uploaded, then (channel, thread, file id, title)
    uploads: dict[str, bytes] = field(default_factory=dict)
    shared: list[tuple[str, str, str, str]] = field(default_factory=list)
    _files: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._handle)
        app.router.add_get("/link", self._socket)
        app.router.add_post("/upload/{file_id}", self._upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for holds in self._holds.values():
            for hold in holds:
                hold.release()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- scripting and inspection --------------------------------------------------------

    def fail_next(
        self, method: str, *, status: int = 200, error: str = "", retry_after: float | None = None
    ) -> None:
        """Answer the next call of ``method`` with an error (429 → ``ratelimited``)."""
        error = error or ("ratelimited" if status == 429 else "internal_error")
        self._failures.setdefault(method, []).append(_Failure(status, error, retry_after))

    def hold(self, method: str) -> Hold:
        """Keep the answer to the next call of ``method`` (after doing it) until released."""
        held = Hold()
        self._holds.setdefault(method, []).append(held)
        return held

    def tagged(self, channel: str, event_type: str = "tierdesk_outbox") -> list[dict[str, Any]]:
        """Messages in ``channel`` (threads included) whose metadata has ``event_type``."""
        return [
            m
            for m in self.messages.get(channel, [])
            if (m.get("metadata") or {}).get("event_type") == event_type
        ]

    def take(self) -> list[Call]:
        """Calls since the last take."""
        new = self.calls[self._seen :]
        self._seen = len(self.calls)
        return new

    def of(self, method: str, calls: list[Call] | None = None) -> list[Call]:
        return [c for c in (self.calls if calls is None else calls) if c.method == method]

    # -- the API -------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                args.update(await request.json())
            else:
                args.update(dict(await request.post()))
        queued = self._failures.get(method)
        if queued:
            failure = queued.pop(0)
            headers = {}
            if failure.retry_after is not None:
                headers["Retry-After"] = f"{failure.retry_after:g}"
            answer = {"ok": False, "error": failure.error}
            self.calls.append(Call(method, args, answer))
            return web.json_response(answer, status=failure.status, headers=headers)
        answer = self._answer(method, args)
        self.calls.append(Call(method, args, answer))
        held = self._holds.get(method)
        if held:
            hold = held.pop(0)
            hold.accepted.set()
            await hold.released.wait()
        return web.json_response(answer)

    async def _upload(self, request: web.Request) -> web.Response:
        """Step 2 of files_upload_v2: the bytes, posted to the URL step 1 handed out."""
        file_id = request.match_info["file_id"]
        if file_id not in self.uploads:
            return web.Response(status=404, text="unknown upload")
        self.uploads[file_id] = await request.read()
        return web.Response(text="OK - " + str(len(self.uploads[file_id])))

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode's WebSocket: says hello, pushes queued envelopes, collects acks."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        await ws.send_json({"type": "hello", "num_connections": 1})

        async def push() -> None:
            while True:
                await ws.send_json(await self.socket_outbox.get())

        pusher = asyncio.create_task(push())
        try:
            async for message in ws:
                if message.type == web.WSMsgType.TEXT:
                    await self.socket_acks.put(json.loads(message.data))
        finally:
            pusher.cancel()
        return ws

    def _answer(self, method: str, args: Mapping[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://acme.slack.com/",
                "team": "Acme",
                "user": "tierdesk",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
            }
        if method == "chat.postMessage":
            ts = self._next_ts()
            self._store(str(args["channel"]), ts, args)
            return {"ok": True, "channel": args["channel"], "ts": ts, "message": {"ts": ts}}
        if method == "chat.update":
            for message in self.messages.get(str(args["channel"]), []):
                if message["ts"] == args["ts"]:
                    message.update(text=args.get("text", ""), blocks=args.get("blocks"))
            return {"ok": True, "channel": args["channel"], "ts": args["ts"]}
        if method in ("conversations.history", "conversations.replies"):
            return self._read(method, args)
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(args["users"])}}
        if method == "apps.connections.open":
            return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link"}
        if method == "files.getUploadURLExternal":
            file_id = f"F{next(self._files):05d}"
            self.uploads[file_id] = b""
            upload_url = f"http://127.0.0.1:{self.port}/upload/{file_id}"
            return {"ok": True, "file_id": file_id, "upload_url": upload_url}
        if method == "files.completeUploadExternal":
            files = args.get("files")
            files = json.loads(files) if isinstance(files, str) else files or []
            for f in files:
                if not self.uploads.get(f["id"]):
                    return {"ok": False, "error": "file_not_found"}
                channel, thread = str(args.get("channel_id", "")), str(args.get("thread_ts") or "")
                self.shared.append((channel, thread, f["id"], str(f.get("title", ""))))
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        if method == "views.open":
            return {"ok": True, "view": {"id": f"V{next(self._views):04d}"}}
        if method == "users.info":
            user = self.users.get(str(args.get("user")))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": user}
        return {"ok": True}

    def _store(self, channel: str, ts: str, args: Mapping[str, Any]) -> None:
        metadata = args.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        message = {
            "type": "message",
            "ts": ts,
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "text": args.get("text", ""),
            "blocks": args.get("blocks"),
            "metadata": metadata,
        }
        if args.get("thread_ts"):
            message["thread_ts"] = str(args["thread_ts"])
        self.messages.setdefault(channel, []).append(message)

    def _read(self, method: str, args: Mapping[str, Any]) -> dict[str, Any]:
        """History (top level, newest first) or a thread (parent first), paged by cursor."""
        channel = str(args.get("channel", ""))
        found = self.messages.get(channel, [])
        oldest = float(args.get("oldest") or 0)
        if method == "conversations.replies":
            parent = str(args.get("ts", ""))
            found = [m for m in found if m["ts"] == parent or m.get("thread_ts") == parent]
        else:
            found = [m for m in reversed(found) if m.get("thread_ts", m["ts"]) == m["ts"]]
        found = [m for m in found if float(m["ts"]) > oldest]
        start = int(args.get("cursor") or 0)
        limit = int(args.get("limit") or 100)
        page = found[start : start + limit]
        if not _flag(args.get("include_all_metadata")):
            page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
        more = start + limit < len(found)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _next_ts(self) -> str:
        seconds = 1795000000 if self.now is None else int(self.now())
        return f"{seconds}.{next(self._ts):06d}"


def slack_user(user_id: str, name: str, tz: str = "Europe/Berlin") -> dict[str, Any]:
    """A ``users.info`` user object."""
    return {
        "id": user_id,
        "name": name.lower(),
        "real_name": name,
        "tz": tz,
        "profile": {"display_name": name, "real_name": name},
    }
