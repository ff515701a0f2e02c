"""What must never go wrong on Telegram: duplicates, flood limits, markup, outsiders."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.views import NOT_SAVED
from tests.e2e.telegram.conftest import (
    ALICE,
    BOB,
    KIM,
    L1,
    MALLORY,
    SAM,
    TelegramWorld,
    open_ticket,
    until,
)
from tests.fakes.database import DatabaseOutage


async def test_redelivered_update_is_handled_once(world: TelegramWorld) -> None:
    update = world.api.text(SAM, "my vpn keeps disconnecting")
    first = await world.feed(update)
    again = await world.feed(update)  # Telegram sends the very same update again
    assert len(first) == 1 and "These articles might help" in first[0].plain
    assert again == []
    async with world.runtime.uow_factory() as uow:
        assert await uow.conversations.get("telegram", str(SAM["id"]), str(SAM["id"])) is not None


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # PTB's own
async def test_flood_limit_is_honoured_and_the_message_arrives_once(world: TelegramWorld) -> None:
    world.api.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    sent = await world.feed(world.api.text(SAM, "my vpn keeps disconnecting"))
    assert sent == [world.api.of("sendMessage")[-1]]  # the refused attempt, nothing else
    assert await world.deliver() == []  # not due yet: no hammering
    world.clock.advance(timedelta(seconds=7))
    sent = await world.deliver()
    assert len(sent) == 1 and "These articles might help" in sent[0].plain
    to_sam = [c for c in world.api.of("sendMessage") if c.chat_id == str(SAM["id"])]
    assert len(to_sam) == 2 and to_sam[0].text == to_sam[1].text  # one retry, same message


async def test_markup_in_user_text_arrives_escaped(world: TelegramWorld) -> None:
    evil = 'printer <b>jams</b> & <a href="https://evil.example">click</a>'
    card = await open_ticket(world, KIM, evil)
    assert (
        "&lt;b&gt;jams&lt;/b&gt; &amp; &lt;a href=&quot;<code>https://evil.example</code>&quot;&gt;"
        in card.text
    )
    assert "<a href" not in card.text and "<b>jams" not in card.text
    assert 'printer <b>jams</b> & <a href="https://evil.example">click</a>' in card.plain

    sent = await world.feed(world.api.text(ALICE, "/claim 1", chat=L1))
    sent = await world.feed(
        world.api.text(ALICE, "use <i>tray 2</i> & <code>restart</code>", chat=L1, reply_to=card)
    )
    relayed = next(c for c in sent if c.chat_id == str(KIM["id"]))
    assert "use &lt;i&gt;tray 2&lt;/i&gt; &amp; &lt;code&gt;restart&lt;/code&gt;" in relayed.text


async def test_a_refused_press_is_answered_to_the_presser_alone(world: TelegramWorld) -> None:
    card = await open_ticket(world, SAM, "printer on floor 3 jams")
    for outsider in (MALLORY, BOB):  # not an agent; an agent of another tier
        press = world.api.press(outsider, card, "Claim")
        sent = await world.feed(press)
        assert sent == []  # nothing posted to the group, and no card edit
        (answer,) = [
            c
            for c in world.api.of("answerCallbackQuery")
            if c.params["callback_query_id"] == press["callback_query"]["id"]
        ]
        assert answer.params["text"] == "Only L1 agents can act on #1 (it is with L1)."
        assert "show_alert" not in answer.params  # short: a toast
    assert await world.deliver() == []


async def test_a_longer_refusal_of_a_press_is_an_alert(world: TelegramWorld) -> None:
    (offer,) = await world.feed(world.api.text(SAM, "my vpn keeps disconnecting"))
    (question,) = await world.feed(world.api.press(SAM, offer, "I still need help"))
    await world.feed(world.api.text(SAM, "/cancel"))
    sent = await world.feed(world.api.press(SAM, question, "Just me"))
    assert sent == []
    answer = world.api.of("answerCallbackQuery")[-1]
    assert answer.params["text"] == "That question is no longer open. Write to me to start again."
    assert answer.params["show_alert"] is True  # stays until read


async def test_a_refused_command_in_the_group_names_who_it_is_for(world: TelegramWorld) -> None:
    await open_ticket(world, SAM, "printer on floor 3 jams")
    (refusal,) = await world.feed(world.api.text(MALLORY, "/claim 1", chat=L1))
    assert refusal.chat_id == str(L1["id"])
    assert refusal.plain.startswith("👤 Mallory:\n")
    assert f'<a href="tg://user?id={MALLORY["id"]}">Mallory</a>' in refusal.text
    assert "Only L1 agents can act on #1" in refusal.plain


async def test_escalate_button_asks_the_presser_by_name_with_a_selective_force_reply(
    world: TelegramWorld,
) -> None:
    card = await open_ticket(world, SAM, "printer on floor 3 jams")
    (prompt,) = await world.feed(world.api.press(ALICE, card, "Escalate"))
    assert prompt.chat_id == str(L1["id"])
    assert prompt.plain.startswith("👤 Alice:\nWhy escalate #1?")
    assert f'<a href="tg://user?id={ALICE["id"]}">Alice</a>' in prompt.text
    assert prompt.params["reply_markup"] == {"force_reply": True, "selective": True}

    sent = await world.feed(world.api.text(ALICE, "needs a driver", chat=L1, reply_to=prompt))
    assert any(c.chat_id == "-1001002" and "#1 · S1 Critical" in c.plain for c in sent)
    assert any(c.method == "editMessageText" and "Escalated to L2." in c.plain for c in sent)


async def test_a_stale_button_is_answered_with_a_notice(world: TelegramWorld) -> None:
    card = await open_ticket(world, SAM, "printer on floor 3 jams")
    sent = await world.feed(world.api.callback(ALICE, card, "0|claim-ticket-1"))
    assert sent == []
    answer = world.api.of("answerCallbackQuery")[-1]
    assert "out of date" in answer.params["text"]


async def test_long_text_and_attachments_reach_the_group(world: TelegramWorld) -> None:
    card = await open_ticket(world, SAM, "printer on floor 3 jams")
    await world.feed(world.api.text(ALICE, "/claim 1", chat=L1))
    await world.feed(world.api.text(ALICE, "send the log please", chat=L1, reply_to=card))
    photo = world.api.text(SAM, "")
    message = photo["message"]
    del message["text"]
    message["caption"] = "here it is " + "log line\n" * 600
    message["document"] = {
        "file_id": "BQAC",
        "file_unique_id": "AgAD",
        "file_name": "printer.log",
    }
    sent = await world.feed(photo)
    in_group = [c for c in sent if c.chat_id == str(L1["id"]) and c.method == "sendMessage"]
    assert len(in_group) == 2  # 5 400 characters: split in two, both under the card
    assert all(
        len(c.text) <= 4096 and c.reply_to == world.api.message_id_of(card) for c in in_group
    )
    assert "printer.log" in "".join(c.plain for c in in_group)


async def test_an_unchanged_card_edit_counts_as_delivered(world: TelegramWorld) -> None:
    card = await open_ticket(world, SAM, "printer on floor 3 jams")
    world.api.fail_next(
        "editMessageText",
        400,
        "Bad Request: message is not modified: specified new message content and reply "
        "markup are exactly the same as a current content and reply markup of the message",
    )
    sent = await world.feed(world.api.press(ALICE, card, "Claim"))
    assert any(
        c.chat_id == str(SAM["id"]) and "Alice is now working on #1" in c.plain for c in sent
    )
    world.clock.advance(timedelta(minutes=10))
    assert await world.deliver() == []  # not retried, nothing posted twice


async def test_a_brief_database_outage_is_retried_unnoticed(world: TelegramWorld) -> None:
    world.adapter.retry_pause = 0.001  # the real pause is half a second per attempt
    DatabaseOutage(world.runtime.desk, failures=2)
    sent = await world.feed(world.api.text(SAM, "my vpn keeps disconnecting"))
    assert [c.chat_id for c in sent] == [str(SAM["id"])]
    assert "These articles might help" in sent[0].plain


async def test_an_update_that_cannot_be_saved_stays_unconfirmed_until_it_is(
    world: TelegramWorld,
) -> None:
    world.adapter.retry_pause = 0.001
    world.adapter.poller.first_backoff = 0.01
    DatabaseOutage(world.runtime.desk, failures=6)  # two rounds of three attempts fail
    update = world.api.text(SAM, "my vpn keeps disconnecting")
    mark = len(world.api.calls)
    world.api.push(update)
    await until(lambda: world.adapter.processed >= 3, "the third delivery")
    await world.deliver()
    sent = world.api.messages(mark)
    assert [c.chat_id for c in sent] == [str(SAM["id"])]  # no apology, the answer once
    assert "These articles might help" in sent[0].plain
    # served three times: the offset never moved past it while it was not saved
    assert world.api.served.count(update["update_id"]) == 3


async def test_an_update_failing_for_too_long_is_given_up_with_an_apology(
    world: TelegramWorld,
) -> None:
    world.adapter.retry_pause = 0.001
    world.adapter.give_up_after = 0  # a bug, not an outage: every attempt fails
    DatabaseOutage(world.runtime.desk, failures=3)
    sent = await world.feed(world.api.text(SAM, "my vpn keeps disconnecting"))
    assert [(c.chat_id, c.text) for c in sent] == [(str(SAM["id"]), NOT_SAVED)]
    sent = await world.feed(world.api.text(SAM, "my vpn keeps disconnecting"))  # back up
    assert "These articles might help" in sent[0].plain


@pytest.mark.parametrize(
    ("status", "description"),
    [
        (502, "Bad Gateway"),
        (409, "Conflict: terminated by other getUpdates request"),
    ],
)
async def test_polling_goes_on_after_a_failed_get_updates(
    world: TelegramWorld, status: int, description: str
) -> None:
    world.adapter.poller.first_backoff = 0.01  # the real pause starts at a second
    world.api.fail_next("getUpdates", status, description)
    world.api.fail_next("getUpdates", status, description)
    (answer,) = await world.feed(world.api.text(SAM, "my vpn keeps disconnecting"))
    assert "These articles might help" in answer.plain
