"""The one HTTP server of the process: hosts Slack events, Telegram webhooks, ``/healthz``,
``/metrics`` and the status page. Adapters add their routes before it starts; it listens
when a webhook needs it or ``[http] enabled`` asks for it alone, else not at all (the
service routes ride along whenever it listens).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class HttpServer:
    def __init__(self, host: str, port: int, *, enabled: bool = False) -> None:
        self.host = host
        self.port = port
        self.enabled = enabled  # listen even with no webhook route
        self.app = web.Application(client_max_size=4 * 1024 * 1024)
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
        self._runner = web.AppRunner(self.app, access_log=None)
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
