"""``/metrics`` in Prometheus text format (``prometheus_client``), one registry per runtime.

Two kinds of figures, by what they cost:

- inbound events and their handling latency are counted in-process, around the desk's
  ``handle`` (a counter increment and a histogram observation per event);
- everything that lives in the database (open tickets by priority and tier, SLA ping
  stages and breaches, the outbox backlog and its oldest age, accepted knowledge-base
  suggestions) is read at scrape time (:func:`storage.gauges.read_gauges`) by a collector,
  so replicas agree and a restart loses nothing. The hot path does not touch them.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.clock import Clock
from bot.desk import Desk, Handled
from bot.events import InboundEvent
from storage.gauges import DeskGauges, read_gauges

__all__ = ["DeskMetrics", "instrument"]

# Chat events are handled in milliseconds; a slow database shows in the upper buckets.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass
class DeskMetrics:
    """The runtime's registry: in-process counters, and the database read at each scrape."""

    engine: AsyncEngine
    clock: Clock

    def __post_init__(self) -> None:
        self.registry = CollectorRegistry()
        self.inbound = Counter(
            "tierdesk_inbound_events",
            "Chat events received, by platform and outcome (handled, duplicate, failed).",
            ["platform", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "tierdesk_event_handling_seconds",
            "Time the desk took to handle one chat event, by platform.",
            ["platform"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._counters: dict[tuple[str, str], Counter] = {}
        self._histograms: dict[str, Histogram] = {}
        self._gauges = DeskGauges()
        self.registry.register(_DatabaseCollector(self))

    async def render(self) -> bytes:
        """Read the database, then render every family in the text format."""
        self._gauges = await read_gauges(self.engine)
        return generate_latest(self.registry)

    async def scrape(self, request: web.Request) -> web.Response:
        """The ``/metrics`` route."""
        body = await self.render()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    def observe(self, platform: str, outcome: str, seconds: float) -> None:
        """One handled event; the labelled children are looked up once per label pair
        (``labels()`` takes a lock and builds a key at every call)."""
        key = (platform, outcome)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = self.inbound.labels(platform, outcome)
        histogram = self._histograms.get(platform)
        if histogram is None:
            histogram = self._histograms[platform] = self.latency.labels(platform)
        counter.inc()
        histogram.observe(seconds)


class _DatabaseCollector:
    """Families made from the gauges the last scrape read (``collect`` must be sync)."""

    def __init__(self, metrics: DeskMetrics) -> None:
        self._metrics = metrics

    def describe(self) -> list[Metric]:
        return []  # collected at scrape time only: no read at registration

    def collect(self) -> Iterator[Metric]:
        gauges = self._metrics._gauges
        open_tickets = GaugeMetricFamily(
            "tierdesk_open_tickets",
            "Tickets open, in progress or waiting, by priority and tier.",
            labels=["priority", "tier"],
        )
        for (priority, tier), count in sorted(gauges.open_tickets.items()):
            open_tickets.add_metric([priority, tier], count)
        yield open_tickets
        pings = CounterMetricFamily(
            "tierdesk_sla_pings",
            "SLA ping stages sent (warn, breach, repeat, esc) and acknowledged (ack).",
            labels=["stage"],
        )
        for stage, count in gauges.ping_stages.items():
            pings.add_metric([stage], count)
        yield pings
        breaches = CounterMetricFamily(
            "tierdesk_sla_breaches", "SLA clocks that reached their due time.", labels=["clock"]
        )
        for clock, count in gauges.breaches.items():
            breaches.add_metric([clock], count)
        yield breaches
        yield GaugeMetricFamily(
            "tierdesk_outbox_backlog",
            "Messages waiting for delivery.",
            value=gauges.outbox_backlog,
        )
        oldest = gauges.outbox_oldest
        age = 0.0 if oldest is None else (self._metrics.clock.now() - oldest).total_seconds()
        yield GaugeMetricFamily(
            "tierdesk_outbox_oldest_age_seconds",
            "Age of the oldest message waiting for delivery (0: none waits).",
            value=max(0.0, age),
        )
        yield CounterMetricFamily(
            "tierdesk_knowledge_suggestions_accepted",
            "Knowledge-base suggestions a requester said solved the problem (no ticket).",
            value=gauges.self_service,
        )
        yield CounterMetricFamily(
            "tierdesk_knowledge_suggestions_shown",
            "Knowledge-base articles offered to a requester (one per article and question).",
            value=gauges.suggestions_shown,
        )
        yield CounterMetricFamily(
            "tierdesk_knowledge_suggestions_rejected",
            "Articles offered to a requester who then said they still needed help.",
            value=gauges.suggestions_rejected,
        )
        incidents = GaugeMetricFamily(
            "tierdesk_incidents",
            "Major incidents by status (proposed, open, resolved, dismissed: not related).",
            labels=["status"],
        )
        for status in ("proposed", "open", "resolved", "dismissed"):
            incidents.add_metric([status], gauges.incidents.get(status, 0))
        yield incidents


def instrument(desk: Desk, metrics: DeskMetrics) -> None:
    """Count and time every event the desk handles: ``desk.handle`` wrapped, once, at start
    (adapters call it as before; the desk itself knows nothing of metrics)."""
    handle: Callable[[InboundEvent], Awaitable[Handled]] = desk.handle
    perf_counter = time.perf_counter

    async def timed(event: InboundEvent) -> Handled:
        started = perf_counter()
        outcome = "failed"
        try:
            handled = await handle(event)
            outcome = "handled" if handled else "duplicate"
            return handled
        finally:
            metrics.observe(event.user.platform, outcome, perf_counter() - started)

    desk.handle = timed  # type: ignore[method-assign]
