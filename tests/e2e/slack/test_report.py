"""A lead's /report on Slack: the headline figures in a message, the pictures uploaded as a
PNG file with files_upload_v2 (all three steps, against the fake Web API); others refused."""

from __future__ import annotations

from datetime import timedelta

from tests.e2e.slack.conftest import ALICE, L1, SAM, SlackWorld, dm
from tests.e2e.slack.test_story import open_ticket


async def test_a_lead_gets_figures_and_the_png(slack: SlackWorld) -> None:
    await open_ticket(slack)
    slack.clock.advance(timedelta(minutes=5))
    calls = await slack.command(ALICE, L1, "report 7d")  # asked in a channel: answered in a DM
    told = slack.post_to(calls, dm(ALICE))
    assert "Desk figures, last 7d" in told.shown
    assert "*Tickets opened*\n1\n" in told.shown and "Response SLA met %" in told.shown
    methods = [c.method for c in calls if c.method.startswith("files.")]
    assert methods == ["files.getUploadURLExternal", "files.completeUploadExternal"]
    ((channel, thread, file_id, title),) = slack.api.shared
    assert (channel, thread, title) == (dm(ALICE), "", "Desk figures, last 7d")
    png = slack.api.uploads[file_id]
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 30_000


async def test_a_requester_is_refused_and_nothing_is_uploaded(slack: SlackWorld) -> None:
    calls = await slack.command(SAM, dm(SAM), "report")
    assert "for support leads" in slack.post_to(calls, dm(SAM)).shown
    assert slack.api.shared == [] and not [c for c in calls if c.method.startswith("files.")]
