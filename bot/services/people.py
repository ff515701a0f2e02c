"""People's own settings: the time zone due times are shown in."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot import views
from bot.errors import InvalidInput
from bot.services.commands import SetTimezone
from bot.services.notices import Actor, ToActor, Work
from bot.settings import Settings


class PeopleService:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def set_timezone(self, work: Work, actor: Actor, cmd: SetTimezone) -> None:
        """Telegram tells no time zone: people set theirs (an empty zone asks which it is)."""
        zone = cmd.zone.strip()
        if not zone:
            current = actor.person.timezone or self.settings.timezone
            work.tell(ToActor(actor), views.your_zone(current))
            return
        if not _valid_zone(zone):
            raise InvalidInput(f'"{zone}" is not a time zone; use a name like Europe/Berlin.')
        actor.person.timezone = zone
        await work.uow.people.save(actor.person)
        work.tell(ToActor(actor), views.zone_set(zone))


def _valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
