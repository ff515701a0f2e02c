"""/kbsave makes a draft its agent rewrites and publishes; nobody is offered a draft."""

from __future__ import annotations

from tests.desk.conftest import World, build_world
from tests.desk.test_story import open_ticket
from tests.factories import command, say

WORDS = "my label printer prints *blank* labels since this morning 🙁 `help`"


async def offered(world: World, who: str) -> str:
    sent = await world.run(say(who, "label printer prints blank labels"))
    await world.run(command(who, "/cancel"))
    return sent[0].text


async def test_a_saved_article_is_a_draft_until_its_agent_publishes_it(
    world: World, uow_factory
) -> None:
    number = await open_ticket(world, text=WORDS)
    await world.run(command("alice", f"/resolve {number} recalibrate the **label sensor"))
    sent = await world.run(command("alice", f"/kbsave {number}"))
    draft = sent[0].message
    assert draft.title.startswith("Draft article ticket-1: ")
    assert "/kbedit ticket-1 title|problem|solution TEXT" in draft.text
    assert "/kbpublish ticket-1" in draft.text
    assert r"prints \*blank\* labels since this morning 🙁 \`help\`" in draft.text
    assert r"recalibrate the \*\*label sensor" in draft.text  # literal, valid Markdown
    assert "These articles might help" not in await offered(world, "kim")

    sent = await world.run(command("mallory", "/kbedit ticket-1 title Mine now"))
    assert sent[0].text == "There is no draft article ticket-1."
    sent = await world.run(command("mallory", "/kbpublish ticket-1"))
    assert sent[0].text == "There is no draft article ticket-1."

    await world.run(command("alice", "/kbedit ticket-1 title Label printer prints blank labels"))
    await world.run(
        command("alice", "/kbedit ticket-1 problem The label printer feeds blank labels.")
    )
    sent = await world.run(
        command("alice", "/kbedit ticket-1 solution Recalibrate the label sensor.")
    )
    assert sent[0].message.text.startswith(
        "## Problem\n\nThe label printer feeds blank labels.\n\n"
        "## Solution\n\nRecalibrate the label sensor.\n"
    )
    assert "These articles might help" not in await offered(world, "kim")
    restarted = build_world(uow_factory, clock=world.clock)  # drafts stay out after a restart
    await restarted.desk.knowledge.sync()
    assert "These articles might help" not in await offered(restarted, "kim")

    sent = await world.run(command("alice", "/kbpublish ticket-1"))
    assert sent[0].text.startswith("Published “Label printer prints blank labels” (ticket-1)")
    shown = await offered(world, "kim")
    assert "Label printer prints blank labels" in shown and "🙁" not in shown
