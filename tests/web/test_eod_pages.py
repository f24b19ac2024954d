"""End-of-day's console: a date's partitions in the reader's words, and a failed one run again from the page."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.config import Settings
from fairlend.errors import Conflict
from fairlend.identity.model import Role
from fairlend.money import Money
from tests.identity.helpers import verified_borrower
from tests.lending.conftest import BASE
from tests.web.helpers import csrf, denied, sign_in

FAILING = 0


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    # The page is about partitions: 16 on every backend (SQLite's default is 1).
    return Settings(environment="test", database_url=database_url, data_dir=tmp_path, eod_partitions=16)


@pytest.fixture
def failed_date(container: Container, monkeypatch: pytest.MonkeyPatch) -> str:
    """Today's date run in partitions with partition 0 failing on a bug: the date stays open."""
    product = container.lending.products.define(BASE)
    who, _, _ = verified_borrower(container)
    today = container.clock.business_date()
    container.lending.book_loan(
        who.subject_id, product.code, Money.of("10000", "CNY"), open_date=today - timedelta(days=40)
    )
    monkeypatch.setenv("FAIRLEND_FAIL_AT", f"eod.partition.{FAILING}")
    with pytest.raises(Conflict):
        container.eod.run()
    monkeypatch.delenv("FAIRLEND_FAIL_AT")
    return today.isoformat()


def _retry_form(html: str) -> str:
    found = re.search(r'<form method="post" action="(/operator/eod/[^"]+/retry)">', html)
    assert found, "a failed partition of the open date has a retry button"
    return found.group(1)


def test_a_failed_partition_shows_its_error_in_both_languages_and_a_retry_closes_the_date(
    api: TestClient, container: Container, failed_date: str
) -> None:
    sign_in(api, container, "op_admin", Role.ADMIN)
    english = api.get(f"/operator/eod/{failed_date}?lang=en").text
    row = re.search(rf'data-testid="partition-{FAILING}">(.*?)</tr>', english, re.S)
    assert row and "Failed" in row.group(1) and "InjectedFault: fault injected at eod.partition.0" in row.group(1)
    assert "<td>1</td>" in row.group(1)  # attempts
    assert english.count(">Committed<") == container.eod.partition_count - 1
    assert "16 partitions in one process" in english and "Partitions (16)" in english
    action = _retry_form(english)
    assert action == f"/operator/eod/{failed_date}/partitions/{FAILING}/retry"
    assert english.count("/retry") == 1  # committed partitions offer nothing
    chinese = api.get(f"/operator/eod/{failed_date}?lang=zh-CN").text
    assert "失败" in chinese and "已提交" in chinese and "重新运行" in chinese and "尝试次数" in chinese
    assert "committed" not in re.sub(r'class="[^"]*"', "", chinese)  # states in words, not codes

    # Without the CSRF token nothing runs.
    refused = api.post(action, data={}, follow_redirects=False)
    assert refused.headers["location"] == "/?csrf=1" and not container.eod.is_done(date.fromisoformat(failed_date))

    done = api.post(action, data={"csrf_token": csrf(english)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == f"/operator/eod/{failed_date}?retried=done"
    after = api.get(done.headers["location"] + "&lang=en").text
    assert "the business date is closed" in after and "/retry" not in after
    assert [r.state for r in container.eod.partition_runs(date.fromisoformat(failed_date))] == ["committed"] * 16
    assert container.eod.business_date() == date.fromisoformat(failed_date) + timedelta(days=1)
    assert container.verify() == []


def test_a_retry_that_fails_again_says_so_and_the_date_stays_open(
    api: TestClient, container: Container, failed_date: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(api, container, "op_admin", Role.ADMIN)
    page = api.get(f"/operator/eod/{failed_date}?lang=en").text
    monkeypatch.setenv("FAIRLEND_FAIL_AT", f"eod.partition.{FAILING}")  # the bug is not fixed yet
    again = api.post(_retry_form(page), data={"csrf_token": csrf(page)}, follow_redirects=False)
    assert again.status_code == 409 and "The partition failed again" in again.text
    (failed,) = [r for r in container.eod.partition_runs(date.fromisoformat(failed_date)) if r.state == "failed"]
    assert failed.number == FAILING and failed.attempts == 2
    assert not container.eod.is_done(date.fromisoformat(failed_date))


@pytest.mark.parametrize("role", [Role.UNDERWRITER, Role.COMPLIANCE, Role.COLLECTOR, Role.BORROWER])
def test_only_admins_see_partitions_or_run_one_again(
    api: TestClient, container: Container, failed_date: str, role: Role
) -> None:
    sign_in(api, container, "op_admin", Role.ADMIN)
    page = api.get(f"/operator/eod/{failed_date}").text
    action, token = _retry_form(page), csrf(page)
    sign_in(api, container, "someone", role)
    assert denied(api.get(f"/operator/eod/{failed_date}", follow_redirects=False))
    assert denied(api.post(action, data={"csrf_token": token}, follow_redirects=False))
    assert not container.eod.is_done(date.fromisoformat(failed_date))
