"""Rendering for Telegram: escaped HTML, due times in the reader's zone, 4096-unit chunks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from telegram import ForceReply, InlineKeyboardMarkup

from adapters.telegram.callback_data import decode
from adapters.telegram.render import CUT_MARKER, MAX_TEXT, esc, render, units
from bot.messages import Action, Button, Field, Message

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_user_text_is_escaped_everywhere_and_structure_is_bold() -> None:
    evil = '<b>x</b> & <a href="https://evil.example">y</a>'
    message = Message(
        title=f"#1 · {evil}",
        text=evil,
        fields=(Field("Requester", evil),),
        quote=evil,
        quote_author="<Eve>",
    )
    (html,) = render(message, zone="UTC").chunks
    escaped = (
        "&lt;b&gt;x&lt;/b&gt; &amp; &lt;a href=&quot;<code>https://evil.example</code>&quot;&gt;"
        "y&lt;/a&gt;"  # the address shown inert
    )
    assert html.count(escaped) == 4
    assert html.startswith(f"<b>#1 · {escaped}</b>")
    assert f"<b>Requester:</b> {escaped}" in html
    assert "<i>&lt;Eve&gt; wrote:</i>" in html
    assert f"<blockquote>{escaped}</blockquote>" in html
    assert "<a href" not in html


def test_due_times_are_shown_in_the_readers_zone() -> None:
    message = Message(fields=(Field("Response due", NOW + timedelta(minutes=15)),))
    berlin = render(message, zone="Europe/Berlin", now=NOW).chunks[0]
    tokyo = render(message, zone="Asia/Tokyo", now=NOW).chunks[0]
    assert "2026-11-23 10:15 CET (in 15m)" in berlin
    assert "2026-11-23 18:15 JST (in 15m)" in tokyo


def test_buttons_become_an_inline_keyboard_for_any_action() -> None:
    rows = tuple((Button(action.name, action, 7, "v"),) for action in Action)
    markup = render(Message(text="pick", buttons=rows), zone="UTC").reply_markup
    assert isinstance(markup, InlineKeyboardMarkup)
    pressed = [decode(row[0].callback_data) for row in markup.inline_keyboard]
    assert [p.action for p in pressed] == list(Action)
    assert all(p.ticket == 7 and p.value == "v" for p in pressed)


def test_a_prompt_for_one_group_member_gets_a_selective_force_reply() -> None:
    prompt = Message(text="Why escalate #1? Write the reason. Or /cancel.", expects_reply=True)
    rendered = render(prompt, zone="UTC", for_user="1001", for_name="Alice <Ops>")
    assert rendered.reply_markup == ForceReply(selective=True)
    assert rendered.chunks[0].startswith('👤 <a href="tg://user?id=1001">Alice &lt;Ops&gt;</a>:')
    refusal = render(Message(text="Only L1 agents can act on #1."), zone="UTC", for_user="666")
    assert refusal.reply_markup is None  # told, not asked


def test_long_text_is_split_on_line_breaks_under_the_limit_with_buttons_last() -> None:
    text = "\n".join(f"line {i} & more" for i in range(1000))  # ~15 000 characters escaped
    message = Message(title="Log", text=text, buttons=((Button("Close", Action.CLOSE, 1),),))
    rendered = render(message, zone="UTC")
    assert len(rendered.chunks) >= 4
    assert all(units(chunk) <= 4096 for chunk in rendered.chunks)
    assert all(chunk.endswith("more") for chunk in rendered.chunks)  # cut between lines
    assert "".join(rendered.chunks).count("&amp;") == 1000  # nothing lost, nothing half-escaped
    assert isinstance(rendered.reply_markup, InlineKeyboardMarkup)


def test_emoji_count_double_and_blockquotes_stay_balanced_when_split() -> None:
    quote = "🙂" * 5000  # 10 000 UTF-16 units
    rendered = render(Message(quote=quote), zone="UTC")
    assert all(units(chunk) <= 4096 for chunk in rendered.chunks)
    assert all(c.count("<blockquote>") == c.count("</blockquote>") for c in rendered.chunks)
    assert "".join(rendered.chunks).count("🙂") == 5000


def test_a_card_stays_one_message_cut_with_a_marker() -> None:
    card = Message(
        title="#1 · S1", quote="x" * 10_000, buttons=((Button("Claim", Action.CLAIM, 1),),)
    )
    rendered = render(card, zone="UTC", single=True)
    (chunk,) = rendered.chunks
    assert units(chunk) <= 4096
    assert chunk.endswith(esc(CUT_MARKER))
    assert isinstance(rendered.reply_markup, InlineKeyboardMarkup)


def test_a_cut_card_says_where_its_whole_text_is() -> None:
    card = Message(title="#7 · S1", quote="&" * 2000)  # 10 000 units once escaped
    (chunk,) = render(card, zone="UTC", single=True, rest_at="/show 7").chunks
    assert units(chunk) <= 4096
    assert chunk.endswith("/show 7 has the full text)")


def test_web_addresses_are_inert_and_long_text_full_of_them_still_fits() -> None:
    (html,) = render(Message(text="see https://evil.example/x, ok"), zone="UTC").chunks
    assert html == "see <code>https://evil.example/x</code>, ok"
    many = " ".join(f"https://example.com/{i}" for i in range(1500))
    chunks = render(Message(quote=many), zone="UTC").chunks
    assert len(chunks) > 1 and all(units(c) <= MAX_TEXT for c in chunks)
    assert sum(c.count("<code>") for c in chunks) >= 1500
