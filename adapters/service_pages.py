"""The service routes of the HTTP server: ``/healthz``, ``/metrics`` and the status page.

``tierdesk run`` adds them whenever the server listens (a webhook needs it, or
``[http] enabled``); tests add them the same way to a runtime of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.health import Check, Health
from adapters.host import Host
from adapters.http import HttpServer
from adapters.metrics import DeskMetrics, instrument
from bot.services.status import StatusService
from bot.views.reports import report_picture
from storage.gauges import check_database

__all__ = ["add_service_routes", "database_check"]


def database_check(engine: AsyncEngine) -> Check:
    async def check() -> None:
        await check_database(engine)

    return check


def add_service_routes(
    runtime: Host, engine: AsyncEngine, http: HttpServer, checks: Mapping[str, Check]
) -> DeskMetrics:
    """Health with ``checks`` (read at each probe: adapters started later add theirs),
    metrics (the desk's ``handle`` counted from now on), and the status page when a token
    is configured."""
    metrics = DeskMetrics(engine, runtime.clock)
    instrument(runtime.desk, metrics)
    http.add_service_route("/healthz", Health(checks).handle)
    http.add_service_route("/metrics", metrics.scrape)
    token = runtime.settings.http.status_token
    if token:
        from adapters.status import StatusPage  # Jinja2 loads only where the page is on

        service = StatusService(
            runtime.settings, runtime.desk.uow_factory, runtime.clock, runtime.desk.oncall
        )
        from adapters.pictures import ReportPictures  # matplotlib only when drawn

        pictures = ReportPictures(runtime.desk)
        month = report_picture(int(timedelta(days=30).total_seconds()))
        page = StatusPage(
            service, token, runtime.settings.timezone, picture=lambda: pictures.draw(month)
        )
        http.add_service_route("/", page.handle)
        http.add_service_route("/report.png", page.picture)
    return metrics
