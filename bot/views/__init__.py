"""Every word and button a person sees, built from domain objects. Pure: no I/O.

Services and the desk build messages here and nowhere else; adapters render the neutral
messages for their platform and take the command table and prompts from here.
"""

from bot.views.commands import (
    AGENT_COMMANDS,
    AGENT_HELP,
    REQUESTER_COMMANDS,
    REQUESTER_HELP,
    Command,
)
from bot.views.knowledge import draft_preview
from bot.views.prompts import BUTTON_UNUSABLE, NOT_SAVED, PROMPTS, Prompt
from bot.views.tickets import (
    SUMMARY_LENGTH,
    left_card,
    priority_label,
    product_name,
    queue_order,
    resolved_for_requester,
    summary_of,
    ticket_card,
    ticket_detail,
    ticket_fields,
    ticket_list,
    ticket_opened,
    urgency_label,
)

__all__ = [
    "AGENT_COMMANDS",
    "AGENT_HELP",
    "BUTTON_UNUSABLE",
    "NOT_SAVED",
    "PROMPTS",
    "REQUESTER_COMMANDS",
    "REQUESTER_HELP",
    "SUMMARY_LENGTH",
    "Command",
    "Prompt",
    "draft_preview",
    "left_card",
    "priority_label",
    "product_name",
    "queue_order",
    "resolved_for_requester",
    "summary_of",
    "ticket_card",
    "ticket_detail",
    "ticket_fields",
    "ticket_list",
    "ticket_opened",
    "urgency_label",
]
