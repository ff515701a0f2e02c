"""Who may do what: the rules the desk checks before a command reaches its service.

Someone who may not know a ticket exists is told exactly what they would be told if it did
not exist, so no command confirms that someone else's ticket does.
"""

from __future__ import annotations

from bot.domain import Identity, Ticket
from bot.errors import NotFound, PermissionDenied
from bot.services.commands import Access
from bot.services.notices import Actor
from bot.settings import Settings


class Rules:
    """The access rules of one configuration."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def is_agent(self, identity: Identity) -> bool:
        return bool(self.settings.agent_tiers(identity))

    def on_chain(self, identity: Identity, ticket: Ticket) -> bool:
        """Staff of any tier on the ticket's chain (its agents or its on-call rotation): they
        may see it, acknowledge its breaches and save it as an article."""
        return any(self.settings.tier(name).staffed_by(identity) for name in ticket.chain)

    def may_see(self, actor: Actor, ticket: Ticket) -> bool:
        """Its requester, the staff of its chain and whoever writes from a channel showing
        its card know the ticket exists; nobody else."""
        if ticket.requester_id == actor.person.id or self.on_chain(actor.identity, ticket):
            return True
        chat = actor.chat
        return not chat.direct and any(
            self.settings.tier(name).channels.get(chat.platform) == chat.chat_id
            for name in ticket.chain
        )

    def hidden(self, actor: Actor, number: int) -> NotFound:
        """The refusal for a ticket the actor may not see: word for word what they are told
        when no such ticket exists."""
        if self.is_agent(actor.identity):
            return NotFound(f"There is no ticket #{number}.")
        return NotFound(f"You have no ticket #{number}.")

    def check(self, actor: Actor, access: Access, number: int, ticket: Ticket | None) -> Ticket:
        """The ticket, if ``actor`` may run a command of ``access`` on it; else the refusal."""
        if access is Access.REQUESTER:
            if ticket is None or ticket.requester_id != actor.person.id:
                raise NotFound(f"You have no ticket #{number}.")
            return ticket
        if ticket is None or not self.may_see(actor, ticket):
            raise self.hidden(actor, number)
        if access is Access.STAFF and not self.on_chain(actor.identity, ticket):
            raise PermissionDenied(f"Only agents of {ticket.ref}'s tiers can do that.")
        if access is Access.AGENT and actor.identity not in self.settings.tier(ticket.tier).agents:
            raise PermissionDenied(
                f"Only {ticket.tier} agents can act on {ticket.ref} (it is with {ticket.tier})."
            )
        return ticket
