"""How long does the lead's report take on a month of a busy desk, beside reading its rows raw?

Seeds ``--days`` (default 30) of demonstration tickets (``adapters.demo.seed``, the same as
``tierdesk demo seed``) ``--scale`` times over (default 10: some 3 000 tickets) into a SQLite file
in a temporary folder, then times, ``--runs`` times each: ``ReportService.report`` over the
whole period grouped by priority (the figures, in business time on each ticket's calendar),
``report_render.to_png`` (the four pictures) and ``to_html``. The reference, in the same run:
plain ``sqlite3`` reading every column of the same tickets, history and ping stages (no
mapping, no figures). One JSON line on stdout; the medians in milliseconds.

    .venv/bin/python benchmarks/report_speed.py [--days 30] [--scale 10] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from adapters import demo, report_render
from adapters.runtime import build
from bot.clock import FrozenClock
from bot.services.reports import ReportService
from tests.factories import make_settings


def median_ms(times: list[float]) -> float:
    return round(statistics.median(times) * 1000, 1)


async def main(days: int, scale: int, runs: int) -> dict[str, object]:
    now = datetime(2026, 12, 4, 17, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.db"
        settings = make_settings(f"sqlite+aiosqlite:///{path}")
        runtime = await build(settings, clock=FrozenClock(now))
        try:
            tickets = 0
            for seed in range(scale):
                seeded = await demo.seed(settings, runtime.uow_factory, now, days, seed)
                tickets += seeded.tickets
            service = ReportService(settings)
            start = now - timedelta(days=days)
            timed: list[float] = []
            report = None
            for _ in range(runs):
                began = time.perf_counter()
                async with runtime.uow_factory() as uow:
                    report = await service.report(uow, start, now, now, by="priority")
                timed.append(time.perf_counter() - began)
            assert report is not None and report.total.opened > 0
            png: list[float] = []
            page: list[float] = []
            for _ in range(runs):
                began = time.perf_counter()
                picture = report_render.to_png(report, settings)
                png.append(time.perf_counter() - began)
                began = time.perf_counter()
                report_render.to_html(report, settings)
                page.append(time.perf_counter() - began)
        finally:
            await runtime.close()
        raw: list[float] = []
        for _ in range(runs):
            began = time.perf_counter()
            with sqlite3.connect(path) as db:
                db.execute("SELECT * FROM tickets").fetchall()
                db.execute("SELECT * FROM ticket_history").fetchall()
                db.execute("SELECT * FROM ping_stages").fetchall()
                db.execute("SELECT * FROM self_service_resolutions").fetchall()
            raw.append(time.perf_counter() - began)
    return {
        "bench": "report_speed",
        "tickets": tickets,
        "days": days,
        "report_ms": median_ms(timed),
        "raw_read_ms": median_ms(raw),
        "ratio": round(statistics.median(timed) / statistics.median(raw), 1),
        "png_ms": median_ms(png),
        "png_kib": len(picture) // 1024,
        "html_ms": median_ms(page),
        "runs": runs,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.days, args.scale, args.runs))))
