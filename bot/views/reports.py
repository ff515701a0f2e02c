"""The lead's figures in words: what each figure is called, and the chat's /report answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.messages import Field, Message

if TYPE_CHECKING:
    from bot.domain.figures import Figures, IncidentFigures

REPORT_PICTURE = "report:"  # a Message.picture: "report:<seconds>", the last span's report

# What each column of Figures.row() is called where a person reads it.
LABELS = {
    "opened": "Tickets opened",
    "resolved": "Tickets resolved",
    "backlog": "Backlog at the end",
    "response_met_pct": "Response SLA met %",
    "resolution_met_pct": "Resolution SLA met %",
    "update_met_pct": "Update SLA met %",
    "response_median_h": "Response median (business h)",
    "response_p90_h": "Response 90th pct (business h)",
    "resolution_median_h": "Resolution median (business h)",
    "resolution_p90_h": "Resolution 90th pct (business h)",
    "breaches": "SLA breaches",
    "pings": "SLA pings sent",
    "deflection_pct": "Self-service (deflection) %",
    "reopen_pct": "Reopened %",
    "rated_pct": "Satisfaction answered %",
    "rating_mean": "Satisfaction mean (1-5)",
    "incidents_proposed": "Incidents proposed",
    "incidents_declared": "Incidents declared",
    "incidents_dismissed": "Proposals marked not related",
    "incidents_resolved": "Incidents resolved",
    "proposals_per_1000_tickets": "Proposals per 1 000 tickets",
    "time_to_declare_median_min": "Time to declare, median (min)",
    "time_to_resolve_median_h": "Time to resolve, median (h)",
    "tickets_per_incident": "Tickets per incident",
}


def label_of(column: str) -> str:
    if column in LABELS:
        return LABELS[column]
    if column.startswith("escalated_"):
        return f"Escalated from {column.removeprefix('escalated_').removesuffix('_pct')} %"
    if column.startswith("rated_"):
        return f"Rated {column.removeprefix('rated_')}★"
    return column


def cell(value: object) -> str:
    return "–" if value is None else str(value)


# The figures a chat answer shows: the headline, short enough for a phone.
HEADLINE = (
    "opened",
    "resolved",
    "backlog",
    "response_met_pct",
    "resolution_met_pct",
    "update_met_pct",
    "resolution_median_h",
    "resolution_p90_h",
    "breaches",
    "deflection_pct",
    "reopen_pct",
    "rating_mean",
)


def report_picture(seconds: int) -> str:
    return f"{REPORT_PICTURE}{seconds}"


def report_headline(
    figures: Figures, span: str, seconds: int, incidents: IncidentFigures | None = None
) -> Message:
    """The headline figures; the pictures follow on platforms that show them."""
    row = figures.row()
    escalated = [k for k in row if k.startswith("escalated_")][:1]  # the first tier's: L1
    fields = [Field(label_of(k), cell(row[k])) for k in (*HEADLINE, *escalated)]
    if incidents is not None and incidents.proposed:
        fields.append(Field("Major incidents", incident_summary(incidents)))
    return Message(
        title=f"Desk figures, last {span}",
        fields=tuple(fields),
        picture=report_picture(seconds),
    )


def incident_summary(figures: IncidentFigures) -> str:
    """The period's incidents in one line (chat headline, the picture's footer)."""
    if not figures.proposed:
        return "none"
    parts = [f"{figures.declared} declared of {figures.proposed} proposed"]
    if figures.dismissed:
        parts[0] += f" ({figures.dismissed} not related)"
    parts.append(f"{figures.resolved} resolved")
    if figures.tickets_per_incident is not None:
        parts.append(f"{figures.tickets_per_incident:.1f} tickets each")
    if figures.declare_median_min is not None:
        parts.append(f"declared in {figures.declare_median_min:.0f} min")
    if figures.resolve_median_h is not None:
        parts.append(f"resolved in {figures.resolve_median_h:.1f} h (medians)")
    return ", ".join(parts)


# Where a chat cannot show the pictures (the console): how to get them.
PICTURE_IN_A_FILE = "the pictures: tierdesk report --format png --out report.png"

REPORT_REFUSED = "The desk's figures are for support leads; ask your lead for the report."
