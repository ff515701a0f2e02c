"""``/healthz``, ``/metrics`` and the status page on the HTTP server that hosts Slack's events,
over loopback HTTP with the real bolt adapter against the fake Web API."""

from __future__ import annotations

from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from bot.domain import SuggestionOutcome
from bot.domain.incidents import Incident
from tests.e2e.slack import payloads
from tests.e2e.slack.conftest import SAM, STATUS_TOKEN, SlackWorld, dm
from tests.e2e.slack.service_data import seed_tickets
from tests.factories import T0


async def get(world: SlackWorld, path: str, **headers: str) -> tuple[int, str, str]:
    async with world.http.get(world.root + path, headers=headers) as response:
        return response.status, response.headers.get("Content-Type", ""), await response.text()


async def health(world: SlackWorld) -> tuple[int, dict[str, object]]:
    async with world.http.get(world.root + "/healthz") as response:
        return response.status, await response.json()


def samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """(sample name, sorted labels) → value, parsed by prometheus_client's own parser."""
    found = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


# -- /healthz -------------------------------------------------------------------------------


async def test_healthz_is_ok_while_the_database_and_slack_answer(slack: SlackWorld) -> None:
    status, body = await health(slack)
    assert status == 200
    assert body == {"ok": True, "failing": [], "checks": {"database": "ok", "slack": "ok"}}
    assert [c.method for c in slack.api.take()] == ["auth.test"]  # really asked Slack


async def test_healthz_names_slack_when_its_token_is_refused(slack: SlackWorld) -> None:
    slack.api.fail_next("auth.test", error="invalid_auth")
    status, body = await health(slack)
    assert status == 503
    assert body["failing"] == ["slack"]
    assert "invalid_auth" in str(body["checks"]["slack"])  # type: ignore[index]
    assert (await health(slack))[0] == 200  # and recovers with Slack


async def test_healthz_names_the_database_when_its_query_fails(slack: SlackWorld) -> None:
    async with slack.runtime.engine.begin() as connection:
        await connection.execute(text("ALTER TABLE tickets RENAME TO tickets_gone"))
    try:
        status, body = await health(slack)
        assert status == 503
        assert body["failing"] == ["database"]
    finally:
        async with slack.runtime.engine.begin() as connection:
            await connection.execute(text("ALTER TABLE tickets_gone RENAME TO tickets"))


# -- /metrics -------------------------------------------------------------------------------


async def test_metrics_read_the_desk_from_the_database(slack: SlackWorld) -> None:
    await seed_tickets(slack.runtime)
    status, content_type, body = await get(slack, "/metrics")
    assert status == 200 and content_type.startswith("text/plain")
    found = samples(body)
    assert found[("tierdesk_open_tickets", (("priority", "S1"), ("tier", "L1")))] == 1
    assert found[("tierdesk_open_tickets", (("priority", "S2"), ("tier", "L1")))] == 1
    assert found[("tierdesk_open_tickets", (("priority", "S4"), ("tier", "L2")))] == 1
    assert found[("tierdesk_sla_pings_total", (("stage", "breach"),))] == 1
    assert found[("tierdesk_sla_pings_total", (("stage", "warn"),))] == 1
    assert found[("tierdesk_sla_pings_total", (("stage", "repeat"),))] == 0
    assert found[("tierdesk_sla_breaches_total", (("clock", "response"),))] == 1
    assert found[("tierdesk_outbox_backlog", ())] == 0
    assert found[("tierdesk_outbox_oldest_age_seconds", ())] == 0
    assert found[("tierdesk_knowledge_suggestions_accepted_total", ())] == 0
    assert found[("tierdesk_knowledge_suggestions_shown_total", ())] == 0

    # two questions offered articles: one turned down, one left unanswered
    async with slack.runtime.uow_factory() as uow:
        await uow.knowledge.add_outcome(SuggestionOutcome(("vpn", "wifi"), rejected=True))
        await uow.knowledge.add_outcome(SuggestionOutcome(("vpn",)))
        await uow.commit()
    found = samples((await get(slack, "/metrics"))[2])
    assert found[("tierdesk_knowledge_suggestions_shown_total", ())] == 3
    assert found[("tierdesk_knowledge_suggestions_rejected_total", ())] == 2  # per article
    assert found[("tierdesk_incidents", (("status", "proposed"),))] == 0

    # a proposal marked not related: the false positives a lead watches
    async with slack.runtime.uow_factory() as uow:
        incident = await uow.incidents.add(Incident("VPN", None, "L1", T0))
        incident.dismiss(T0)
        await uow.incidents.save(incident)
        await uow.commit()
    found = samples((await get(slack, "/metrics"))[2])
    assert found[("tierdesk_incidents", (("status", "dismissed"),))] == 1
    assert found[("tierdesk_incidents", (("status", "open"),))] == 0


