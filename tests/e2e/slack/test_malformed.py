"""Malformed and forged Slack requests are refused with 401/400, never crash into a 500:
the signature is checked on the raw body first, then the shape; each refusal is one
warning line with no traceback. Unusable button values get a clear refusal."""

from __future__ import annotations

import json
import logging
import time
import urllib.parse

import pytest

from adapters.slack.inbound import sign
from tests.e2e.slack import payloads
from tests.e2e.slack.conftest import FORM, SAM, SECRET, SlackWorld, dm
from tests.e2e.slack.test_safety import tickets_and_outbox
from tests.e2e.slack.test_story import open_ticket

JSON = "application/json"


def form(**fields: str) -> str:
    return urllib.parse.urlencode(fields)


def action(value: str, **extra: object) -> str:
    button = {"action_id": "tierdesk:0", "text": {"type": "plain_text", "text": "x"}}
    body = json.loads(
        urllib.parse.parse_qs(
            payloads.action_body(SAM, dm(SAM), "1.1", {**button, "value": value})
        )["payload"][0]
    )
    body.update(extra)
    return form(payload=json.dumps(body))


SIGNED_BUT_MALFORMED = [
    ("broken JSON", "{not json", JSON),
    ("a JSON array", "[1, 2, 3]", JSON),
    ("a JSON string", '"event_callback"', JSON),
    ("unknown envelope", json.dumps({"type": "rocket_launch"}), JSON),
    ("event_callback with no event", json.dumps({"type": "event_callback"}), JSON),
    ("an empty body", "", FORM),
    ("form garbage", "%%%&&&===;;", FORM),
    ("form with neither payload nor command", form(hello="world"), FORM),
    ("payload not JSON", form(payload="{oops"), FORM),
    ("payload a JSON list", form(payload="[]"), FORM),
    ("unknown interaction", form(payload=json.dumps({"type": "nope", "user": {"id": SAM}})), FORM),
    (
        "block_actions without actions",
        form(payload=json.dumps({"type": "block_actions", "user": {"id": SAM}})),
        FORM,
    ),
    ("block_actions with empty actions", action("x", actions=[]), FORM),
    ("an action that is not an object", action("x", actions=["cl"]), FORM),
    ("a user that is not an object", action("x", user="USAM"), FORM),
    (
        "view_submission without a view",
        form(payload=json.dumps({"type": "view_submission", "user": {"id": SAM}})),
        FORM,
    ),
    ("not UTF-8", "\udcff", FORM),
]


@pytest.mark.parametrize(
    ("case", "body", "content_type"), SIGNED_BUT_MALFORMED, ids=[c[0] for c in SIGNED_BUT_MALFORMED]
)
async def test_signed_but_malformed_requests_get_400_without_a_traceback(
    slack: SlackWorld, caplog: pytest.LogCaptureFixture, case: str, body: str, content_type: str
) -> None:
    caplog.set_level(logging.INFO)
    raw = body.encode("utf-8", "surrogateescape")
    headers = payloads.signed_headers(raw.decode("latin-1"), SECRET, content_type=content_type)
    headers["X-Slack-Signature"] = sign(SECRET, headers["X-Slack-Request-Timestamp"], raw).decode()
    async with slack.http.post(slack.url, data=raw, headers=headers) as response:
        assert response.status == 400, case
    await slack.adapter.drain()
    assert_one_clean_warning(caplog)
    assert await tickets_and_outbox(slack) == (0, 0)


def assert_one_clean_warning(caplog: pytest.LogCaptureFixture) -> None:
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(problems) == 1, [r.getMessage() for r in problems]
    assert all(r.exc_info is None for r in caplog.records)
    assert "Traceback" not in caplog.text


GOOD = payloads.event_body(payloads.message_event(SAM, dm(SAM), "printer on fire"))
UNSIGNED = [
    ("no signature headers", {}),
    ("timestamp abc", {"X-Slack-Request-Timestamp": "abc"}),
    ("timestamp empty", {"X-Slack-Request-Timestamp": ""}),
    ("timestamp negative", {"X-Slack-Request-Timestamp": "-5"}),
    ("timestamp huge", {"X-Slack-Request-Timestamp": "9" * 40}),
    ("stale timestamp", {"X-Slack-Request-Timestamp": str(int(time.time()) - 600)}),
    ("wrong signature", {"X-Slack-Signature": "v0=" + "0" * 64}),
    ("non-ASCII signature", {"X-Slack-Signature": "v0=é"}),
]


