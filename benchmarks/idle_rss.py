"""How much memory does an idle ``tierdesk run`` hold, beside bare processes holding the same
third-party libraries?

- tierdesk: a real ``tierdesk run`` on a copy of ``config.example.toml`` (console off, Slack in
  HTTP mode against the fake Web API of ``tests/fakes/slack_api.py``, so the Slack adapter is
  loaded; a SQLite file migrated beforehand by ``tierdesk migrate``, as a deployment does
  once: a desk that restarts on its database), started under ``python -X importtime`` so
  the run itself tells
  which modules it imported (the flag prints one line per import as it happens and keeps
  nothing). Once it listens and has been idle ``--idle`` seconds: ``VmRSS`` (and ``RssAnon``,
  ``RssFile``, the peak ``VmHWM``) from ``/proc/PID/status``.
- reference ``imports``: ``python -c`` importing every third-party module that run imported
  (each dotted name whose package lives in site-packages: ``slack_bolt.app.async_app``,
  ``sqlalchemy.ext.asyncio``, ``numpy`` …), then idle as long: what the libraries alone
  cost, before the desk builds anything.
- reference ``bolt_app``: the bare slack-bolt app of ``slack_first_dm.py``, listening.

Target (issue 10): tierdesk ≤ 120 MiB. Run from the repository root:
``.venv/bin/python benchmarks/idle_rss.py``. One JSON line.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import importlib.util
import re
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (
    FIRST_DM_REFERENCE,
    ROOT,
    BenchSlackApi,
    Server,
    emit,
    free_port,
    load,
    spawn,
    start_python,
    status_kib,
    tierdesk_config,
    tierdesk_env,
    wait_listening,
)

TARGET_MIB = 120
HOLD = """
import importlib, sys, time
failed = []
for name in sys.argv[2:]:
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(name)
print("imported", len(sys.argv) - 2 - len(failed), "failed", failed, flush=True)
time.sleep(3600)
"""
_IMPORTED = re.compile(r"^import time:\s+\d+ \|\s+\d+ \| (\s*)([\w.]+)\s*$")


def memory(pid: int) -> dict[str, float]:
    return {
        key: round(status_kib(pid, name) / 1024, 1)
        for key, name in (
            ("rss_mib", "VmRSS"),
            ("anon_mib", "RssAnon"),
            ("file_mib", "RssFile"),
            ("peak_mib", "VmHWM"),
        )
    }


def third_party(importtime_log: str) -> list[str]:
    """Every module (dotted name) the ``-X importtime`` lines show imported whose top-level
    package lives in site-packages, in import order."""
    names: list[str] = []
    for line in importtime_log.splitlines():
        found = _IMPORTED.match(line)
        if found and found.group(2) not in names:
            names.append(found.group(2))
    outside: dict[str, bool] = {}
    for name in {n.split(".")[0] for n in names}:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        origin = (spec.origin or "") if spec else ""
        outside[name] = "site-packages" in origin and not name.startswith("_")
    return [n for n in names if outside[n.split(".")[0]]]


async def idle_tierdesk(api: BenchSlackApi, folder: Path, idle: float) -> tuple[Server, str]:
    port = free_port()
    config = tierdesk_config(folder, api.url, port, f"sqlite+aiosqlite:///{folder / 'desk.db'}")
    log = folder / "tierdesk.log"
    tierdesk = ROOT / ".venv/bin/tierdesk"
    migrate = [sys.executable, str(tierdesk), "migrate", "--config", str(config)]
    spawn(migrate, folder, tierdesk_env(api.url), folder / "migrate.log").wait()
    args = [sys.executable, "-X", "importtime", str(tierdesk), "run", "--config", str(config)]
    process = spawn(args, folder, tierdesk_env(api.url), log)
    await wait_listening(port, process, log)
    await asyncio.sleep(idle)
    return Server("tierdesk", process, port, log), log.read_text(errors="replace")


async def idle_imports(names: list[str], folder: Path, idle: float) -> Server:
    log = folder / "imports.log"
    process = spawn([sys.executable, "-c", HOLD, "-", *names], folder, tierdesk_env(""), log)
    while "imported" not in log.read_text():
        if process.poll() is not None:
            raise RuntimeError(f"the imports failed:\n{log.read_text()[-3000:]}")
        await asyncio.sleep(0.05)
    await asyncio.sleep(idle)
    return Server("imports", process, 0, log)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--idle", type=float, default=5.0, help="seconds idle before reading")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-rss-"))
    api = BenchSlackApi()
    await api.start()
    load_before = load()
    try:
        desk, log = await idle_tierdesk(api, folder, args.idle)
        try:
            ours = memory(desk.pid)
        finally:
            await desk.stop()
        names = third_party(log)
        holder = await idle_imports(names, folder, args.idle)
        try:
            imports = memory(holder.pid)
            failed = ast.literal_eval(holder.log.read_text().split("failed", 1)[1].strip())
        finally:
            await holder.stop()
        app = await start_python("bolt_app", FIRST_DM_REFERENCE, folder, api.url)
        try:
            await asyncio.sleep(args.idle)
            bolt = memory(app.pid)
        finally:
            await app.stop()
    finally:
        await api.stop()
        shutil.rmtree(folder, ignore_errors=True)
    emit(
        {
            "benchmark": "idle_rss",
            "idle_s": args.idle,
            "tierdesk": ours,
            "reference": {"imports": imports, "bolt_app": bolt},
            "third_party_modules": len(names),
            "reference_import_failures": len(failed),  # Windows-only and CPU-variant modules
            "third_party_packages": sorted({n.split(".")[0] for n in names}),
            "over_imports_mib": round(ours["rss_mib"] - imports["rss_mib"], 1),
            "target_mib": TARGET_MIB,
            "met": ours["rss_mib"] <= TARGET_MIB,
            "load": [load_before, load()],
        }
    )


if __name__ == "__main__":
    asyncio.run(main())
