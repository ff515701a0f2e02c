"""People and where to reach them: a person, their platform accounts and chats."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Identity:
    """A person's account on one platform (``console:alice``, ``slack:U024BE7LH``)."""

    platform: str
    external_id: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.external_id}"

    @classmethod
    def parse(cls, text: str) -> Identity:
        platform, sep, external_id = text.partition(":")
        if not sep or not platform or not external_id:
            raise ValueError(f'"{text}" is not of the form platform:id')
        return cls(platform.strip(), external_id.strip())


@dataclass(slots=True)
class Person:
    """Someone the desk knows: a requester, an agent, or both."""

    display_name: str
    timezone: str | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class ChatAddress:
    """Where to reach a chat on a platform: a channel/group id or a direct chat."""

    platform: str
    chat_id: str
