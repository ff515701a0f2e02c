"""The lead's report as people read it: a rich table, CSV and JSON with the same numbers,
and the pictures (matplotlib, drawn off-screen) alone as a PNG or with the tables in one
self-contained HTML file (pictures embedded as base64, no outside links)."""

from __future__ import annotations

import base64
import csv
import html
import io
import json

from bot.domain.figures import Figures, Report
from bot.settings import Settings
from bot.views.reports import cell as _cell
from bot.views.reports import incident_summary, label_of


def _columns(report: Report) -> list[Figures]:
    return [report.total, *report.groups]


def period(report: Report, settings: Settings) -> str:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(settings.timezone)
    start, end = report.start.astimezone(zone), report.end.astimezone(zone)
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} ({settings.timezone})"


def to_table(report: Report, settings: Settings, width: int = 140) -> str:
    """Figures down, groups across (all first): readable however many figures there are."""
    from rich.console import Console
    from rich.table import Table

    title = f"tierdesk report {period(report, settings)}"
    if report.by:
        title += f", by {report.by}"
    table = Table(title=title)
    table.add_column("Figure")
    figures = _columns(report)
    for f in figures:
        table.add_column(f.label, justify="right")
    rows = [f.row() for f in figures]
    for column in rows[0]:
        if column == "group":
            continue
        table.add_row(label_of(column), *(_cell(r.get(column)) for r in rows))
    console = Console(file=io.StringIO(), width=width, record=True, color_system=None)
    console.print(table)
    if report.incidents is not None:
        incidents = Table(title="Major incidents")
        incidents.add_column("Figure")
        incidents.add_column("all", justify="right")
        for column, value in report.incidents.row().items():
            incidents.add_row(label_of(column), _cell(value))
        console.print(incidents)
    return console.export_text()


def to_csv(report: Report) -> str:
    """One row per group ("all" first), one column per figure; the incident figures are the
    whole desk's, so only the "all" row has them."""
    rows = [f.row() for f in _columns(report)]
    if report.incidents is not None:
        rows[0] |= report.incidents.row()
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), restval="", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if v is None else v for k, v in row.items()})
    return out.getvalue()


def to_json(report: Report) -> str:
    return json.dumps(
        {
            "start": report.start.isoformat(),
            "end": report.end.isoformat(),
            "by": report.by or None,
            "total": report.total.row(),
            "groups": [g.row() for g in report.groups],
            "incidents": report.incidents.row() if report.incidents else None,
            "weeks": [
                {
                    "week": w.label,
                    "start": w.start.isoformat(),
                    "total": w.total.row(),
                    "resolution_met_pct_by_priority": {
                        p: f.row()["resolution_met_pct"] for p, f in w.by_priority.items()
                    },
                    "backlog_by_tier": dict(w.backlog_by_tier),
                }
                for w in report.weeks
            ],
        },
        indent=2,
        ensure_ascii=False,
    )


# -- pictures ---------------------------------------------------------------------------


