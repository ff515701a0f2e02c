"""Service levels: policies and calendars, a ticket's clocks, and the pings owed at *t*."""

from bot.sla.clocks import (
    pause,
    recompute,
    restart_resolution,
    resume,
    start_update_clock,
    target_of,
    time_left,
)
from bot.sla.pings import Escalation, Kind, Ping, Plan, breached_clocks, plan
from bot.sla.policy import DEFAULT_POLICY, Policy, Quiet, SlaSettings, Step, Target, parse_sla

__all__ = [
    "DEFAULT_POLICY",
    "Escalation",
    "Kind",
    "Ping",
    "Plan",
    "Policy",
    "Quiet",
    "SlaSettings",
    "Step",
    "Target",
    "breached_clocks",
    "parse_sla",
    "pause",
    "plan",
    "recompute",
    "restart_resolution",
    "resume",
    "start_update_clock",
    "target_of",
    "time_left",
]
