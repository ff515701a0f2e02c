"""``tierdesk demo seed`` and ``tierdesk report`` as a lead runs them: every format carries
the same numbers, the pictures are real PNGs, the HTML stands alone, bad options are named."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.e2e.console_process import write_config
from tests.e2e.test_cli import tierdesk


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    config = write_config(tmp_path_factory.mktemp("report"))
    done = tierdesk("demo", "seed", "--days", "14", "--config", str(config))
    assert done.returncode == 0, done.stderr
    tickets = int(re.search(r"seeded (\d+) tickets", done.stdout).group(1))  # type: ignore[union-attr]
    assert tickets > 100
    return config, tickets


def whole_period() -> tuple[str, ...]:
    today = datetime.now(UTC).date()
    return ("--from", str(today - timedelta(days=20)), "--to", str(today + timedelta(days=1)))


def test_every_format_carries_the_same_figures(seeded: tuple[Path, int], tmp_path: Path) -> None:
    config, tickets = seeded
    done = tierdesk("report", *whole_period(), "--format", "json", "--config", str(config))
    assert done.returncode == 0, done.stderr
    whole = json.loads(done.stdout)
    total = whole["total"]
    incidents = whole["incidents"]  # the demo's outage of seven reports, and a false alarm
    assert (incidents["incidents_declared"], incidents["incidents_dismissed"]) == (1, 1)
    assert incidents["tickets_per_incident"] == 7.0
    assert total["opened"] == tickets  # every seeded ticket, counted once
    assert 0 < total["resolved"] <= tickets and total["backlog"] > 0
    assert 0 < total["deflection_pct"] < 100 and 0 < total["resolution_met_pct"] < 100
    assert sum(total[f"rated_{n}"] for n in range(1, 6)) > 0 and total["breaches"] > 0
    # the demo has escalations, reopenings and customers' update clocks too
    assert total["escalated_L1_pct"] > 0 and total["reopen_pct"] > 0
    assert 0 < total["update_met_pct"] < 100

    done = tierdesk("report", *whole_period(), "--format", "csv", "--config", str(config))
    row = next(csv.DictReader(io.StringIO(done.stdout)))
    assert row["group"] == "all"
    assert {k: v for k, v in row.items() if k != "group"} == {
        k: "" if v is None else str(v)
        for k, v in (total | whole["incidents"]).items()
        if k != "group"
    }

    done = tierdesk("report", *whole_period(), "--config", str(config))
    assert re.search(rf"Tickets opened\s+│\s+{tickets}\s", done.stdout)
    assert f"{total['resolution_met_pct']}" in done.stdout

    done = tierdesk(
        "report", "--since", "7d", "--by", "agent", "--format", "json", "--config", str(config)
    )
    groups = [g["group"] for g in json.loads(done.stdout)["groups"]]
    assert "Alice" in groups and "Bob" in groups


def test_png_and_html_are_pictures_a_lead_can_open(
    seeded: tuple[Path, int], tmp_path: Path
) -> None:
    config, _ = seeded
    png, page = tmp_path / "report.png", tmp_path / "report.html"
    done = tierdesk("report", "--format", "png", "--out", str(png), "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and png.stat().st_size > 50_000
    done = tierdesk(
        "report",
        "--by",
        "priority",
        "--format",
        "html",
        "--out",
        str(page),
        "--config",
        str(config),
    )
    assert done.returncode == 0, done.stderr
    text = page.read_text(encoding="utf-8")
    assert "data:image/png;base64,iVBORw0KGgo" in text  # the picture is inside the page
    assert not re.search(r"""(src|href)=["']?https?:""", text)  # nothing fetched from outside
    assert "<th>S1</th>" in text and "Resolution SLA met %" in text
    assert "<h2>Major incidents</h2>" in text and "<td>Tickets per incident</td>" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--format", "png"), "--out: --format png writes a file: give --out FILE"),
        (("--since", "soon"), "--since: "),
        (("--from", "2026-13-01"), '--from: "2026-13-01" is not a date like 2026-11-23'),
        (("--from", "2026-11-20", "--to", "2026-11-10"), "--to: 2026-11-10 is before --from"),
        (("--since", "7d", "--from", "2026-11-01"), "--since: give --since or --from/--to"),
    ],
)
def test_bad_options_are_named(
    seeded: tuple[Path, int], args: tuple[str, ...], message: str
) -> None:
    config, _ = seeded
    done = tierdesk("report", *args, "--config", str(config))
    assert done.returncode == 2
    assert done.stderr.startswith(f"tierdesk report: {message}")


def test_a_big_incident_lists_whole_ticket_numbers_and_how_many_more(
    seeded: tuple[Path, int],
) -> None:
    config, _ = seeded
    done = tierdesk("tickets", "--incidents", "--json", "--config", str(config))
    outage = next(i for i in json.loads(done.stdout) if i["status"] == "resolved")
    numbers = outage["tickets"]
    assert len(numbers) == 7  # the demo's VPN outage
    table = tierdesk("tickets", "--incidents", "--config", str(config)).stdout
    row = next(line for line in table.splitlines() if "VPN drops every few minutes" in line)
    shown = re.findall(r"#(\d+)", row)
    more = re.search(r" \+(\d+) ", row)
    assert more is not None and len(shown) + int(more.group(1)) == 7
    assert [int(n) for n in shown] == numbers[: len(shown)]  # whole numbers, in order
