"""Storage's implementations of the desk's repository ports, one module per area; how
they share a transaction and stay safe under concurrency is told in :mod:`.base`."""

from storage.repositories.base import IdentityTaken
from storage.repositories.conversations import SqlConversationRepository
from storage.repositories.inbound import SqlInboundRepository
from storage.repositories.incidents import SqlIncidentRepository
from storage.repositories.knowledge import SqlKnowledgeRepository
from storage.repositories.oncall import SqlOnCallRepository
from storage.repositories.outbox import SqlOutboxRepository
from storage.repositories.people import SqlPersonRepository
from storage.repositories.pings import SqlPingRepository
from storage.repositories.reports import SqlReportRepository
from storage.repositories.tickets import SqlTicketRepository

__all__ = [
    "IdentityTaken",
    "SqlConversationRepository",
    "SqlInboundRepository",
    "SqlIncidentRepository",
    "SqlKnowledgeRepository",
    "SqlOnCallRepository",
    "SqlOutboxRepository",
    "SqlPersonRepository",
    "SqlPingRepository",
    "SqlReportRepository",
    "SqlTicketRepository",
]
