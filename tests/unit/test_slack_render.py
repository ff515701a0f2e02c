"""Neutral messages → Block Kit, checked on the payload dicts (no SDK running)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from adapters.slack import render, translate
from bot.messages import Action, Button, Field, Message, Pressed, unpack_button

DUE = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def shown(payload: dict) -> str:
    return json.dumps(payload)


def rich_texts(payload: dict) -> list[str]:
    """Every rich text element's text: shown literally by Slack, never parsed."""
    return [
        item["text"]
        for block in payload["blocks"]
        if block["type"] == "rich_text"
        for element in block["elements"]
        for item in element["elements"]
    ]


def test_user_text_is_shown_literally_and_mrkdwn_is_escaped() -> None:
    message = Message(
        title="<!channel> & *co*",
        text="<@U123> <!here> `x`",
        fields=(Field("Requester", "<b>Sam</b>"),),
        quote="_it_ <https://evil|click>",
        quote_author="<!everyone>",
    )
    payload = render.render_message(message)
    mrkdwn = json.dumps([payload["text"], [b.get("fields") for b in payload["blocks"]]])
    for raw in ("<!channel>", "<@U123>", "<!here>", "<b>", "<https://evil", "<!everyone>"):
        assert raw not in mrkdwn
    assert "&lt;b&gt;Sam&lt;/b&gt;" in mrkdwn
    texts = rich_texts(payload)
    assert texts[:2] == ["<!channel> & *co*", "<@U123> <!here> `x`"]
    assert "".join(texts[2:]) == "<!everyone> wrote:_it_ <https://evil|click>"
    types = {
        e["type"] for b in payload["blocks"] if b["type"] == "rich_text" for e in b["elements"]
    }
    assert types == {"rich_text_section", "rich_text_quote"}


def test_web_addresses_are_inert_code_and_the_title_stays_one_bold_run() -> None:
    payload = render.render_message(
        Message(title="#1 · *VPN* _down_", quote="see click (https://evil.example).")
    )
    title = payload["blocks"][0]["elements"][0]["elements"]
    assert title == [{"type": "text", "text": "#1 · *VPN* _down_", "style": {"bold": True}}]
    quote = payload["blocks"][1]["elements"][0]["elements"]
    assert quote == [
        {"type": "text", "text": "see click ("},
        {"type": "text", "text": "https://evil.example", "style": {"code": True}},
        {"type": "text", "text": ")."},
    ]


def test_ticket_card_fields_and_due_times_as_date_tokens() -> None:
    message = Message(
        title="#1 · S1 Critical · VPN down",
        fields=(Field("Priority", "S1 Critical"), Field("Resolution due", DUE)),
    )
    payload = render.render_message(message, zone="Europe/Berlin")
    fields = payload["blocks"][1]["fields"]  # after the title
    assert fields[0]["text"] == "*Priority*\nS1 Critical"
    token = f"<!date^{int(DUE.timestamp())}^{{date_short_pretty}} {{time}}|2026-11-23 11:00 CET>"
    assert fields[1]["text"] == "*Resolution due*\n" + token
    assert "VPN down" in payload["text"]  # the notification fallback


def test_more_than_ten_fields_are_split_over_sections() -> None:
    message = Message(fields=tuple(Field(f"F{i}", str(i)) for i in range(13)))
    sections = render.render_message(message)["blocks"]
    assert [len(b["fields"]) for b in sections] == [10, 3]


def test_buttons_are_rendered_generically_for_any_action() -> None:
    rows = tuple((Button(action.name.title(), action, 7, "v"),) for action in Action)
    blocks = render.render_message(Message(text="pick", buttons=rows))["blocks"]
    actions = [b for b in blocks if b["type"] == "actions"]
    assert len(actions) == len(Action)
    for action, block in zip(Action, actions, strict=True):
        element = block["elements"][0]
        assert element["action_id"].startswith(translate.ACTION_ID_PREFIX)
        assert unpack_button(element["value"]) == Pressed(action, 7, "v")
    ids = [e["action_id"] for b in actions for e in b["elements"]]
    assert len(ids) == len(set(ids))


def test_quote_keeps_lines_and_author() -> None:
    block = render.render_message(Message(quote="line one\n\nline 3", quote_author="Sam"))
    author, quote = block["blocks"][0]["elements"]
    assert author["elements"] == [
        {"type": "text", "text": "Sam", "style": {"bold": True}},
        {"type": "text", "text": " wrote:"},
    ]
    assert quote == {
        "type": "rich_text_quote",
        "elements": [{"type": "text", "text": "line one\n\nline 3"}],
    }


def test_oversized_text_is_cut_with_a_marker() -> None:
    text = "&" * 5000
    (element,) = render.render_message(Message(text=text))["blocks"][0]["elements"][0]["elements"]
    assert len(element["text"]) <= render.SECTION_TEXT_LIMIT
    assert element["text"].endswith(render.CUT_MARKER)


def test_too_many_blocks_keep_the_buttons() -> None:
    fields = tuple(Field(f"F{i}", "x") for i in range(600))
    message = Message(fields=fields, buttons=((Button("Claim", Action.CLAIM, 1),),))
    blocks = render.render_message(message)["blocks"]
    assert len(blocks) == render.BLOCKS_LIMIT
    assert blocks[-1]["type"] == "actions"
    assert render.CUT_MARKER in blocks[-2]["text"]["text"]


def test_long_button_labels_are_shortened() -> None:
    blocks = render.render_message(Message(buttons=((Button("x" * 200, Action.SOLVED),),)))
    assert len(blocks["blocks"][0]["elements"][0]["text"]["text"]) == render.BUTTON_LABEL_LIMIT


def test_prompt_modal_asks_for_the_text_and_remembers_the_press() -> None:
    view = render.prompt_modal(Action.ESCALATE, 12, '{"a":"es","t":12,"c":"C1"}')
    assert view["callback_id"] == translate.PROMPT_CALLBACK_ID
    assert view["title"]["text"] == "Escalate #12"
    assert view["private_metadata"] == '{"a":"es","t":12,"c":"C1"}'
    assert view["blocks"][0]["element"]["type"] == "plain_text_input"


def test_the_notification_text_shows_times_in_the_readers_zone() -> None:
    due = datetime(2026, 11, 23, 9, 15, tzinfo=UTC)
    message = Message(title="#1 printer", fields=(Field("Response due", due),))
    text = render.render_message(message, zone="Europe/Berlin")["text"]
    assert "Response due: 2026-11-23 10:15 CET" in text  # not "2026-11-23 09:15:00+00:00"
