"""The pictures chat messages carry: for now the lead's report, drawn when it is sent."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from adapters import report_render
from bot.desk import Desk
from bot.views.reports import REPORT_PICTURE as REPORT


class ReportPictures:
    """Draws ``report:<seconds>`` from the desk's database with its clock and settings."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    async def draw(self, name: str) -> bytes | None:
        seconds = name.removeprefix(REPORT)
        if not name.startswith(REPORT) or not seconds.isdigit():
            return None
        now = self.desk.clock.now()
        start = now - timedelta(seconds=int(seconds))
        async with self.desk.uow_factory() as uow:
            report = await self.desk.reports.report(uow, start, now, now)
        # matplotlib takes a few hundred milliseconds: not on the loop that serves events
        return await asyncio.to_thread(report_render.to_png, report, self.desk.settings)
