"""The one HTTP server of the process: hosts Slack events, Telegram webhooks, ``/healthz``,
``/metrics`` and the status page. Adapters add their routes before it starts; it listens
when a webhook needs it or ``[http] enabled`` asks for it alone, else not at all (the
service routes ride along whenever it listens).

It faces the internet (behind a proxy), so it bounds what a client may hold: a body above
:data:`MAX_BODY` is refused with 413 before it is read, a body not complete within
``body_timeout`` gets 408, and a connection whose request headers have not all arrived
within ``header_timeout`` is closed (aiohttp has no such limit of its own: a client
trickling header bytes would hold a connection for ever). Idle keep-alive connections are
closed after :data:`KEEPALIVE`, and the rest of a refused body is drained for at most
:data:`LINGER` (a client pushing 10 MB into a 413 cannot hold a connection, nor a shutdown).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MAX_BODY = 1024 * 1024  # Slack's and Telegram's requests are a few KB
HEADER_TIMEOUT = 10.0  # seconds from connecting to the end of the request headers
BODY_TIMEOUT = 10.0  # seconds to read a whole body
KEEPALIVE = 75.0  # seconds an idle keep-alive connection stays open
LINGER = 1.0  # seconds the rest of a refused body is read and dropped (aiohttp: 10)


class HttpServer:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        enabled: bool = False,
        header_timeout: float = HEADER_TIMEOUT,
        body_timeout: float = BODY_TIMEOUT,
        max_body: int = MAX_BODY,
    ) -> None:
        self.host = host
        self.port = port
        self.enabled = enabled  # listen even with no webhook route
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.app = web.Application(client_max_size=max_body, middlewares=[self._whole_body])
        self._routes = 0
        self._runner: web.AppRunner | None = None

    def add_route(self, method: str, path: str, handler: Handler) -> None:
        """A webhook route: the server listens once one is added."""
        self.app.router.add_route(method, path, handler)
        self._routes += 1

    def add_service_route(self, path: str, handler: Handler) -> None:
        """A GET route served whenever the server listens, never a reason to listen."""
        self.app.router.add_get(path, handler)

    @property
    def listening(self) -> bool:
        return self._runner is not None

    async def start(self) -> None:
        if not self._routes and not self.enabled:
            return
        self._runner = _Runner(
            self.app,
            self.header_timeout,
            access_log=None,
            keepalive_timeout=KEEPALIVE,
            lingering_time=LINGER,
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        if sockets:  # port 0 asks the OS for a free port; remember which one
            self.port = sockets[0].getsockname()[1]
        log.info("listening on http://%s:%s", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @web.middleware
    async def _whole_body(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Read the body (bounded in size and time) before any handler sees the request."""
        if request.body_exists:
            try:
                async with asyncio.timeout(self.body_timeout):
                    await request.read()  # kept: the handler's read returns it at once
            except TimeoutError:
                log.warning("http: %s %s: body not complete in time", request.method, request.path)
                return web.Response(status=408, text="request body too slow")
        return await handler(request)


class _Runner(web.AppRunner):
    """An AppRunner whose connections must finish their first request's headers within
    ``header_timeout`` seconds."""

    def __init__(self, app: web.Application, header_timeout: float, **kwargs: object) -> None:
        super().__init__(app, **kwargs)  # type: ignore[arg-type]
        self.header_timeout = header_timeout

    @property
    def server(self) -> Callable[[], RequestHandler] | None:  # type: ignore[override]
        make = super().server
        if make is None:
            return None

        def connection() -> RequestHandler:
            handler = make()
            asyncio.get_running_loop().call_later(self.header_timeout, _headers_due, handler)
            return handler

        return connection


def _headers_due(handler: RequestHandler) -> None:
    """Close a connection that has not sent one complete request head yet. aiohttp counts
    parsed request heads in ``_request_count`` (no public name for it)."""
    if getattr(handler, "_request_count", 1) == 0 and handler.transport is not None:
        log.warning("http: closing a connection whose request headers did not arrive in time")
        handler.transport.close()
