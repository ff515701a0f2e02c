"""What must never go wrong on Slack: forged or stale requests, retries, rate limits,
markup injection, people acting where they may not, and messages that must not loop."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

from bot.views import NOT_SAVED
from tests.e2e.slack import payloads
from tests.e2e.slack.conftest import ALICE, FORM, L1, MALLORY, SAM, SlackWorld, dm
from tests.e2e.slack.test_story import open_ticket
from tests.fakes.database import DatabaseOutage
from tests.fakes.slack_api import BOT_USER_ID


async def tickets_and_outbox(slack: SlackWorld) -> tuple[int, int]:
    async with slack.runtime.uow_factory() as uow:
        tickets = await uow.tickets.list()
        queued = await uow.outbox.due(slack.clock.now() + timedelta(days=1), ["slack"], 100)
    return len(tickets), len(queued)


async def test_url_verification_is_answered(slack: SlackWorld) -> None:
    body = json.dumps(
        {"token": "t", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9C", "type": "url_verification"}
    )
    status, text = await slack.post(body)
    assert status == 200 and "3eZbrw1aBm2rZgRNFdxV2595E9C" in text


async def test_forged_and_stale_requests_get_401_and_touch_nothing(slack: SlackWorld) -> None:
    body = payloads.event_body(payloads.message_event(SAM, dm(SAM), "printer on fire"))
    forged = await slack.post(body, secret="not-the-signing-secret")
    stale = await slack.post(body, timestamp=int(time.time()) - 10 * 60)
    unsigned_status = 0
    async with slack.http.post(
        slack.url, data=body, headers={"Content-Type": "application/json"}
    ) as r:
        unsigned_status = r.status
    assert [forged[0], stale[0], unsigned_status] == [401, 401, 401]
    assert await slack.settle() == []  # not even users.info or auth.test
    assert await tickets_and_outbox(slack) == (0, 0)


async def test_retries_and_repeated_ids_never_duplicate(slack: SlackWorld) -> None:
    body = payloads.event_body(payloads.message_event(SAM, dm(SAM), "printer on floor 3 jams"))
    first = await slack.post(body)
    # Slack retries (it thought we timed out), twice at once and once later.
    retries = await asyncio.gather(slack.post(body, retry=1), slack.post(body, retry=2))
    later = await slack.post(body, retry=3)
    assert {first[0], later[0], *(status for status, _ in retries)} == {200}
    calls = await slack.settle()
    assert len(slack.posts(calls, dm(SAM))) == 1  # one answer, not four

    # The same button press delivered twice (same trigger) is one press.
    offer = slack.post_to(calls, dm(SAM))
    press = payloads.action_body(SAM, dm(SAM), offer.ts, offer.button("I still need help"))
    for _ in range(2):
        status, _ = await slack.post(press, content_type=FORM)
        assert status == 200
    calls = await slack.settle()
    assert len(slack.posts(calls, dm(SAM))) == 1
    assert "Who is affected?" in slack.post_to(calls, dm(SAM)).shown


async def test_rate_limit_from_web_api_is_honoured(slack: SlackWorld) -> None:
    slack.api.fail_next("chat.postMessage", status=429, retry_after=30)
    calls = await slack.say(SAM, dm(SAM), "printer on floor 3 jams")
    refused = slack.posts(calls, dm(SAM))
    assert len(refused) == 1 and refused[0].answer["ok"] is False
    assert slack.posts(await slack.settle(), dm(SAM)) == []  # not before Retry-After
    slack.clock.advance(timedelta(seconds=31))
    calls = await slack.settle()
    delivered = slack.post_to(calls, dm(SAM))
    assert delivered.answer["ok"] is True and "problem" in delivered.shown.lower()
    assert slack.posts(await slack.settle(), dm(SAM)) == []  # delivered exactly once


async def test_server_errors_are_retried_with_backoff(slack: SlackWorld) -> None:
    slack.api.fail_next("chat.postMessage", status=503, error="service_unavailable")
    await slack.say(SAM, dm(SAM), "printer on floor 3 jams")
    slack.clock.advance(timedelta(seconds=6))
    calls = await slack.settle()
    assert slack.post_to(calls, dm(SAM)).answer["ok"] is True


async def test_channel_injection_never_pings(slack: SlackWorld) -> None:
    text = f"<!channel> <!here> <@{ALICE}> printer & scanner <https://evil.example|click> down"
    card = await open_ticket(slack, text)
    parsed = "\n".join(c.parsed for c in slack.api.calls)  # what Slack reads for mentions
    for raw in ("<!channel>", "<!here>", f"<@{ALICE}>", "<https://evil.example"):
        assert raw not in parsed
    assert all(c.rich_types <= {"text"} for c in slack.api.calls)  # no mention elements
    assert "&lt;!channel&gt; &lt;!here&gt;" in card.text  # the notification, escaped
    assert "<!channel> <!here>" in card.shown and "printer & scanner" in card.shown
    async with slack.runtime.uow_factory() as uow:  # the ticket keeps what Sam typed
        comments = await uow.tickets.comments(1)
    assert comments[0].text.startswith("<!channel> <!here>")


async def test_real_mentions_and_links_become_plain_text(slack: SlackWorld) -> None:
    """@channel, @someone and a link used for real (Slack's control sequences) are kept as
    readable text and never re-emitted as live mentions."""
    text = f"<!channel> <@{ALICE}|alice> vpn &amp; wifi down, see <https://status.example|status>"
    event = payloads.message_event(SAM, dm(SAM), text, raw=True)
    status, _ = await slack.post(payloads.event_body(event))
    assert status == 200
    await slack.settle()
    async with slack.runtime.uow_factory() as uow:
        conversation = await uow.conversations.get("slack", dm(SAM), SAM)
    assert conversation is not None
    assert conversation.data["description"] == (
        "@channel @alice vpn & wifi down, see status (https://status.example)"
    )
    everything = json.dumps([c.args for c in slack.api.calls])
    assert "<!channel>" not in everything and f"<@{ALICE}" not in everything


async def test_huge_reply_is_cut_in_slack_but_kept_in_the_ticket(slack: SlackWorld) -> None:
    card = await open_ticket(slack)
    huge = "Steps: " + "reseat the toner & retry; " * 600
    calls = await slack.say(ALICE, L1, huge, thread_ts=card.ts)
    relayed = slack.post_to(calls, dm(SAM))
    assert all(len(b["text"]["text"]) <= 3000 for b in relayed.blocks if "text" in b)
    assert "full text is kept in the ticket" in relayed.shown
    async with slack.runtime.uow_factory() as uow:
        comments = await uow.tickets.comments(1)
    assert comments[-1].text == huge.strip()


async def test_non_agent_pressing_claim_is_refused_privately(slack: SlackWorld) -> None:
    card = await open_ticket(slack)
    calls = await slack.press(MALLORY, card, "Claim")
    refusal = slack.post_to(calls, L1, "chat.postEphemeral")
    assert refusal.args["user"] == MALLORY
    assert refusal.shown == "Only L1 agents can act on #1 (it is with L1)."
    assert slack.posts(calls, L1, "chat.update") == []  # the card did not change
    # Escalate opens no modal for her either: the refusal comes at once.
    calls = await slack.press(MALLORY, card, "Escalate")
    assert slack.api.of("views.open", calls) == []
    assert "Only L1 agents" in slack.post_to(calls, L1, "chat.postEphemeral").shown


async def test_edits_bots_and_our_own_messages_are_ignored(slack: SlackWorld) -> None:
    edited = payloads.message_event(
        SAM, dm(SAM), "", subtype="message_changed", message={"text": "printer on fire"}
    )
    from_bot = payloads.message_event("UOTHERBOT", dm(SAM), "beep", bot_id="B999")
    ours = payloads.message_event(BOT_USER_ID, dm(SAM), "What's the problem?", bot_id="BBOT")
    joined = payloads.message_event(SAM, L1, "has joined", subtype="channel_join")
    for event in (edited, from_bot, ours, joined):
        status, _ = await slack.post(payloads.event_body(event))
        assert status == 200
    calls = await slack.settle()
    assert [c.method for c in calls if c.method != "auth.test"] == []
    assert await tickets_and_outbox(slack) == (0, 0)


async def test_a_mention_in_a_channel_starts_an_intake_in_the_dm(slack: SlackWorld) -> None:
    event = payloads.message_event(
        SAM, "C0RANDOM", f"<@{BOT_USER_ID}> my vpn keeps disconnecting", raw=True
    )
    event["type"] = "app_mention"
    status, _ = await slack.post(payloads.event_body(event))
    assert status == 200
    calls = await slack.settle()
    assert [c.args["users"] for c in slack.api.of("conversations.open", calls)] == [SAM]
    offer = slack.post_to(calls, dm(SAM))
    assert "These articles might help" in offer.shown
    assert slack.posts(calls, "C0RANDOM") == []


async def test_slash_command_works_from_a_channel(slack: SlackWorld) -> None:
    card = await open_ticket(slack)
    calls = await slack.command(ALICE, L1, "queue")
    queue = slack.post_to(calls, L1, "chat.postEphemeral")
    assert queue.args["user"] == ALICE and "Queue L1: 1 open" in queue.shown
    calls = await slack.command(ALICE, L1, "claim 1")
    assert slack.post_to(calls, L1, "chat.update").args["ts"] == card.ts
    # `/ticket <problem>` typed in a channel opens the intake in the DM.
    calls = await slack.command(MALLORY, L1, "my laptop won't boot")
    assert slack.posts(calls, dm(MALLORY)) and not slack.posts(calls, L1)


async def test_a_message_that_fails_to_save_gets_a_500_and_slack_retry_saves_it(
    slack: SlackWorld,
) -> None:
    body = payloads.event_body(payloads.message_event(SAM, dm(SAM), "printer on floor 3 jams"))
    DatabaseOutage(slack.runtime.desk)
    status, _ = await slack.post(body)
    assert status == 500  # not acknowledged: Slack will send the event again
    assert slack.posts(await slack.settle(), dm(SAM)) == []

    status, _ = await slack.post(body, retry=1)  # the database is back
    assert status == 200
    assert "printer" in slack.post_to(await slack.settle(), dm(SAM)).shown.lower()
    status, _ = await slack.post(body, retry=2)
    assert status == 200 and slack.posts(await slack.settle(), dm(SAM)) == []  # handled once


async def test_a_press_that_fails_to_save_tells_the_user_to_try_again(slack: SlackWorld) -> None:
    card = await open_ticket(slack)
    DatabaseOutage(slack.runtime.desk)
    calls = await slack.press(ALICE, card, "Claim")  # acknowledged at once, then failed
    sorry = slack.post_to(calls, L1, "chat.postEphemeral")
    assert sorry.args["user"] == ALICE and sorry.args["text"] == NOT_SAVED
    assert slack.posts(calls, L1, "chat.update") == []
    calls = await slack.press(ALICE, card, "Claim")
    assert "Alice" in slack.post_to(calls, L1, "chat.update").shown
