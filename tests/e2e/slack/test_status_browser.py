"""The status page in a real headless browser: Debian's chromium driven by playwright.

It loads with the token, refreshes itself (tickets opened after it loaded appear), shows the
breached ticket in red and the one near its due time in amber, its countdowns tick in the
page (the desk's clock is frozen: only the page's script moves them), and a wrong token gets
nothing. A screenshot is left in the test's temp dir.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.slack.conftest import STATUS_TOKEN, SlackWorld
from tests.e2e.slack.service_data import seed_tickets

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
RED, AMBER = "rgb(198, 40, 40)", "rgb(178, 106, 0)"  # the countdown colours of the page

playwright = pytest.importorskip("playwright.async_api")
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="no chromium here (.ci/run installs Debian's chromium)"
)


@pytest.fixture
def database_url(tmp_path: Path, _sqlite_template: Path) -> str:
    """SQLite only: the page's storage is tested on both databases over plain HTTP
    (``test_service_routes.py``); here the browser is what is tested."""
    path = tmp_path / "tierdesk.db"
    shutil.copyfile(_sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture
async def browser() -> AsyncIterator[object]:
    async with playwright.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


async def test_the_page_refreshes_shows_pressure_and_ticks(
    slack: SlackWorld, browser: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("adapters.status.REFRESH_SECONDS", 1)  # 15 s on a real desk
    page = await browser.new_page()  # type: ignore[attr-defined]
    response = await page.goto(f"{slack.root}/?token={STATUS_TOKEN}")
    assert response.status == 200 and page.url == f"{slack.root}/"  # the token left the URL
    assert await page.locator("tr.ticket").count() == 0
    numbers = await seed_tickets(slack.runtime)  # tickets arrive after the page loaded
    await page.wait_for_selector(f"#ticket-{numbers['breached']}", timeout=5000)  # refreshed
    assert await page.locator("#opened").text_content() == "3"
    # The desk's clock is frozen, so each refresh would set the countdowns back: watch them
    # tick on a page that refreshes at the real pace (the cookie now carries the token).
    monkeypatch.setattr("adapters.status.REFRESH_SECONDS", 15)
    assert (await page.goto(f"{slack.root}/")).status == 200

    breached = page.locator(f"#ticket-{numbers['breached']} td.countdown")
    warning = page.locator(f"#ticket-{numbers['warning']} td.countdown")
    fine = page.locator(f"#ticket-{numbers['fine']} td.countdown")
    assert await breached.evaluate("e => getComputedStyle(e).color") == RED
    assert await warning.evaluate("e => getComputedStyle(e).color") == AMBER
    assert await fine.evaluate("e => getComputedStyle(e).color") not in (RED, AMBER)
    assert (await breached.text_content() or "").startswith("overdue 1h 0m")
    before = await warning.text_content()
    assert before in ("5m 0s", "4m 59s")  # the script's first tick may fall just after
    await page.wait_for_function(
        "([sel, before]) => document.querySelector(sel).textContent !== before",
        arg=[f"#ticket-{numbers['warning']} td.countdown", before],
        timeout=5000,
    )
    after = await warning.text_content()
    assert after is not None and after.startswith("4m 5")  # a second or two later
    assert "Alice Admin" in await page.locator(f"#ticket-{numbers['breached']}").inner_text()
    shot = tmp_path / "status.png"
    await page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000


async def test_a_wrong_token_shows_nothing_of_the_board(slack: SlackWorld, browser: object) -> None:
    await seed_tickets(slack.runtime)
    page = await browser.new_page()  # type: ignore[attr-defined]
    response = await page.goto(f"{slack.root}/?token=not-the-token")
    assert response.status == 403
    assert "wrong or missing status token" in await page.content()
    assert await page.locator("td.countdown").count() == 0