@pytest.mark.parametrize(("case", "override"), UNSIGNED, ids=[c[0] for c in UNSIGNED])
@pytest.mark.parametrize(
    "body", [GOOD, "[1, 2]", "{not json", "%%%"], ids=["event", "array", "broken", "garbage"]
)
async def test_unsigned_or_stale_requests_get_401_whatever_the_body(
    slack: SlackWorld,
    caplog: pytest.LogCaptureFixture,
    case: str,
    override: dict[str, str],
    body: str,
) -> None:
    caplog.set_level(logging.INFO)
    headers = (
        payloads.signed_headers(body, SECRET, content_type=JSON)
        if override
        else {"Content-Type": JSON}
    )
    headers.update(override)
    async with slack.http.post(slack.url, data=body.encode(), headers=headers) as response:
        assert response.status == 401, case
    assert_one_clean_warning(caplog)
    assert await slack.settle() == []
    assert await tickets_and_outbox(slack) == (0, 0)


@pytest.mark.parametrize(
    "value",
    ["1|cl|99999999999999999999|", "1|cl|2147483648|", "1|cl|0|", "1|zz|1|", "2|cl|1|", "garbage"],
    ids=["20 digits", "past int32", "zero", "unknown action", "old format", "not packed"],
)
async def test_unusable_button_values_are_refused_clearly_before_the_database(
    slack: SlackWorld, value: str
) -> None:
    card = await open_ticket(slack)
    button = {**card.button("Claim"), "value": value}
    body = payloads.action_body(SAM, card.channel, card.ts, button)
    status, _ = await slack.post(body, content_type=FORM)
    assert status == 200
    calls = await slack.settle()
    [told] = [c for c in calls if c.method == "chat.postEphemeral"]
    assert told.args["user"] == SAM and "nothing was done" in told.text
    assert "try again" not in told.text.lower()
    assert "not one the desk can use" in told.text


@pytest.mark.parametrize(
    ("case", "content_type"),
    [("text/plain", "text/plain"), ("XML", "application/xml"), ("none", "")],
)
async def test_a_signed_event_in_the_wrong_content_type_is_refused(
    slack: SlackWorld, case: str, content_type: str
) -> None:
    status, _ = await slack.post(GOOD, content_type=content_type)
    assert status == 415, case
    assert await slack.settle() == []
    assert await tickets_and_outbox(slack) == (0, 0)


async def test_an_event_type_the_desk_does_not_handle_is_acknowledged_and_ignored(
    slack: SlackWorld,
) -> None:
    event = {"type": "reaction_added", "user": SAM, "reaction": "tada", "event_ts": "1.2"}
    status, _ = await slack.post(payloads.event_body(event))
    assert status == 200  # else Slack would send it again and again
    assert [c.method for c in await slack.settle()] == []
    assert await tickets_and_outbox(slack) == (0, 0)


async def test_a_ticket_that_does_not_exist_or_is_someone_elses_gets_the_same_answer(
    slack: SlackWorld,
) -> None:
    from tests.e2e.slack.conftest import MALLORY

    card = await open_ticket(slack)
    number = int(card.button("Claim")["value"].split("|")[2])
    answers = []
    for value in (f"1|cl|{number + 50}|", f"1|cl|{number}|"):
        button = {**card.button("Claim"), "value": value}
        body = payloads.action_body(MALLORY, dm(MALLORY), card.ts, button)
        status, _ = await slack.post(body, content_type=FORM)
        assert status == 200
        [told] = [c for c in await slack.settle() if c.method.startswith("chat.post")]
        answers.append(told.text.replace(str(number + 50), "N").replace(str(number), "N"))
    assert answers[0] == answers[1] and "N" in answers[0]  # nothing told about the real one
    assert "printer" not in answers[1] and "claimed" not in answers[1]
    assert (await tickets_and_outbox(slack))[0] == 1
