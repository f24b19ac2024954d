"""The analytics page reads the month-end snapshot and draws exactly what it drew live, charts and tables, in both languages.

A demo book (sim/demo.py, 60 days through today, so two month-ends) whose
end-of-day wrote the snapshot: the page is rendered from it, then with the
snapshot forgotten (every month live), then after `fairlend analytics
snapshot`'s backfill. Each time every chart has its data table under it and
the charts' data and tables are the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select

from fairlend.analytics.tables import analytics_loan_month, analytics_snapshot_month
from fairlend.api.app import create_app
from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from fairlend.sim.report import DemoReport
from tests.web.analytics_seed import demo_book, operator_id
from tests.web.helpers import sign_in
from tests.web.test_analytics_pages import BLOCK, CHARTS, LANGS

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.slow]
SECTION = re.compile(r'<section[^>]*data-testid="chart-(\w+)".*?</section>', re.S)


@pytest.fixture
def demo(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[Container, DemoReport]]:
    container, report = demo_book(tmp_path, sqlite_template)
    yield container, report
    container.close()


def _drawn(api: TestClient, report: DemoReport, lang: str) -> tuple[str, dict[str, str]]:
    """The page's chart data and each chart's section (the chart and its table)."""
    html = api.get(f"/operator/analytics?from={report.start}&lang={lang}").text
    found = BLOCK.search(html)
    assert found, "no chart data on the page"
    sections = {m.group(1): m.group(0) for m in SECTION.finditer(html)}
    assert list(sections) == list(CHARTS)
    for chart, section in sections.items():
        assert f'data-testid="table-{chart}"' in section and section.index(f'id="{chart}"') < section.index("<table")
    return found.group(1), sections


def test_the_page_from_the_snapshot_draws_what_it_draws_live_in_both_languages(
    demo: tuple[Container, DemoReport],
) -> None:
    container, report = demo
    with container.engine.connect() as conn:
        written = conn.execute(select(func.count()).select_from(analytics_snapshot_month)).scalar_one()
        rows = conn.execute(select(func.count()).select_from(analytics_loan_month)).scalar_one()
    assert written >= 2 and rows > 0, "end-of-day wrote no month-end: the page never read the snapshot"
    with TestClient(create_app(container=container), client=("127.0.0.1", 50000)) as api:
        sign_in(api, container, operator_id(container, report, "finance"), Role.FINANCE)
        stored = {lang: _drawn(api, report, lang) for lang in LANGS}
        assert stored["en"][0] != stored["zh-CN"][0]  # labels and numbers in the reader's language
        with container.engine.begin() as conn:
            conn.execute(delete(analytics_loan_month))
            conn.execute(delete(analytics_snapshot_month))
        assert {lang: _drawn(api, report, lang) for lang in LANGS} == stored
        assert len(container.analytics.backfill()) == written
        assert {lang: _drawn(api, report, lang) for lang in LANGS} == stored
