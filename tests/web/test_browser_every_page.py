"""Every page each role reaches, in headless Chromium, in zh-CN and en, at 1280 and 390 px wide.

A demo book is seeded once under `cn` (borrower and operators) and once under
`us` (an investor: retail investors are off under `cn`, MK-1). Each role's
pages are found by following links from its home (as the language crawl
does), then each is loaded in the browser and fails on: a console error, a
404 or 5xx for the page or anything it loads, a form field without a label, a
page taller than 5,000 px at 1280 px wide, and a page wider than the screen
at 390 px (long ids must wrap, not push the layout sideways).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import ConsoleMessage, Page, Response, sync_playwright

from fairlend.api.app import create_app
from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.identity.model import Principal, Role
from fairlend.identity.tokens import WEB_SESSION_TTL
from fairlend.jurisdiction.loader import load_profile
from fairlend.sim.demo import contact_instant, seed_demo
from fairlend.sim.report import DemoReport
from fairlend.web.session import SESSION_COOKIE
from tests.web.finance_seed import seed_finance
from tests.web.hardship_seed import seed_hardship
from tests.web.helpers import sign_in
from tests.web.test_browser import CHROMIUM, CHROMIUM_ARGS, serving
from tests.web.test_browser_operators import UNLABELLED
from tests.web.test_every_page_speaks_the_readers_language import _crawl, _who

pytestmark = [pytest.mark.browser, pytest.mark.backends("sqlite"), pytest.mark.xdist_group("browser_every_page")]

MAX_HEIGHT = 5_000
NARROW = 390
# A few pixels of rounding are not a sideways scroll.
SLACK = 2
SIZE = {"borrowers": 6, "days": 45, "seed": 11}
SETTLED = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done(null))))"


def _seed(tmp: Path, template: Path, jurisdiction: str) -> tuple[Container, DemoReport]:
    path = tmp / f"{jurisdiction}.db"
    shutil.copyfile(template, path)
    today = date.today()
    timezone = load_profile(jurisdiction).timezone
    container = bootstrap(
        Settings(
            environment="development",
            database_url=f"sqlite:///{path}",
            data_dir=tmp,
            jurisdiction=jurisdiction,
        ),
        clock=FixedClock(contact_instant(today, timezone), today),
    )
    report = seed_demo(container, **SIZE)
    if jurisdiction == "cn":  # the borrower's and operators' pages are walked on the `cn` book
        seed_hardship(container, report)
        seed_finance(container)
    return container, report


@pytest.fixture(scope="module")
def books(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[dict[str, tuple[Container, DemoReport, str]]]:
    tmp = tmp_path_factory.mktemp("every_page_browser")
    seeded = {j: _seed(tmp, sqlite_template, j) for j in ("cn", "us")}
    with serving(seeded["cn"][0]) as cn, serving(seeded["us"][0]) as us:
        yield {"cn": (*seeded["cn"], cn), "us": (*seeded["us"], us)}
    for container, _ in seeded.values():
        container.close()


@pytest.fixture(scope="module")
def browser_page() -> Iterator[Page]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        yield context.new_page()
        context.close()
        browser.close()


def _subject(container: Container, report: DemoReport, role: str) -> tuple[str, Role]:
    if role == "investor":
        return report.investors[0].person_id, Role.INVESTOR
    return _who(container, report, role)


def _pages(container: Container, subject: str, role: Role) -> list[str]:
    with TestClient(create_app(container=container), client=("127.0.0.1", 50000)) as api:
        sign_in(api, container, subject, role)
        home = {Role.BORROWER: "/borrower", Role.INVESTOR: "/investor"}.get(role, "/operator")
        return sorted(_crawl(api, home))


class _Watch:
    def __init__(self, page: Page) -> None:
        self.found: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.found.append(f"page error: {error}"))
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.found.append(f"console error: {message.text} ({message.location.get('url', '')})")

    def _response(self, response: Response) -> None:
        if response.status == 404 or response.status >= 500:
            self.found.append(f"{response.status} {response.request.method} {response.url}")


@pytest.mark.parametrize("role", ["borrower", "collector", "compliance", "underwriter", "finance", "admin", "investor"])
def test_every_page_of_a_role_loads_clean_labelled_and_fits_in_both_languages(
    books: dict[str, tuple[Container, DemoReport, str]], browser_page: Page, role: str
) -> None:
    container, report, server = books["us" if role == "investor" else "cn"]
    subject, as_role = _subject(container, report, role)
    paths = _pages(container, subject, as_role)
    assert len(paths) > 1
    token, _ = container.identity.tokens.issue(Principal(subject, as_role), WEB_SESSION_TTL)
    page = browser_page
    page.context.clear_cookies()
    page.context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": server}])
    watch = _Watch(page)
    problems: list[str] = []
    for lang in ("zh-CN", "en"):
        for path in paths:
            where = f"{lang} {path}"
            page.set_viewport_size({"width": 1280, "height": 900})
            joiner = "&" if "?" in path else "?"
            answer = page.goto(f"{server}{path}{joiner}lang={lang}")
            page.wait_for_load_state("load")
            if answer is None or answer.status >= 400:
                problems.append(f"{where}: status {answer.status if answer else 'none'}")
                continue
            problems += [f"{where}: unlabelled {f}" for f in page.evaluate(UNLABELLED)]
            height = int(page.evaluate("document.documentElement.scrollHeight"))
            if height > MAX_HEIGHT:
                problems.append(f"{where}: {height} px tall at 1280 px")
            page.set_viewport_size({"width": NARROW, "height": 844})
            page.evaluate(SETTLED)  # the resize event (charts redraw on it) is handled before measuring
            width = int(page.evaluate("document.documentElement.scrollWidth"))
            if width > NARROW + SLACK:
                wide = page.evaluate(
                    "Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > "
                    + str(NARROW + SLACK)
                    + ")"
                    ".slice(0, 4).map(e => e.tagName + '.' + e.className + ' ' + e.outerHTML.slice(0, 90))"
                )
                problems.append(f"{where}: {width} px wide at {NARROW} px: {wide}")
            problems += [f"{where}: {f}" for f in watch.found]
            watch.found.clear()
    assert not problems, "\n".join(problems[:40])
