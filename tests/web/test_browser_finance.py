"""In Chromium: the finance desk's provisions page draws its charts, each with its table, in both languages."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.identity.model import Principal, Role
from fairlend.identity.tokens import WEB_SESSION_TTL
from fairlend.web.session import SESSION_COOKIE
from tests.finance.conftest import finance_only, seed_book
from tests.web.helpers import charts_not_drawn, console_errors
from tests.web.test_browser import serving

pytestmark = pytest.mark.backends("sqlite")


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_provisions_page_draws_every_chart_with_its_table_and_no_console_error(
    container: Container, clock: FixedClock, page: Page, lang: str
) -> None:
    finance_only(container)
    seed_book(container, clock, 40, loans=5)  # 2026-03-02 .. 2026-04-10: March is provisioned
    errors = console_errors(page)
    token, _ = container.identity.tokens.issue(Principal("op_fin_a", Role.FINANCE), WEB_SESSION_TTL)
    with serving(container) as server:
        page.context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": server}])
        page.goto(f"{server}/operator/finance/provisions?month=2026-03&lang={lang}")
        page.wait_for_function("document.querySelectorAll('.chart[data-drawn]').length === 3")
        assert charts_not_drawn(page) == []
        assert page.locator("html").get_attribute("lang") == lang
    assert errors == []