def to_png(report: Report, settings: Settings) -> bytes:
    """Four panels a lead shows in a meeting: SLA compliance per priority over the weeks,
    time to resolution against each priority's target, backlog by tier, deflection trend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    weeks = [w.short for w in report.weeks]
    priorities = [lv.name for lv in settings.priority.levels]
    colors = dict(zip(priorities, ["#d62728", "#ff7f0e", "#1f77b4", "#7f7f7f"], strict=False))
    fig, axes = plt.subplots(2, 2, figsize=(14, 8.5), dpi=110, layout="constrained")
    fig.suptitle(f"Support desk — {period(report, settings)}", fontsize=15, fontweight="bold")

    ax = axes[0][0]
    for p in priorities:
        values = [
            _nan(w.by_priority[p].resolution_met if p in w.by_priority else None)
            for w in report.weeks
        ]
        ax.plot(weeks, values, marker="o", label=p, color=colors.get(p), linewidth=2)
    ax.plot(
        weeks,
        [_nan(w.total.response_met) for w in report.weeks],
        linestyle="--",
        color="black",
        label="response (all)",
    )
    ax.axhline(90, color="green", linewidth=1, alpha=0.5)
    ax.text(
        0.99,
        91,
        "goal 90%",
        color="green",
        fontsize=8,
        ha="right",
        transform=ax.get_yaxis_transform(),
    )
    ax.set_ylim(0, 105)
    ax.set_title("Resolution SLA met per week, by priority (%)")
    ax.legend(fontsize=8, ncol=3, loc="lower left")
    ax.grid(alpha=0.3)

    ax = axes[0][1]
    shown = [p for p in priorities if any(rp == p for rp, _, _ in report.resolution_times)]
    data = [[h for rp, h, _ in report.resolution_times if rp == p] for p in shown]
    if data:
        box = ax.boxplot(data, orientation="horizontal", patch_artist=True, showfliers=True)
        ax.set_yticks(range(1, len(shown) + 1), shown)
        for patch, p in zip(box["boxes"], shown, strict=True):
            patch.set_facecolor(colors.get(p, "#999999"))
            patch.set_alpha(0.45)
        for i, p in enumerate(shown, start=1):
            target = next(t for rp, _, t in report.resolution_times if rp == p)
            late = sum(1 for h in data[i - 1] if h > target)
            ax.plot([target, target], [i - 0.4, i + 0.4], color="red", linewidth=2.5)
            ax.text(
                target,
                i - 0.42,
                f" target {target:g}h · {late}/{len(data[i - 1])} late",
                color="red",
                fontsize=8,
                va="top",
            )
        ax.set_xscale("log")
        ax.set_ylim(0.3, len(shown) + 0.5)
        longest = max(h for hours in data for h in hours)
        ax.set_xlim(right=max(longest, *(t for _, _, t in report.resolution_times)) * 4)
    ax.set_title("Time to resolution (business hours) against target")
    ax.set_xlabel("business hours (log scale)")
    ax.grid(alpha=0.3, axis="x")

    ax = axes[1][0]
    bottom = [0] * len(report.weeks)
    tier_colors = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3"]
    for i, tier in enumerate(settings.tiers):
        values = [w.backlog_by_tier.get(tier.name, 0) for w in report.weeks]
        ax.bar(
            weeks,
            values,
            bottom=bottom,
            label=f"{tier.name} {tier.label}",
            color=tier_colors[i % len(tier_colors)],
        )
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title("Backlog by tier at the end of each week (tickets)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, axis="y")

    ax = axes[1][1]
    opened = [w.total.opened for w in report.weeks]
    ax.bar(weeks, opened, color="#cccccc", label="tickets opened")
    ax.set_ylabel("tickets opened")
    twin = ax.twinx()
    twin.plot(
        weeks,
        [_nan(w.total.deflection) for w in report.weeks],
        marker="o",
        color="#2ca02c",
        linewidth=2,
        label="solved by an article (%)",
    )
    twin.set_ylim(0, max([50.0] + [w.total.deflection or 0 for w in report.weeks]) * 1.15)
    twin.set_ylabel("self-service %")
    ax.set_title("Self-service (deflection) trend")
    lines = ax.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    ax.legend(lines, ["tickets opened", "solved by an article (%)"], fontsize=8, loc="upper left")

    total = report.total
    fig.supxlabel(
        f"{total.opened} opened · {total.resolved} resolved · backlog {total.backlog} · "
        f"response SLA {_pct(total.response_met)} · resolution SLA {_pct(total.resolution_met)} · "
        f"deflection {_pct(total.deflection)} · reopened {_pct(total.reopen_rate)} · "
        f"satisfaction {_num(total.rating_mean)}/5 ({_pct(total.rated)} answered)"
        + (
            f"\nmajor incidents: {incident_summary(report.incidents)}"
            if report.incidents is not None and report.incidents.proposed
            else ""
        ),
        fontsize=10,
    )
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


def to_html(report: Report, settings: Settings) -> str:
    """One file: the pictures (base64) and a table per grouping, nothing fetched."""
    picture = base64.b64encode(to_png(report, settings)).decode("ascii")
    figures = _columns(report)
    rows = [f.row() for f in figures]
    head = "".join(f"<th>{html.escape(f.label)}</th>" for f in figures)
    body = "".join(
        f"<tr><td>{html.escape(label_of(c))}</td>"
        + "".join(f"<td>{html.escape(_cell(r.get(c)))}</td>" for r in rows)
        + "</tr>"
        for c in rows[0]
        if c != "group"
    )
    weeks = _weeks_table(report)
    title = html.escape(f"tierdesk report {period(report, settings)}")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
th, td {{ border: 1px solid #ccc; padding: 4px 10px; text-align: right; }}
td:first-child, th:first-child {{ text-align: left; }}
th {{ background: #f3f3f3; }}
img {{ max-width: 100%; }}
</style></head>
<body>
<h1>{title}</h1>
<img alt="{ALT}" src="data:image/png;base64,{picture}">
<h2>Figures{html.escape(f" by {report.by}" if report.by else "")}</h2>
<table><tr><th>Figure</th>{head}</tr>{body}</table>
<h2>Per week</h2>
{weeks}
{_incidents_table(report)}
</body></html>
"""


ALT = "SLA compliance, time to resolution, backlog and deflection"


def _weeks_table(report: Report) -> str:
    columns = [
        "opened",
        "resolved",
        "backlog",
        "response_met_pct",
        "resolution_met_pct",
        "breaches",
        "deflection_pct",
        "rating_mean",
    ]
    head = "".join(f"<th>{html.escape(label_of(c))}</th>" for c in columns)
    body = "".join(
        f"<tr><td>{html.escape(w.label)}</td>"
        + "".join(f"<td>{html.escape(_cell(w.total.row()[c]))}</td>" for c in columns)
        + "</tr>"
        for w in report.weeks
    )
    return f"<table><tr><th>Week</th>{head}</tr>{body}</table>"


def _incidents_table(report: Report) -> str:
    if report.incidents is None:
        return ""
    body = "".join(
        f"<tr><td>{html.escape(label_of(c))}</td><td>{html.escape(_cell(v))}</td></tr>"
        for c, v in report.incidents.row().items()
    )
    return f"<h2>Major incidents</h2>\n<table><tr><th>Figure</th><th>all</th></tr>{body}</table>"


def _nan(value: float | None) -> float:
    return float("nan") if value is None else value


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}%"


def _num(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"