async def test_metrics_count_events_and_the_undelivered_outbox(slack: SlackWorld) -> None:
    slack.adapter.deliver_soon = lambda: None  # no delivery right after the event: it waits
    body = payloads.event_body(payloads.message_event(SAM, dm(SAM), "my vpn keeps dropping"))
    assert (await slack.post(body))[0] == 200
    assert (await slack.post(body, retry=1))[0] == 200  # Slack's retry: a duplicate
    await slack.adapter.drain()  # handled, but nothing delivered yet
    slack.clock.advance(timedelta(seconds=90))
    found = samples((await get(slack, "/metrics"))[2])
    handled = (("outcome", "handled"), ("platform", "slack"))
    assert found[("tierdesk_inbound_events_total", handled)] == 1
    duplicate = (("outcome", "duplicate"), ("platform", "slack"))
    assert found[("tierdesk_inbound_events_total", duplicate)] == 1
    assert found[("tierdesk_event_handling_seconds_count", (("platform", "slack"),))] == 2
    assert found[("tierdesk_outbox_backlog", ())] >= 1  # the answer to Sam waits
    assert found[("tierdesk_outbox_oldest_age_seconds", ())] == 90

    await slack.runtime.dispatcher.deliver_due()
    found = samples((await get(slack, "/metrics"))[2])
    assert found[("tierdesk_outbox_backlog", ())] == 0


# -- the status page ------------------------------------------------------------------------


async def test_status_page_shows_queues_by_pressure_with_the_token(slack: SlackWorld) -> None:
    numbers = await seed_tickets(slack.runtime)
    url = f"{slack.root}/?token={STATUS_TOKEN}"
    async with slack.http.get(url, allow_redirects=False) as response:
        assert (response.status, response.headers["Location"]) == (303, "/")
        cookie = response.cookies["tierdesk_status"]
        assert cookie.value == STATUS_TOKEN and cookie["httponly"]
    status, content_type, html = await get(slack, "/", Cookie=f"tierdesk_status={STATUS_TOKEN}")
    assert status == 200 and content_type.startswith("text/html")
    assert f'class="ticket breached" id="ticket-{numbers["breached"]}"' in html
    assert f'class="ticket warning" id="ticket-{numbers["warning"]}"' in html
    assert f'class="ticket ok" id="ticket-{numbers["fine"]}"' in html
    assert "Alice Admin" in html  # the breached ticket's assignee
    assert "&lt;b&gt;ticket&lt;/b&gt;" in html and "<b>ticket</b>" not in html  # escaped
    # today began at midnight in Berlin (23:00 UTC): all three opened since, one breach
    assert '<b id="opened">3</b>' in html
    assert '<b id="resolved">0</b>' in html
    assert '<b id="breaches">1</b>' in html
    assert 'id="incidents"' not in html  # no incident: no section

    async with slack.runtime.uow_factory() as uow:  # a declared incident, its title escaped
        incident = await uow.incidents.add(Incident("VPN <b>down</b>", None, "L1", T0))
        incident.declare("S1", slack.clock.now(), slack.runtime.settings.sla)
        await uow.incidents.save(incident)
        await uow.commit()
    _, _, html = await get(slack, "/", Cookie=f"tierdesk_status={STATUS_TOKEN}")
    assert 'id="incidents"' in html and 'id="incident-1"' in html
    assert "VPN &lt;b&gt;down&lt;/b&gt;" in html


async def test_status_page_refuses_a_wrong_or_missing_token(slack: SlackWorld) -> None:
    await seed_tickets(slack.runtime)
    for path, headers in (
        ("/?token=wrong", {}),
        ("/", {}),
        ("/", {"Authorization": "Bearer s3cret-status-tokeN"}),
        ("/", {"Cookie": "tierdesk_status=s3cret"}),
    ):
        status, _, body = await get(slack, path, **headers)
        assert status == 403, path
        assert "ticket" not in body
    status, _, _ = await get(slack, "/", Authorization=f"Bearer {STATUS_TOKEN}")
    assert status == 200


async def test_status_page_shows_the_report_picture_behind_the_token(slack: SlackWorld) -> None:
    await seed_tickets(slack.runtime)
    _, _, html = await get(slack, "/", Authorization=f"Bearer {STATUS_TOKEN}")
    assert '<img src="/report.png"' in html
    auth = {"Authorization": f"Bearer {STATUS_TOKEN}"}
    async with slack.http.get(f"{slack.root}/report.png", headers=auth) as response:
        assert response.status == 200 and response.content_type == "image/png"
        png = await response.read()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000  # a drawn report
    async with slack.http.get(f"{slack.root}/report.png") as response:
        assert response.status == 403
        assert b"PNG" not in await response.read()
