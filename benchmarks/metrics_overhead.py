"""What the metrics cost: ``Desk.handle`` with and without the in-process counting of
:func:`adapters.metrics.instrument`, and a ``/metrics`` scrape's database read and rendering.

Builds the real desk in this process on a fresh SQLite file (``tierdesk run``'s settings from a
copy of ``config.example.toml``: console off, Slack on) and hands it ``--dms`` first DMs from
distinct Slack users (CLINC150 ``train`` questions in a seeded order), alternating between the
plain ``handle`` (the reference, in the same run) and the instrumented one. Then it fills the
tickets table with ``--tickets`` open and closed tickets (a year of a busy desk) and times
``--scrapes`` scrapes (``DeskMetrics.render``: the database read and the text format).

Run from the repository root: ``.venv/bin/python benchmarks/metrics_overhead.py [--quick]``.
One JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import emit, free_port, percentile, questions, tierdesk_config, tierdesk_env
from desk_handle import first_dm

from adapters.metrics import DeskMetrics, instrument
from adapters.platforms import PLATFORMS
from adapters.runtime import build
from bot.domain import Identity, Person
from bot.domain.tickets import Status
from bot.settings import load_settings
from tests.factories import new_ticket

API = "http://127.0.0.1:9/api/"
CALLS = 100_000


class _Bare:
    """A desk whose ``handle`` does nothing: what is left is the wrapper's own cost."""

    async def handle(self, event: Any) -> bool:
        return True


async def wrapper_cost_us(metrics: DeskMetrics) -> tuple[float, float]:
    """Microseconds per call of a do-nothing ``handle``, bare and instrumented (best of 3)."""
    event = first_dm(0, "X", "")
    bare, wrapped = _Bare(), _Bare()
    instrument(wrapped, metrics)  # type: ignore[arg-type]
    best = {"bare": float("inf"), "wrapped": float("inf")}
    for _ in range(3):
        for label, desk in (("bare", bare), ("wrapped", wrapped)):
            started = time.perf_counter()
            for _ in range(CALLS):
                await desk.handle(event)
            best[label] = min(best[label], (time.perf_counter() - started) / CALLS * 1e6)
    return best["bare"], best["wrapped"]


async def measure(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    config = tierdesk_config(folder, API, free_port(), url)
    settings = load_settings(config, tierdesk_env(API), platforms=PLATFORMS)
    runtime = await build(settings)
    texts = iter(questions())
    try:
        plain = runtime.desk.handle
        metrics = DeskMetrics(runtime.engine, runtime.clock)
        instrument(runtime.desk, metrics)
        timed = runtime.desk.handle
        for n in range(args.warmup):
            await plain(first_dm(n, "W", next(texts)))
        seconds: dict[str, list[float]] = {"plain": [], "instrumented": []}
        for n in range(2 * args.dms):
            label, handle = ("plain", plain) if n % 2 == 0 else ("instrumented", timed)
            event = first_dm(n, "D", next(texts))
            started = time.perf_counter()
            await handle(event)
            seconds[label].append(time.perf_counter() - started)
        async with runtime.uow_factory() as uow:
            sam = await uow.people.add(Person("Sam"), Identity("slack", "USAM"))
            for n in range(args.tickets):
                ticket = new_ticket(requester_id=sam.id, priority=f"S{1 + n % 4}")
                if n % 10:  # nine in ten are done
                    ticket.status = Status.CLOSED
                await uow.tickets.add(ticket)
            await uow.commit()
        bare_us, wrapped_us = await wrapper_cost_us(metrics)
        scrape = []
        for _ in range(args.scrapes):
            started = time.perf_counter()
            body = await metrics.render()
            scrape.append(time.perf_counter() - started)
    finally:
        await runtime.close()
    ms = {k: [1000 * s for s in v] for k, v in seconds.items()}
    p50 = {k: percentile(v, 0.5) for k, v in ms.items()}
    return {
        "benchmark": "metrics_overhead",
        "database": "sqlite",
        "dms_each": args.dms,
        "handle_plain_p50_ms": round(p50["plain"], 3),
        "handle_instrumented_p50_ms": round(p50["instrumented"], 3),
        "handle_plain_p99_ms": round(percentile(ms["plain"], 0.99), 3),
        "handle_instrumented_p99_ms": round(percentile(ms["instrumented"], 0.99), 3),
        "instrumented_over_plain_p50": round(p50["instrumented"] / p50["plain"], 3),
        "wrapper_cost_us": round(wrapped_us - bare_us, 2),
        "tickets": args.tickets,
        "scrape_p50_ms": round(percentile([1000 * s for s in scrape], 0.5), 2),
        "scrape_bytes": len(body),
        "reference": "plain Desk.handle, alternating with the instrumented one in the same run",
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dms", type=int, default=500, help="measured first DMs per variant")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--tickets", type=int, default=20000)
    parser.add_argument("--scrapes", type=int, default=50)
    parser.add_argument("--quick", action="store_true", help="200 DMs, 5000 tickets")
    args = parser.parse_args()
    if args.quick:
        args.dms, args.tickets = 200, 5000
    with tempfile.TemporaryDirectory(prefix="tierdesk-metrics-") as tmp:
        emit(await measure(args, Path(tmp)))


if __name__ == "__main__":
    asyncio.run(main())
