"""The whole desk through Slack: DM intake → KB suggestion → card in L1 → claim → thread
relay both ways → escalate via modal → L2 card → resolve via modal → requester told."""

from __future__ import annotations

from datetime import timedelta

from tests.e2e.slack.conftest import ALICE, BOB, L1, L2, SAM, SlackWorld, dm
from tests.fakes.slack_api import Call


async def open_ticket(
    slack: SlackWorld, text: str = "printer on floor 3 jams", *, raw: bool = False
) -> Call:
    """Sam reports ``text`` in a DM and answers every question; returns the L1 card.
    ``raw``: ``text`` is Slack's wire text (with control sequences such as ``<@U1>``)."""
    calls = await slack.say(SAM, dm(SAM), text, raw=raw)
    for label in ("I still need help", "A group of people", "No, I'm blocked", "Right now"):
        question = slack.post_to(calls, dm(SAM))
        if label == "I still need help" and not any(
            b["text"]["text"] == label for b in question.buttons
        ):
            continue  # no suggestions for this text
        calls = await slack.press(SAM, question, label)
    calls = await slack.press(SAM, slack.post_to(calls, dm(SAM)), "Laptop, printer")
    calls = await slack.press(SAM, slack.post_to(calls, dm(SAM)), "Skip")
    calls = await slack.press(SAM, slack.post_to(calls, dm(SAM)), "Open ticket")
    return slack.card_in(calls, L1)


async def test_whole_story(slack: SlackWorld) -> None:
    # Sam writes to the bot in a DM and is offered knowledge-base articles first.
    calls = await slack.say(SAM, dm(SAM), "my vpn keeps disconnecting")
    assert [c.args["user"] for c in slack.api.of("users.info", calls)] == [SAM]
    offer = slack.post_to(calls, dm(SAM))
    assert "These articles might help" in offer.shown
    assert "VPN" in offer.button("This solved it").get("text", {}).get("text", "")

    # He still needs help: the intake questions come as buttons.
    calls = await slack.press(SAM, offer, "I still need help")
    assert "Who is affected?" in slack.post_to(calls, dm(SAM)).shown
    for label in ("A group of people", "No, I'm blocked", "Right now", "Network, VPN"):
        calls = await slack.press(SAM, slack.post_to(calls, dm(SAM)), label)
    calls = await slack.say(SAM, dm(SAM), "Since this morning, the whole sales team")
    calls = await slack.press(SAM, slack.post_to(calls, dm(SAM)), "Open ticket")

    # Sam gets the number and due times; L1 gets a card with fields, date tokens, buttons.
    told = slack.post_to(calls, dm(SAM))
    assert "Ticket #1: my vpn keeps disconnecting" in told.shown
    due = int((slack.clock.now() + timedelta(hours=1)).timestamp())
    assert f"<!date^{due}^" in told.shown
    card = slack.card_in(calls, L1)
    assert "S1 Critical" in card.shown and "Right now" in card.shown and "Sam" in card.shown
    assert "Since this morning, the whole sales team" in card.shown
    labels = [b["text"]["text"] for b in card.buttons]
    assert labels[6] == "Send to requester: VPN keeps disconnecting"  # the best article
    assert labels[:6] == [
        "Claim",
        "Reply",
        "Escalate",
        "Resolve",
        "Change priority",
        "Waiting on requester",
    ]

    # Alice claims: the card is updated in place, the thread and Sam are told.
    slack.clock.advance(timedelta(minutes=5))
    calls = await slack.press(ALICE, card, "Claim")
    updated = slack.post_to(calls, L1, "chat.update")
    assert updated.args["ts"] == card.ts
    assert "Assignee" in updated.shown and "Alice" in updated.shown
    assert "Claim" not in [b["text"]["text"] for b in updated.buttons]
    assert any(c.args.get("thread_ts") == card.ts for c in slack.posts(calls, L1))
    assert "Alice is now working on #1" in slack.post_to(calls, dm(SAM)).shown

    # Alice answers in the card's thread (with a screenshot): Sam gets it in his DM.
    calls = await slack.say(
        ALICE, L1, "Please try the backup gateway", thread_ts=card.ts, files=("gateway.png",)
    )
    relayed = slack.post_to(calls, dm(SAM))
    assert "Please try the backup gateway" in relayed.shown
    assert "Attached: gateway.png" in relayed.shown and "*Alice* wrote:" in relayed.shown

    # An internal note (//) stays in the thread.
    calls = await slack.say(ALICE, L1, "// firewall logs show drops", thread_ts=card.ts)
    assert slack.posts(calls, dm(SAM)) == []
    assert "Internal note" in slack.post_to(calls, L1).shown

    # Sam answers in his DM: the answer lands in the card's thread.
    calls = await slack.say(SAM, dm(SAM), "backup gateway works but it's slow")
    in_thread = slack.post_to(calls, L1)
    assert in_thread.args["thread_ts"] == card.ts
    assert "backup gateway works but it's slow" in in_thread.shown

    # Escalate asks for the reason in a modal; submitting moves the ticket to L2.
    calls = await slack.press(ALICE, card, "Escalate")
    opened = slack.post_to(calls, "", "views.open")
    assert opened.view["title"]["text"] == "Escalate #1"
    assert slack.posts(calls, L2) == []  # nothing happens before the reason is given
    calls = await slack.submit(ALICE, opened, "needs a firewall change")
    old = slack.post_to(calls, L1, "chat.update")
    assert "Escalated to L2." in old.shown and old.buttons == []
    assert "Open" not in old.shown  # the card says where the ticket is now
    l2_card = slack.card_in(calls, L2)
    assert "#1" in l2_card.shown and "Claim" in [b["text"]["text"] for b in l2_card.buttons]
    assert "2nd level" in slack.post_to(calls, dm(SAM)).shown

    # Bob resolves from the L2 card with a note; Sam is asked whether it solved it.
    calls = await slack.press(BOB, l2_card, "Resolve")
    calls = await slack.submit(BOB, slack.post_to(calls, "", "views.open"), "firewall rule fixed")
    resolved = slack.post_to(calls, dm(SAM))
    assert "Ticket #1 is resolved" in resolved.shown and "firewall rule fixed" in resolved.shown
    assert "Did this solve it?" in resolved.shown
    assert [b["text"]["text"] for b in resolved.buttons] == ["Yes, solved", "No, reopen"]
    final = slack.post_to(calls, L2, "chat.update")
    assert final.args["ts"] == l2_card.ts and "Resolved" in final.shown and final.buttons == []

    # Sam says it is solved: the ticket closes and he is offered a rating, which he gives.
    calls = await slack.press(SAM, resolved, "Yes, solved")
    offer = slack.post_to(calls, dm(SAM))
    assert "How did we do?" in offer.shown and len(offer.buttons) == 5
    assert "Ticket #1 is now closed." in " ".join(c.shown for c in slack.posts(calls, dm(SAM)))
    calls = await slack.press(SAM, offer, "★★★★★")
    assert "Thanks for rating #1." in slack.post_to(calls, dm(SAM)).shown
