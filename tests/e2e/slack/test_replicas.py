"""Two real ``tierdesk run`` replicas on one PostgreSQL database, one fake Slack Web API and
one fake Bot API (Telegram in webhook mode), Slack's events and Telegram's updates spread
over both (consecutive messages of one requester on different
replicas): every ticket is created once, every message (cards, SLA pings) posted once; two
agents pressing Claim at once on different replicas: one wins, the other hears who; one
replica SIGKILLed mid-burst: the other finishes the outbox and the pings due, nothing twice.

SLA targets are seconds here (S1: response 4 s, resolution 8 s; tick 1 s) so the pings are
due within the test; the test polls for conditions, it never sleeps for a deadline.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa

from storage.db import make_engine
from storage.tables import IncidentRow, PingStageRow, TicketRow
from tests.e2e.slack import payloads
from tests.e2e.slack.desk_process import SECRET, DeskProcess, outbox
from tests.fakes.slack_api import Call, FakeSlackApi, slack_user
from tests.fakes.telegram_api import TOKEN as TG_TOKEN
from tests.fakes.telegram_api import FakeBotApi, person

pytestmark = pytest.mark.pg

FORM = "application/x-www-form-urlencoded"
REQUESTERS = [f"UREQ{i}" for i in range(4)]
ALICE, DAVE = "UALICE", "UDAVE"
L1 = "C0L1"
WAIT = 20.0
INTAKE = ("I still need help", "A group of people", "No, I'm blocked", "Right now")
THEN = ("Laptop, printer", "Skip", "Open ticket")
PROPOSAL = "Possible incident"


def fast_sla(config: Path) -> None:
    """Slack channels and agents for L1, S1 targets in seconds, a 1 s tick."""
    text = config.read_text(encoding="utf-8")
    text = text.replace(
        'agents = ["console:alice", "console:dave"]\nchannels = { console = "L1" }',
        f'agents = ["console:alice", "console:dave", "slack:{ALICE}", "slack:{DAVE}"]\n'
        f'channels = {{ console = "L1", slack = "{L1}" }}',
    )
    text = text.replace('response = "15m"\nresolution = "1h"', 'response = "4s"\nresolution = "8s"')
    text = text.replace('[sla]\ntick = "30s"', '[sla]\ntick = "1s"')
    assert f"slack:{ALICE}" in text and 'response = "4s"' in text and 'tick = "1s"' in text
    config.write_text(text, encoding="utf-8")


TG_SECRET = "replica-webhook-secret"
TG_L1 = "-1007001"
TG_PEOPLE = [person(7001, "Tess"), person(7002, "Theo")]


def with_telegram(bot_api: FakeBotApi) -> Callable[[Path], None]:
    """:func:`fast_sla`, and Telegram on ``bot_api`` in webhook mode (each replica sets the
    same webhook; updates reach whichever replica the load balancer picks)."""

    def configure(config: Path) -> None:
        fast_sla(config)
        text = config.read_text(encoding="utf-8")
        text = text.replace(f'slack = "{L1}" }}', f'slack = "{L1}", telegram = "{TG_L1}" }}')
        old = '[adapters.telegram]\nenabled = "auto"\ntoken = "${TELEGRAM_BOT_TOKEN:-}"'
        assert old in text
        text = text.replace(old, f'[adapters.telegram]\nenabled = true\ntoken = "{TG_TOKEN}"')
        text = text.replace(
            'base_url = "https://api.telegram.org/bot"', f'base_url = "{bot_api.base_url}"'
        )
        text = text.replace(
            'base_file_url = "https://api.telegram.org/file/bot"',
            f'base_file_url = "{bot_api.base_file_url}"',
        )
        text = text.replace(
            'webhook_url = "${TELEGRAM_WEBHOOK_URL:-}"',
            'webhook_url = "https://desk.example.invalid/telegram/webhook"',
        )
        text = text.replace(
            'webhook_secret = "${TELEGRAM_WEBHOOK_SECRET:-}"', f'webhook_secret = "{TG_SECRET}"'
        )
        config.write_text(text, encoding="utf-8")

    return configure


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeBotApi]:
    fake = FakeBotApi()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


@pytest.fixture
async def api() -> AsyncIterator[FakeSlackApi]:
    people = {u: slack_user(u, f"Requester {u[-1]}") for u in REQUESTERS}
    people |= {ALICE: slack_user(ALICE, "Alice"), DAVE: slack_user(DAVE, "Dave")}
    fake = FakeSlackApi(users=people, now=time.time)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()


async def until(condition: Callable[[], object], what: str, within: float = WAIT) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class Replicas:
    """The desks and the requests Slack sends them, spread round-robin (a load balancer
    without stickiness); a request a replica does not acknowledge is sent again to the
    next one, as Slack retries."""

    def __init__(self, api: FakeSlackApi, desks: list[DeskProcess], http: aiohttp.ClientSession):
        self.api = api
        self.desks = desks
        self.http = http
        self.turn = 0
        self.unacknowledged = 0  # requests a replica dropped (it was killed), sent again

    async def send(self, body: str, content_type: str = "application/json") -> None:
        """Post until a replica answers 200 (a dead or restarting one is passed by)."""
        deadline = time.monotonic() + WAIT
        while True:
            desk = self.desks[self.turn % len(self.desks)]
            self.turn += 1
            headers = payloads.signed_headers(body, SECRET, content_type=content_type)
            try:
                async with self.http.post(desk.url, data=body.encode(), headers=headers) as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            self.unacknowledged += 1
            assert time.monotonic() < deadline, "no replica acknowledged the request"
            if self.turn % len(self.desks) == 0:
                await asyncio.sleep(0.1)  # every replica refused: Slack retries later

    async def send_update(self, update: dict[str, object]) -> None:
        """A Telegram webhook delivery, to the next replica; Telegram redelivers on non-200."""
        deadline = time.monotonic() + WAIT
        while True:
            desk = self.desks[self.turn % len(self.desks)]
            self.turn += 1
            url = f"http://127.0.0.1:{desk.port}/telegram/webhook"
            headers = {"X-Telegram-Bot-Api-Secret-Token": TG_SECRET}
            try:
                async with self.http.post(url, json=update, headers=headers) as r:
                    if r.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            self.unacknowledged += 1
            assert time.monotonic() < deadline, "no replica took the update"
            if self.turn % len(self.desks) == 0:
                await asyncio.sleep(0.1)

    async def telegram_intake(self, bot_api: FakeBotApi, who: dict[str, object], text: str) -> None:
        """A whole intake in a Telegram private chat, each update to the next replica."""
        chat = str(who["id"])

        async def answer(update: dict[str, object]) -> None:
            seen = len(bot_api.sent_to(chat))
            await self.send_update(update)
            await until(lambda: len(bot_api.sent_to(chat)) > seen, f"{chat}: an answer")

        await answer(bot_api.text(who, text))
        for label in (*INTAKE[:3], "Today", *THEN):
            question = bot_api.sent_to(chat)[-1]
            shown = [b for b, _ in question.buttons if b.startswith(label)]
            if shown:
                await answer(bot_api.press(who, question, shown[0]))

    def dm_posts(self, user: str) -> list[Call]:
        return [
            c
            for c in self.api.of("chat.postMessage")
            if c.channel == f"D{user}" and c.answer.get("ok")
        ]

    def offers(self, user: str, *labels: str) -> str:
        """The first button label of ``user``'s last DM post starting with one of
        ``labels`` (tried in order), or ""."""
        posts = self.dm_posts(user)
        shown = [b["text"]["text"] for b in posts[-1].buttons] if posts else []
        return next((s for label in labels for s in shown if s.startswith(label)), "")

    async def intake(self, user: str, text: str) -> None:
        """A whole intake; its requests land on whichever replica's turn it is. Each
        answer is pressed once the question offering it has arrived (a message delivered
        late by the other replica is not taken for the answer to the last press)."""
        await self.send(payloads.event_body(payloads.message_event(user, f"D{user}", text)))
        labels = [*INTAKE, *THEN]
        for i, label in enumerate(labels):
            either = (label, labels[i + 1]) if label == INTAKE[0] else (label,)  # optional
            await until(lambda e=either: self.offers(user, *e), f"{user}: a question with {label}")
            pressed = self.offers(user, label)
            if pressed:
                question = self.dm_posts(user)[-1]
                button = question.button(pressed)
                body = payloads.action_body(user, question.channel, question.ts, button)
                await self.send(body, FORM)
        await until(
            lambda: any("I opened ticket" in c.text for c in self.dm_posts(user)),
            f"{user}: the ticket opened",
        )


async def tickets(database_url: str) -> list[sa.Row]:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(sa.select(TicketRow.__table__).order_by("number"))
            return list(rows.all())
    finally:
        await engine.dispose()


async def incidents(database_url: str) -> list[sa.Row]:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            return list((await connection.execute(sa.select(IncidentRow.__table__))).all())
    finally:
        await engine.dispose()


async def ping_stages(database_url: str) -> list[sa.Row]:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(sa.select(PingStageRow.__table__))
            return list(rows.all())
    finally:
        await engine.dispose()


def posted_outbox_ids(api: FakeSlackApi) -> Counter[int]:
    """How often each outbox message reached Slack (posts carry their outbox id)."""
    return Counter(
        int(m["metadata"]["event_payload"]["outbox_id"])
        for channel in list(api.messages)
        for m in api.tagged(channel)
    )


async def test_two_replicas_share_the_work_survive_a_kill_and_send_nothing_twice(
    api: FakeSlackApi, bot_api: FakeBotApi, database_url: str, tmp_path: Path
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("replicas share one PostgreSQL database")
    configure = with_telegram(bot_api)
    desks = [
        await DeskProcess.start(tmp_path, database_url, api.url, name, configure=configure)
        for name in ("one", "two")
    ]
    try:
        async with aiohttp.ClientSession() as http:
            replicas = Replicas(api, desks, http)
            # Four Slack and two Telegram requesters at once, each request or update to the
            # next replica in turn.
            await asyncio.gather(
                *(replicas.intake(u, f"printer {i} jams") for i, u in enumerate(REQUESTERS)),
                *(replicas.telegram_intake(bot_api, p, "my laptop is slow") for p in TG_PEOPLE),
            )
            opened = await tickets(database_url)
            assert sorted(t.requester_chat_id for t in opened) == sorted(
                [f"D{u}" for u in REQUESTERS] + [str(p["id"]) for p in TG_PEOPLE]
            )  # every ticket once
            for p in TG_PEOPLE:  # each answer once: no update handled twice
                texts = [c.text for c in bot_api.sent_to(p["id"])]
                assert len(texts) == len(set(texts)), texts

            def slack_posts() -> list[Call]:
                return [
                    c
                    for c in api.of("chat.postMessage")
                    if c.channel == L1 and not c.args.get("thread_ts")
                ]

            def telegram_posts() -> list[Any]:
                return [
                    c
                    for c in bot_api.sent_to(TG_L1)
                    if c.method == "sendMessage" and not c.reply_to
                ]

            def slack_cards() -> list[Call]:
                return [c for c in slack_posts() if PROPOSAL not in c.text]

            def telegram_cards() -> list[Any]:
                return [c for c in telegram_posts() if PROPOSAL not in c.text]

            count = len(opened)
            await until(
                lambda: len(slack_cards()) >= count and len(telegram_cards()) >= count, "cards"
            )
            cards = slack_cards()
            assert len(cards) == count and len(telegram_cards()) == count  # every card once
            # The four printer reports (alike, four people, opened at once across the two
            # replicas) are one incident: proposed once, its card posted once per platform.
            await until(
                lambda: (
                    any(PROPOSAL in c.text for c in slack_posts())
                    and any(PROPOSAL in c.text for c in telegram_posts())
                ),
                "the incident proposal",
            )
            assert len(await incidents(database_url)) == 1
            proposals = [
                (c.text, c.args.get("metadata")) for c in slack_posts() if PROPOSAL in c.text
            ]
            assert len(proposals) == 1, proposals
            assert len([c for c in telegram_posts() if PROPOSAL in c.text]) == 1

            # The claim race: Alice on one replica, Dave on the other, at the same moment.
            card = cards[0]
            presses = [
                payloads.action_body(who, L1, card.ts, card.button("Claim"))
                for who in (ALICE, DAVE)
            ]
            statuses = await asyncio.gather(
                *(desk.post_form(http, body) for desk, body in zip(desks, presses, strict=True))
            )
            assert statuses == [200, 200]
            await until(
                lambda: any("already claimed by" in c.text for c in api.of("chat.postEphemeral")),
                "the loser told who has it",
            )
            [told] = [c for c in api.of("chat.postEphemeral") if "already claimed by" in c.text]
            winner = "Dave" if told.args["user"] == ALICE else "Alice"
            assert f"already claimed by {winner}" in told.text
            claimed = [t for t in await tickets(database_url) if t.assignee_id is not None]
            assert len(claimed) == 1

            # A second burst; replica two is killed in the middle of it. What it did not
            # acknowledge goes to replica one, as Slack retries.
            late = [f"ULATE{i}" for i in range(3)]
            for u in late:
                api.users[u] = slack_user(u, f"Late {u[-1]}")
            burst = asyncio.gather(
                *(replicas.intake(u, f"my monitor {i} flickers") for i, u in enumerate(late))
            )
            await until(lambda: len(api.of("chat.postMessage")) > 45, "the burst under way")
            await desks[1].kill()
            await burst

            # Replica one alone: the SLA stages due (the unclaimed S1 tickets' response
            # warnings and breaches, those due while two was dead included) and the whole
            # outbox; each stage is a message, and every message reached Slack once.
            every = await tickets(database_url)
            assert len(every) == len(REQUESTERS) + len(TG_PEOPLE) + len(late)
            unclaimed = [t.number for t in every if t.assignee_id is None]

            async def breached() -> bool:
                stages = await ping_stages(database_url)
                return set(unclaimed) <= {
                    s.ticket_number
                    for s in stages
                    if s.key.startswith("response") and s.key.endswith(":breach")
                }

            deadline = time.monotonic() + 30
            while not await breached():
                assert time.monotonic() < deadline, await ping_stages(database_url)
                await asyncio.sleep(0.3)

            async def all_delivered() -> bool:
                rows = await outbox(database_url)
                return all(r.delivered_at is not None or r.failed_at is not None for r in rows)

            deadline = time.monotonic() + 30
            while not await all_delivered():
                assert time.monotonic() < deadline, "the outbox was not finished"
                await asyncio.sleep(0.3)
            rows = await outbox(database_url)
            assert all(r.failed_at is None for r in rows)
            posted = posted_outbox_ids(api)
            twice = {i: n for i, n in posted.items() if n > 1}
            assert twice == {}  # nothing sent twice, across the kill
            in_slack = {m["ts"] for channel in api.messages.values() for m in channel}
            shown = {  # cards whose latest version reached Slack (a post or an edit)
                (r.chat_id, r.card_key)
                for r in rows
                if r.platform == "slack" and r.card_key and r.sent_id in in_slack
            }
            missing = [
                (r.id, r.kind, r.chat_id, r.card_key, r.thread_key, r.sent_id)
                for r in rows
                if r.platform == "slack"
                and r.kind != "ephemeral"
                and r.sent_id not in in_slack
                # a card version a newer one superseded before it was sent is skipped on
                # purpose (marked delivered, no message id): its card must be in Slack
                and not (r.card_key and not r.sent_id and (r.chat_id, r.card_key) in shown)
            ]
            assert missing == []  # nothing lost: each row's post (or the card it edited)
            stages = await ping_stages(database_url)
            print(
                f"replicas: {len(every)} tickets, {len(rows)} messages, {len(stages)} ping "
                f"stages, {replicas.unacknowledged} requests resent after the kill, "
                f"0 lost, 0 twice"
            )
    finally:
        for desk in desks:
            await desk.stop()
    assert "Traceback" not in desks[0].output
