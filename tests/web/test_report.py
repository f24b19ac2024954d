"""`fairlend report`: one self-contained HTML file with the console's charts and tables, and its PDF.

Self-contained means nothing to fetch: no `src` or `href` pointing at a
network, no external script or stylesheet; ECharts, the chart script and the
styles are inside the file. Bad input is one line and exit 2, and leaves no file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from fairlend.analytics.model import Filter
from fairlend.bootstrap import Container
from fairlend.sim.report import DemoReport
from fairlend.web.report import render_report
from tests.web.test_analytics_pages import CHARTS
from tests.web.test_every_page_speaks_the_readers_language import _problems

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.xdist_group("analytics_pages")]


class _Outside(HTMLParser):
    """Every attribute that would make a browser fetch something, and every script or stylesheet by reference."""

    def __init__(self) -> None:
        super().__init__()
        self.fetches: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "script":
            self.scripts += 1
        for name in ("src", "href", "srcset", "action", "data", "poster"):
            if found.get(name):
                self.fetches.append(f"<{tag} {name}={found[name]}>")
        if tag == "link":
            self.fetches.append(f"<link {found}>")


def _fetches(html: str) -> list[str]:
    parser = _Outside()
    parser.feed(html)
    return parser.fetches


def _env(container: Container, tmp_path: Path, **more: str) -> dict[str, str]:
    return {
        **os.environ,
        "FAIRLEND_DATABASE_URL": container.settings.database_url,
        "FAIRLEND_DATA_DIR": str(tmp_path),
        "FAIRLEND_ENVIRONMENT": "development",
        **more,
    }


def _report(container: Container, tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fairlend.cli", "report", *args],
        capture_output=True, text=True, check=False, env=_env(container, tmp_path, **env), timeout=300,
    )  # fmt: skip


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_the_report_holds_every_chart_and_table_and_needs_nothing_from_a_network(
    analytics_demo: tuple[Container, DemoReport], lang: str
) -> None:
    container, report = analytics_demo
    portfolio = container.analytics.portfolio(Filter(report.start, container.clock.business_date()))
    html = render_report(portfolio, lang, datetime(2026, 12, 6, tzinfo=UTC))
    assert _fetches(html) == []
    assert not re.search(r"""(src|href)\s*=\s*["']?https?://""", html, re.I)
    block = re.search(r'<script type="application/json" id="fl-charts">(.*?)</script>', html, re.S)
    assert block is not None
    assert [c["id"] for c in json.loads(block.group(1))["charts"]] == list(CHARTS)
    assert json.loads(block.group(1))["animate"] is False  # a printer sees the finished drawing
    for chart in CHARTS:
        assert f'<div class="chart" id="{chart}"' in html and f'data-testid="table-{chart}"' in html
    assert "echarts" in html and len(html) > 1_000_000  # the library itself is inside
    assert f'<html lang="{lang}">' in html
    assert _problems(html, lang) == []


def test_fairlend_report_writes_the_file_for_the_range_and_bad_input_writes_nothing(
    analytics_demo: tuple[Container, DemoReport], tmp_path: Path
) -> None:
    container, report = analytics_demo
    out = tmp_path / "report.html"
    done = _report(container, tmp_path, "--out", str(out), "--from", str(report.start), "--lang", "zh-CN")
    assert done.returncode == 0, done.stderr
    html = out.read_text(encoding="utf-8")
    assert _fetches(html) == [] and f"{report.start.isoformat()}至" in html
    assert list(tmp_path.glob("*.partial")) == []

    refusals = [
        (["--from", "2026-13-01"], {}, "report_date_invalid"),
        (["--from", "2026-05-01", "--to", "2026-04-01"], {}, "analytics_range_invalid"),
        (["--grade", "Z"], {}, "analytics_grade_invalid"),
        (["--lang", "fr"], {}, "report_lang_invalid"),
        (["--pdf"], {"FAIRLEND_CHROMIUM": str(tmp_path / "no-such-browser")}, "report_pdf_unavailable"),
    ]
    for args, env, code in refusals:
        target = tmp_path / f"{code}.html"
        refused = _report(container, tmp_path, "--out", str(target), *args, **env)
        assert refused.returncode == 2, (args, refused.stderr)
        assert refused.stderr.strip().startswith(f"error: {code}") and len(refused.stderr.strip().splitlines()) == 1
        assert not target.exists() and not target.with_suffix(".pdf").exists()


@pytest.mark.skipif(shutil.which("chromium") is None, reason="no Chromium on this machine to print the PDF")
def test_fairlend_report_pdf_prints_the_file_offline_with_the_machines_chromium(
    analytics_demo: tuple[Container, DemoReport], tmp_path: Path
) -> None:
    container, report = analytics_demo
    out = tmp_path / "report.html"
    done = _report(container, tmp_path, "--out", str(out), "--from", str(report.start), "--pdf")
    assert done.returncode == 0, done.stderr
    pdf = out.with_suffix(".pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 50_000  # charts drawn as vectors make it heavy
    assert out.exists()
