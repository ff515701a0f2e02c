"""Do two ``tierdesk run`` replicas on one PostgreSQL take more first DMs per second than one,
and what becomes of the ack p99, beside the bare slack-bolt reference of the same run?

The setting of ``slack_first_dm.py`` (its signed first DMs of CLINC150 questions, its fake Slack
Web API, its bare slack-bolt reference with no database): the load generator runs in this
process and spreads the DMs round-robin over the replicas, as a load balancer without
stickiness does. The replicas share one PostgreSQL schema of their own (created, and dropped at
the end, in the database of ``--pg-url``), migrated by the first replica before the second
starts. Phases, each on a fresh schema: the reference, one replica, two replicas; each
``--events`` DMs with ``--in-flight`` at a time after a warm-up. One JSON line: DMs per second,
ack p50/p99 and non-200 answers of each, and ``scaling`` = two / one (target ≥ 1.7 on the
2-core machine, the load generator included).

Run from the repository root: ``.venv/bin/python benchmarks/replicas.py [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    FIRST_DM_REFERENCE,
    BenchSlackApi,
    Server,
    cpu_seconds,
    emit,
    free_port,
    load,
    percentile,
    start_python,
    start_tierdesk,
    tierdesk_config,
)
from slack_first_dm import send_dm

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class RoundRobin:
    """Looks like one server to ``send_dm``: each request goes to the next replica."""

    def __init__(self, servers: list[Server]) -> None:
        self.servers = servers
        self._next = itertools.cycle(servers)

    @property
    def url(self) -> str:
        return next(self._next).url


def schema_url(pg_url: str, schema: str) -> str:
    url = sa.engine.make_url(pg_url)
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


def fresh_schema(pg_url: str, schema: str) -> None:
    engine = sa.create_engine(pg_url)
    with engine.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    engine.dispose()


def drop_schema(pg_url: str, schema: str) -> None:
    engine = sa.create_engine(pg_url)
    with engine.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    engine.dispose()


def postgres_cpu_seconds() -> float:
    """CPU of the PostgreSQL server's processes (the database the replicas wait on)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    total += cpu_seconds(int(entry.name))
    return total


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle (``/proc/stat``), whoever spent them."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


async def throughput(servers: list[Server], events: int, in_flight: int) -> dict[str, float]:
    target = RoundRobin(servers)
    acks: list[float] = []
    errors = 0
    queue = iter(range(events))
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(
        timeout=timeout, connector=aiohttp.TCPConnector(limit=0)
    ) as http:

        async def worker() -> None:
            nonlocal errors
            for _ in queue:
                seconds, status, _, _ = await send_dm(http, target)  # type: ignore[arg-type]
                acks.append(seconds)
                errors += status != 200

        cpu0 = sum(cpu_seconds(s.pid) for s in servers)
        own0 = time.process_time()
        database0, machine0 = postgres_cpu_seconds(), machine_busy_seconds()
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(in_flight)))
        wall = time.perf_counter() - started
        cpu = sum(cpu_seconds(s.pid) for s in servers) - cpu0
        own = time.process_time() - own0
        database = postgres_cpu_seconds() - database0
        machine = machine_busy_seconds() - machine0
    return {
        "dms_per_s": round(events / wall, 1),
        "cpu_ms_per_dm": round(1000 * cpu / events, 2),  # all replicas together
        # cores this process used: the load generator and the fake Web API (1.0: saturated)
        "generator_cores": round(own / wall, 2),
        "replica_cores": round(cpu / wall, 2),
        "database_cores": round(database / wall, 2),  # every postgres process on the machine
        "machine_cores_busy": round(machine / wall, 2),  # of os.cpu_count(): saturated near it
        "load_after": load(),
        "ack_p50_ms": round(1000 * percentile(acks, 0.5), 1),
        "ack_p99_ms": round(1000 * percentile(acks, 0.99), 1),
        "non_200": errors,
    }


async def measure(replicas: int, args: argparse.Namespace, schema: str) -> dict[str, float]:
    """``replicas`` tierdesk processes (0: the reference) behind one fake Web API."""
    api = BenchSlackApi()
    await api.start()
    folder = Path(tempfile.mkdtemp(prefix=f"bench-replicas-{replicas}-"))
    servers: list[Server] = []
    try:
        if replicas == 0:
            servers.append(await start_python("reference", FIRST_DM_REFERENCE, folder, api.url))
        else:
            fresh_schema(args.pg_url, schema)
            url = schema_url(args.pg_url, schema)
            for i in range(replicas):  # one after the other: the first one migrates
                sub = folder / f"r{i}"
                sub.mkdir()
                port = free_port()
                config = tierdesk_config(sub, api.url, port, url)
                servers.append(await start_tierdesk(f"replica{i}", config, port, sub, api.url))
        await throughput(servers, 20 * len(servers), 5)  # warm-up
        return await throughput(servers, args.events, args.in_flight)
    finally:
        for server in servers:
            await server.stop()
        await api.stop()
        shutil.rmtree(folder, ignore_errors=True)
        if replicas:
            drop_schema(args.pg_url, schema)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--in-flight", type=int, default=40)
    parser.add_argument(
        "--pg-url", default=DEFAULT_PG, help="a PostgreSQL database to make a schema in"
    )
    parser.add_argument("--quick", action="store_true", help="400 DMs per phase")
    args = parser.parse_args()
    if args.quick:
        args.events = 400
    schema = f"bench_replicas_{os.getpid()}"
    load_before = load()
    reference = await measure(0, args, schema)
    one = await measure(1, args, schema)
    two = await measure(2, args, schema)
    emit(
        {
            "benchmark": "replicas",
            "database": "postgresql",
            "events": args.events,
            "in_flight": args.in_flight,
            "texts": "clinc150 train, seeded",
            "one": one,
            "two": two,
            "reference": reference,
            "scaling": round(two["dms_per_s"] / one["dms_per_s"], 2),
            "target_scaling": 1.7,
            "cores": os.cpu_count(),
            "load_before": load_before,
        }
    )


if __name__ == "__main__":
    asyncio.run(main())
