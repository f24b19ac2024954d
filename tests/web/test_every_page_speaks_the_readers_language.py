"""Every page a person can reach, in zh-CN and en, shows words, not codes.

A demo book is seeded once; each role signs in and every page reachable by
links from its home is fetched in both languages. A page fails on a 4xx/5xx,
on a snake_case code left in its visible text (`loan_approval`, `log_in`,
`third_party`: what a catalog entry was missing), and, in zh-CN, on a run of
English words that is not a name, an id or a unit.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest
from fastapi.testclient import TestClient

from fairlend.api.app import create_app
from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.identity.model import Role
from fairlend.sim.demo import contact_instant, seed_demo
from fairlend.sim.report import DemoReport
from tests.web.finance_seed import seed_finance
from tests.web.hardship_seed import seed_hardship
from tests.web.helpers import sign_in

pytestmark = [pytest.mark.backends("sqlite"), pytest.mark.xdist_group("every_page")]

SNAKE = re.compile(r"(?<![\w/.-])[a-z]+(?:_[a-z]+)+(?![\w/.-])")
ENGLISH_RUN = re.compile(r"(?<![\w.@/-])[A-Za-z]{3,}(?:\s+[A-Za-z]{2,}){1,}(?![\w.@/-])")
# Words a Chinese page may show in Latin letters: the brand, units and standard abbreviations.
LATIN_OK = {"fairlend", "APR", "UTC", "PDF", "CSV", "API", "SMS", "ID", "NAR", "CNY", "USD", "OTP"}
# Not pages: logging out, assets, the API, files to download (a hardship evidence file is one; opening it is
# also an audit row), development pages.
SKIP = ("/logout", "/static/", "/api/", ".pdf", ".csv", "/hardship/evidence/", "/dev/")
MAX_PAGES = 60


class _Text(HTMLParser):
    """Visible text, leaving out scripts, styles, <code>, ids (class="id") and what people wrote (class="free")."""

    def __init__(self) -> None:
        super().__init__()
        self.chunks: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a" and found.get("href"):
            self.links.append(str(found["href"]))
        classes = (found.get("class") or "").split()
        if tag in ("script", "style", "code", "pre") or "id" in classes or "free" in classes:
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if self._skip and tag in ("script", "style", "code", "pre", "span", "td", "p", "div", "a", "li", "h1", "h2"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.chunks.append(data.strip())


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[tuple[Container, DemoReport]]:
    path = tmp_path_factory.mktemp("every_page") / "fairlend.db"
    shutil.copyfile(sqlite_template, path)
    today = date.today()  # each simulated day at 10:00 in Shanghai, whatever the wall clock says (CN-5)
    container = bootstrap(
        Settings(environment="development", database_url=f"sqlite:///{path}", data_dir=path.parent),
        clock=FixedClock(contact_instant(today, "Asia/Shanghai"), today),
    )
    report = seed_demo(container, borrowers=6, days=45, seed=11)
    seed_hardship(container, report)  # the crawled borrower's requests in every state, and the desk's
    seed_finance(container)  # a closed month and a request to reopen it
    yield container, report
    container.close()


@pytest.fixture(scope="module")
def us_demo(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[tuple[Container, DemoReport]]:
    """Retail investors are off under `cn` (MK-1): the investor's pages are crawled on a `us` book."""
    path = tmp_path_factory.mktemp("every_page_us") / "fairlend.db"
    shutil.copyfile(sqlite_template, path)
    settings = Settings(
        environment="development", database_url=f"sqlite:///{path}", data_dir=path.parent, jurisdiction="us"
    )
    today = date.today()
    container = bootstrap(settings, clock=FixedClock(contact_instant(today, "America/New_York"), today))
    report = seed_demo(container, borrowers=6, days=45, seed=11)
    yield container, report
    container.close()


def _who(container: Container, report: DemoReport, role: str) -> tuple[str, Role]:
    if role == "borrower":
        return report.borrowers[0].person_id, Role.BORROWER
    login = next(o for o in report.operators if o.role == role)
    operator = next(o for o in container.identity.accounts.operators() if o.username == login.username)
    return operator.operator_id, Role(role)


def _crawl(api: TestClient, home: str) -> dict[str, str]:
    seen: dict[str, str] = {}
    queue = [home]
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        response = api.get(path, follow_redirects=True)
        assert response.status_code < 400, (path, response.status_code)
        seen[path] = response.text
        parser = _Text()
        parser.feed(response.text)
        for href in parser.links:
            target = urlparse(urljoin("http://testserver" + path, href))
            if target.netloc != "testserver" or any(s in target.path for s in SKIP):
                continue
            link = target.path + (f"?{target.query}" if target.query and "lang=" not in target.query else "")
            if link not in seen:
                queue.append(link)
    return seen


def _problems(html: str, lang: str) -> list[str]:
    parser = _Text()
    parser.feed(html)
    found: list[str] = []
    for chunk in parser.chunks:
        found += [f"code {m!r} in {chunk[:80]!r}" for m in SNAKE.findall(chunk)]
        if lang == "zh-CN":
            for run in ENGLISH_RUN.findall(chunk):
                if not set(run.split()) <= LATIN_OK:
                    found.append(f"English {run!r} in {chunk[:80]!r}")
    return found


@pytest.mark.parametrize("role", ["borrower", "collector", "compliance", "underwriter", "finance", "admin"])
@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_page_a_role_reaches_shows_no_code_and_no_foreign_words(
    demo: tuple[Container, DemoReport], role: str, lang: str
) -> None:
    container, report = demo
    with TestClient(create_app(container=container), client=("127.0.0.1", 50000)) as api:
        subject, as_role = _who(container, report, role)
        sign_in(api, container, subject, as_role)
        api.cookies.set("fl_lang", lang)
        home = "/borrower" if as_role is Role.BORROWER else "/operator"
        pages = _crawl(api, home)
        assert len(pages) > 1
        problems = {path: p for path, html in pages.items() if (p := _problems(html, lang))}
        assert not problems, "\n".join(f"{path}: {p[:6]}" for path, p in problems.items())


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_every_page_an_investor_reaches_shows_no_code_and_no_foreign_words(
    us_demo: tuple[Container, DemoReport], lang: str
) -> None:
    container, report = us_demo
    with TestClient(create_app(container=container), client=("127.0.0.1", 50000)) as api:
        sign_in(api, container, report.investors[0].person_id, Role.INVESTOR)
        api.cookies.set("fl_lang", lang)
        pages = _crawl(api, "/investor")
        assert len(pages) > 5
        problems = {path: p for path, html in pages.items() if (p := _problems(html, lang))}
        assert not problems, "\n".join(f"{path}: {p[:6]}" for path, p in problems.items())


def test_every_end_of_day_step_has_a_name_in_both_languages(demo: tuple[Container, DemoReport]) -> None:
    from fairlend.web.i18n import catalog

    container, _ = demo
    for locale in ("en", "zh-CN"):
        missing = [s for s in container.eod.step_names() if f"eod.step.{s}" not in catalog(locale)]
        assert not missing, (locale, missing)


def test_every_inquiry_purpose_has_a_name_in_both_languages() -> None:
    from fairlend.bureau.consent import InquiryPurpose
    from fairlend.web.i18n import catalog

    for locale in ("en", "zh-CN"):
        missing = [p.value for p in InquiryPurpose if f"inquiry.purpose.{p.value}" not in catalog(locale)]
        assert not missing, (locale, missing)
