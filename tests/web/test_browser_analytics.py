"""In Chromium: the console's analytics page and the borrower's "My credit" draw every chart, in both languages.

Each chart must have drawn (an <svg> inside its box), with its data table
under it, and the browser must log no error (a CSP refusal of a script, a
script error in charts.js or ECharts would).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from fairlend.bootstrap import Container
from fairlend.identity.model import Principal, Role
from fairlend.identity.tokens import WEB_SESSION_TTL
from fairlend.sim.report import DemoReport
from fairlend.web.session import SESSION_COOKIE
from tests.web.analytics_seed import operator_id
from tests.web.helpers import charts_not_drawn, console_errors
from tests.web.test_browser import serving

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.xdist_group("analytics_pages")]


@pytest.fixture
def demo(analytics_demo: tuple[Container, DemoReport]) -> tuple[Container, DemoReport]:
    return analytics_demo


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_analytics_page_and_my_credit_draw_every_chart_with_its_table_and_no_console_error(
    demo: tuple[Container, DemoReport], page: Page, lang: str
) -> None:
    container, report = demo
    errors = console_errors(page)
    visits = [
        (
            Principal(operator_id(container, report, "finance"), Role.FINANCE),
            f"/operator/analytics?from={report.start}",
            10,
        ),
        (Principal(report.borrowers[0].person_id, Role.BORROWER), "/borrower/credit", 2),
    ]
    with serving(container) as server:
        for who, path, at_least in visits:
            token, _ = container.identity.tokens.issue(who, WEB_SESSION_TTL)
            page.context.clear_cookies()
            page.context.add_cookies(
                [
                    {"name": SESSION_COOKIE, "value": token, "url": server},
                    {"name": "fl_lang", "value": lang, "url": server},
                ]
            )
            page.goto(f"{server}{path}{'&' if '?' in path else '?'}lang={lang}")
            page.wait_for_function("document.querySelectorAll('.chart[data-drawn]').length > 0")
            boxes = page.locator(".chart").count()
            assert boxes >= at_least, (path, boxes)
            assert charts_not_drawn(page) == [], path
            assert page.locator("html").get_attribute("lang") == lang
    assert errors == []
