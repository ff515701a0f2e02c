"""Does the knowledge base get better as the desk is used? (issue 11, item 3) Measured through
the desk itself.

For each HINT3 set a real desk (``bot.desk.Desk`` on a migrated SQLite file, the shipped example
configuration with the set's articles: one per intent, five phrasings each, as in
``kb_quality.py``) is handed the set's ``train`` sentences beyond those five (seeded order) as
requesters who know the right article, one new requester per sentence:

- the requester writes the sentence in a direct chat; if the desk offers the right article, they
  press it and confirm (*This solved it*): a self-service confirmation, learned after
  ``knowledge.learn_after`` confirmations of the same masked question;
- otherwise they answer "I still need help" (if anything was offered) and the intake's questions,
  the ticket opens, and an L1 agent answers it with ``/answer N ARTICLE``: learned at once.

Everything goes through ``Desk.handle`` as an adapter would hand it over (events, buttons,
commands), so offers are counted, phrasings masked and stored, and the index re-synced exactly
as in production. After 0, 100 and 500 confirmations the set's ``test`` questions are asked
of the desk's index (top-3 with the gate on, ranking only, quiet on out-of-scope, as in
``kb_quality.py``). Only train sentences are replayed; test is only asked, never tuned on.

Run from the repository root: ``.venv/bin/python benchmarks/kb_learning.py [--learn-after N]``
(default 1: every requester's confirmation counts; the desk's default of 3 needs the same
masked question three times, which replayed distinct sentences rarely are).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import sys
import tempfile
import time
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from kb_quality import measure, ours_ranker
from kb_sets import DATA, PHRASINGS, _read_csv, load

from adapters.platforms import PLATFORMS
from bot.clock import FrozenClock
from bot.desk import Desk
from bot.domain import Identity
from bot.events import ActionPressed, ChatRef, CommandInvoked, MessageReceived, UserRef
from bot.knowledge import Article, KnowledgeIndex
from bot.messages import Action
from bot.services.intake import Step
from bot.settings import Settings, parse_settings
from bot.views.intake import SKIP, SUBMIT, UNKNOWN
from storage.db import make_engine
from storage.migrate import upgrade
from storage.uow import SqlUnitOfWorkFactory

ROOT = Path(__file__).resolve().parents[1]
STEPS = (0, 100, 500)
AGENT = "alice"  # an L1 agent of config.example.toml
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def confirmations(name: str, data: Path) -> list[tuple[str, str]]:
    """Train sentences after each intent's first five, in a seeded random order."""
    seen: dict[str, int] = {}
    extra = []
    for text, label in _read_csv(data / f"hint3/{name}_train.csv"):
        seen[label] = seen.get(label, 0) + 1
        if seen[label] > PHRASINGS:
            extra.append((text, label))
    random.Random(11).shuffle(extra)
    return extra


def settings_for(db_url: str, learn_after: int) -> Settings:
    raw = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    raw["storage"]["url"] = db_url
    raw["knowledge"]["sources"] = []
    raw["knowledge"]["learn_after"] = learn_after
    return parse_settings(raw, {}, platforms=PLATFORMS, base_dir=ROOT)


