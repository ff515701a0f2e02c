"""The status page at ``/``: the board of :mod:`bot.services.status` as server-rendered HTML.

Behind a token (``[http] status_token``): given once as ``/?token=…`` (answered with a
redirect to ``/`` that sets an HttpOnly cookie, so the token leaves the address bar) or as
``Authorization: Bearer …``, compared in constant time. No token configured: the route is
never added, so ``/`` is a 404. A wrong token gets 403 and nothing of the board. Jinja2
escapes every value (a summary is requester text). ``/report.png``, behind the same token, is
the lead's report of the last 30 days as ``tierdesk report --format png`` draws it, drawn at
most every ``PICTURE_SECONDS`` (a drawing costs a second or two; the board refreshes often).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.services.status import StatusService

__all__ = ["COOKIE", "PICTURE_SECONDS", "REFRESH_SECONDS", "StatusPage"]

COOKIE = "tierdesk_status"
REFRESH_SECONDS = 15
PICTURE_SECONDS = 300
_TEMPLATES = Path(__file__).parent / "templates"
_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
        "connect-src 'self'; img-src 'self'; frame-ancestors 'none'"
    ),
}


Picture = Callable[[], Awaitable[bytes | None]]


class StatusPage:
    def __init__(
        self, service: StatusService, token: str, zone: str, picture: Picture | None = None
    ) -> None:
        if not token:
            raise ValueError("the status page needs a token")
        self.service = service
        self._token = token.encode()
        self.zone = zone
        self._picture = picture
        self._drawn: tuple[datetime, bytes] | None = None
        self._env = Environment(
            loader=FileSystemLoader(_TEMPLATES),
            autoescape=select_autoescape(["html"]),
            enable_async=False,
        )

    def allowed(self, request: web.Request) -> tuple[bool, bool]:
        """(whether the request carries the token, whether it came in the query string)."""
        given = request.query.get("token")
        from_query = given is not None
        if given is None:
            auth = request.headers.get("Authorization", "")
            given = auth[7:] if auth.startswith("Bearer ") else request.cookies.get(COOKIE, "")
        return hmac.compare_digest(given.encode(), self._token), from_query

    async def handle(self, request: web.Request) -> web.Response:
        ok, from_query = self.allowed(request)
        if not ok:
            return web.Response(
                status=403, text="403: wrong or missing status token", content_type="text/plain"
            )
        if from_query:  # keep it in a cookie and out of the address bar and the history
            response = web.Response(status=303, headers={"Location": "/"})
            https = request.secure or request.headers.get("X-Forwarded-Proto") == "https"
            response.set_cookie(
                COOKIE,
                request.query["token"],
                httponly=True,
                samesite="Strict",
                secure=https,  # behind the HTTPS proxy the cookie never travels in clear
                path="/",
            )
            return response
        board = await self.service.board()
        zone = ZoneInfo(self.zone)

        def local(at: datetime) -> str:
            return at.astimezone(zone).strftime("%a %d %b %H:%M")

        def countdown(due: datetime | None) -> str:
            return "—" if due is None else _left((due - board.at).total_seconds())

        html = self._env.get_template("status.html").render(
            board=board,
            local=local,
            countdown=countdown,
            zone=self.zone,
            refresh=REFRESH_SECONDS,
            picture=self._picture is not None,
        )
        response = web.Response(text=html, content_type="text/html")
        response.headers.update(_HEADERS)
        return response

    async def picture(self, request: web.Request) -> web.Response:
        """The report's picture; drawn again once the last drawing is ``PICTURE_SECONDS`` old."""
        if not self.allowed(request)[0]:
            return web.Response(status=403, text="403: wrong or missing status token")
        if self._picture is None:
            raise web.HTTPNotFound()
        now = self.service.clock.now()
        if self._drawn is None or (now - self._drawn[0]).total_seconds() >= PICTURE_SECONDS:
            png = await self._picture()
            if png is None:
                raise web.HTTPNotFound()
            self._drawn = (now, png)
        response = web.Response(body=self._drawn[1], content_type="image/png")
        response.headers.update(_HEADERS)
        return response


def _left(seconds: float) -> str:
    """What the page's script shows too: "1h 5m 3s", "overdue 2m 0s"."""
    s = int(abs(seconds))
    h, m, sec = s // 3600, s % 3600 // 60, s % 60
    text = (f"{h}h " if h else "") + (f"{m}m " if h or m else "") + f"{sec}s"
    return f"overdue {text}" if seconds < 0 else text
