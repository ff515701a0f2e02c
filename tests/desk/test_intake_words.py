"""The intake understands answers in words, pre-selects the category the description names,
and says what it expects when it does not understand."""

from __future__ import annotations

from tests.desk.conftest import World
from tests.factories import command, say


async def answer(world: World, text: str) -> str:
    sent = await world.run(say("sam", text))
    return "\n".join(d.text for d in sent if d.where == "sam")


async def test_answers_in_words_and_a_category_named_vpn(world: World) -> None:
    await world.run(command("sam", "/new the shared drive is gone"))
    assert "Can you still work?" in await answer(world, "I think it's all of accounting")
    assert "How urgent is it for you?" in await answer(world, "kind of, it's slow")
    assert "What is it about?" in await answer(world, "by friday")
    assert "Anything else we should know?" in await answer(world, "vpn")
    sent = await world.run(say("sam", "skip"))
    fields = {f.label: f.value for f in sent[-1].message.fields}
    assert fields["Priority"] == "S2 High"  # a group, can work but limited
    assert fields["Urgency"] == "This week"
    assert fields["Category"] == "Network, VPN & Wi-Fi"


async def test_the_description_pre_selects_the_category_for_the_requester_to_confirm(
    world: World,
) -> None:
    await world.run(command("sam", "/new my printer on floor 3 is jammed"))
    await answer(world, "just me")
    await answer(world, "blocked")
    asked = await answer(world, "today")
    assert "It sounds like “Laptop, printer & devices”: say yes, or pick another." in asked
    await answer(world, "yes")
    sent = await world.run(say("sam", "skip"))
    fields = {f.label: f.value for f in sent[-1].message.fields}
    assert fields["Category"] == "Laptop, printer & devices"


async def test_an_answer_it_cannot_place_is_re_asked_with_a_hint(world: World) -> None:
    await world.run(command("sam", "/new the shared drive is gone"))
    said = await answer(world, "purple elephant")
    assert "Answer with a number from 1 to 2, or in words like “team”, “me”." in said
    assert "Who is affected?" in said
    await world.run(say("sam", "me"))
    await world.run(say("sam", "no"))
    await world.run(say("sam", "now"))
    assert "or in words like “account”, “hardware”, “network”" in await answer(world, "hmm")
