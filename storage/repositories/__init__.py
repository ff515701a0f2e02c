"""Storage's implementations of the desk's repository ports, one module per area.

Each repository works inside the one ``AsyncSession`` of its unit of work and never commits.
Rows are mapped to fresh ``bot`` dataclasses on the way out, so the desk never holds an ORM
object. Writes are flushed at once, so a constraint error surfaces at the call that caused it.

Concurrency, on both databases:

- ``tickets.get`` locks the ticket's row (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's
  transactions take the write lock up front), so two agents claiming at once are serialised
  and the second sees the first's claim;
- ``inbound.first_time`` is one ``INSERT … ON CONFLICT DO NOTHING``: of two transactions
  recording the same event id, exactly one gets True;
- ``outbox.due`` skips rows another replica has locked (``FOR UPDATE SKIP LOCKED``);
- upserts (conversations, articles, message refs) are single statements, so they do not race.
"""

from storage.repositories.base import IdentityTaken
from storage.repositories.conversations import SqlConversationRepository
from storage.repositories.inbound import SqlInboundRepository
from storage.repositories.knowledge import SqlKnowledgeRepository
from storage.repositories.oncall import SqlOnCallRepository
from storage.repositories.outbox import SqlOutboxRepository
from storage.repositories.people import SqlPersonRepository
from storage.repositories.pings import SqlPingRepository
from storage.repositories.tickets import SqlTicketRepository

__all__ = [
    "IdentityTaken",
    "SqlConversationRepository",
    "SqlInboundRepository",
    "SqlKnowledgeRepository",
    "SqlOnCallRepository",
    "SqlOutboxRepository",
    "SqlPersonRepository",
    "SqlPingRepository",
    "SqlTicketRepository",
]