class Replay:
    """Requesters and an agent talking to one desk, through ``Desk.handle``."""

    def __init__(self, desk: Desk, clock: FrozenClock) -> None:
        self.desk = desk
        self.clock = clock
        self._ids = itertools.count(1)
        self.solved = self.answered = 0

    def _user(self, name: str) -> tuple[UserRef, ChatRef]:
        return UserRef("console", name, name), ChatRef("console", name, direct=True)

    async def _say(self, name: str, text: str) -> None:
        user, chat = self._user(name)
        await self.desk.handle(MessageReceived(f"e{next(self._ids)}", user, chat, text))

    async def _press(self, name: str, action: Action, value: str = "") -> None:
        user, chat = self._user(name)
        event = ActionPressed(f"e{next(self._ids)}", user, chat, action, None, value)
        await self.desk.handle(event)

    async def _dialog(self, name: str) -> tuple[str, dict[str, object]] | None:
        async with self.desk.uow_factory() as uow:
            found = await uow.conversations.get("console", name, name)
        return (found.state, found.data) if found is not None else None

    async def confirm(self, n: int, question: str, article_id: str) -> None:
        """Requester ``n`` asks ``question``, which ``article_id`` answers."""
        name = f"requester{n}"
        self.clock.advance(timedelta(minutes=1))
        await self._say(name, question)
        dialog = await self._dialog(name)
        if dialog and dialog[0] == Step.SUGGEST and article_id in dialog[1]["suggestions"]:
            await self._press(name, Action.SOLVED, article_id)
            await self._press(name, Action.SOLVED, article_id)  # "Yes, it solved it"
            self.solved += 1
            return
        if dialog and dialog[0] == Step.SUGGEST:
            await self._press(name, Action.NEED_HELP)
        while (dialog := await self._dialog(name)) is not None:
            await self._press(name, Action.CHOOSE, self._answer(Step(dialog[0])))
        async with self.desk.uow_factory() as uow:
            person = await uow.people.by_identity(Identity("console", name))
            assert person is not None and person.id is not None
            ticket = (await uow.tickets.list(requester_id=person.id, limit=1))[0]
        user, chat = self._user(AGENT)
        args = f"{ticket.number} {article_id}"
        await self.desk.handle(CommandInvoked(f"e{next(self._ids)}", user, chat, "answer", args))
        self.answered += 1

    def _answer(self, step: Step) -> str:
        priority = self.desk.settings.priority
        first = {
            Step.IMPACT: priority.impacts[-1].key,
            Step.CAN_WORK: priority.can_work[-1].key,
            Step.URGENCY: priority.urgencies[-1].key,
            Step.CATEGORY: self.desk.settings.categories[0].key,
            Step.VERSION: UNKNOWN,
            Step.DETAILS: SKIP,
            Step.CONFIRM: SUBMIT,
        }
        return first[step]


async def run_set(name: str, data: Path, learn_after: int) -> None:
    evalset = load(name, "test", data)
    learnt = confirmations(name, data)
    questions = list(dict.fromkeys([*(q for q, _ in evalset.tests), *evalset.oos]))
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'desk.db'}"
        engine = make_engine(url)
        try:
            await upgrade(engine)
            clock = FrozenClock(T0)
            settings = settings_for(url, learn_after)
            articles: list[Article] = list(evalset.articles)
            desk = Desk(
                settings, SqlUnitOfWorkFactory(engine, clock), clock, KnowledgeIndex(articles)
            )
            await desk.knowledge.sync(clock.now())
            replay = Replay(desk, clock)
            done = 0
            started = time.perf_counter()
            for step in STEPS:
                for question, label in learnt[done:step]:
                    await replay.confirm(done, question, label)
                    done += 1
                clock.advance(timedelta(hours=1))
                await desk.knowledge.sync(clock.now())  # the offer counts, as at a tick
                index = desk.knowledge.index
                rank = ours_ranker(index, 0.0)
                result = measure(
                    {q: rank(q) for q in questions}, evalset.tests, evalset.oos, index.threshold
                )
                async with desk.uow_factory() as uow:
                    learned = sum(len(p) for p in (await uow.knowledge.learned()).values())
                line = {
                    "benchmark": "kb_learning",
                    "set": name,
                    "confirmations": done,
                    "self_service": replay.solved,
                    "agent_answers": replay.answered,
                    "learned_phrasings": learned,
                    "learn_after": learn_after,
                    "top3": round(result["top3"], 3),
                    "quiet": round(result["quiet"], 3),
                    "top3_rank": round(result["top3_rank"], 3),
                    "replay_s": round(time.perf_counter() - started, 1),
                    "path": "Desk.handle: DM, suggestions, This solved it or intake + /answer",
                    "exposure": "phrasings from train only; test asked, never tuned on",
                }
                print(json.dumps(line), flush=True)
                if done >= len(learnt):
                    break
        finally:
            await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--learn-after", type=int, default=1)
    parser.add_argument("--set", action="append", choices=("curekart", "powerplay11"))
    args = parser.parse_args()
    for name in args.set or ("curekart", "powerplay11"):
        asyncio.run(run_set(name, args.data, args.learn_after))


if __name__ == "__main__":
    main()
