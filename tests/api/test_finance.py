"""The books over HTTP: statements that drill down to the fen, provisions explained, the close and reopening."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.identity.model import Role
from fairlend.ledger import reports
from fairlend.ledger.model import AccountType
from tests.api.problems import refusal
from tests.conftest import FakeAuthenticator
from tests.finance.conftest import finance_only, seed_book

F = "/api/v1/finance"


@pytest.fixture
def container(container: Container) -> Container:
    return finance_only(container)


@pytest.fixture
def book(container: Container, clock: FixedClock) -> dict[str, str]:
    return seed_book(container, clock, 40, loans=5)  # 2026-03-02 .. 2026-04-10


def _as(fake_auth: FakeAuthenticator, subject: str = "op_fin_a") -> dict[str, str]:
    return fake_auth.headers(Role.FINANCE, subject)


def _journal_size(container: Container) -> int:
    with container.uow(read_only=True) as uow:
        return len(reports.lines(uow.conn, list(AccountType), "CNY", None, container.clock.business_date()))


def _walk(api: TestClient, headers: dict[str, str], query: str, limit: int) -> tuple[int, int]:
    """Every page of a drill-down: (sum of the raw amounts, pages read)."""
    total, pages, offset = 0, 0, 0
    while True:
        got = api.get(f"{F}/lines?{query}&limit={limit}&offset={offset}", headers=headers)
        assert got.status_code == 200, got.text
        body = got.json()
        assert len(body["lines"]) <= limit
        assert body["page_total"] == sum(x["amount"] for x in body["lines"])
        total, pages = total + body["page_total"], pages + 1
        if body["next_offset"] is None:
            return total, pages
        offset = body["next_offset"]


def test_every_income_figure_drills_down_to_journal_lines_that_sum_to_it_to_the_fen(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator, book: dict[str, str]
) -> None:
    headers = _as(fake_auth)
    got = api.get(f"{F}/statements?month=2026-03&currency=CNY", headers=headers)
    assert got.status_code == 200, got.text
    (march,) = got.json()
    assert march["trial_balance"]["balanced"] and march["balance_sheet"]["balanced"]
    figures = [f for f in march["income_statement"]["income"] + march["income_statement"]["expenses"] if f["amount"]]
    assert figures, "the seeded March earns interest and fees"
    for figure in figures:
        query = "&".join(f"types={t}" for t in figure["types"]) + "&currency=CNY&month=2026-03"
        raw, pages = _walk(api, headers, query, limit=3)
        normal = raw if AccountType(figure["code"]).category.debit_normal else -raw
        assert normal == figure["amount"], figure["code"]
    # A balance-sheet figure sums every line through the month's end (no start).
    principal = next(f for f in march["balance_sheet"]["assets"] if f["code"] == "loan_principal")
    raw, pages = _walk(api, headers, "types=loan_principal&currency=CNY&end=2026-03-31", limit=2)
    assert raw == principal["amount"] and pages > 1


def test_a_cash_flow_line_drills_down_by_its_entry_kind(
    api: TestClient, fake_auth: FakeAuthenticator, book: dict[str, str]
) -> None:
    headers = _as(fake_auth)
    (march,) = api.get(f"{F}/statements?month=2026-03", headers=headers).json()
    cash = march["cash_flow"]
    assert cash["closing"] == cash["opening"] + sum(line["amount"] for line in cash["lines"])
    for line in cash["lines"]:
        query = "&".join(f"types={t}" for t in cash["types"]) + f"&currency=CNY&month=2026-03&kind={line['kind']}"
        assert _walk(api, headers, query, limit=50)[0] == line["amount"], line["kind"]


def test_provisions_explain_each_segment_by_its_loans(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator, book: dict[str, str]
) -> None:
    headers = _as(fake_auth)
    segments = api.get(f"{F}/provisions?month=2026-03", headers=headers).json()
    assert segments, "March's month-end provisioned the book"
    for s in segments:
        assert s["opening"] + s["charge"] - s["write_offs"] + s["recoveries"] == s["closing"]
        loans = api.get(f"{F}/provisions/loans?month=2026-03&segment={s['segment']}", headers=headers).json()
        assert len(loans) == s["loans"] and sum(x["ead"] for x in loans) == s["ead"]
        assert sum(x["ecl"] for x in loans) == s["closing"]
        assert {"pd_e6", "lgd_e4", "rate_e8", "class_code", "grade"} <= set(loans[0])
    one = api.get(f"{F}/provisions/loans?month=2026-03&loan_id=loan_nobody", headers=headers)
    assert refusal(one) == (404, "provision_not_found")
    classification = api.get(f"{F}/classification?month=2026-03", headers=headers).json()
    assert classification["classes"][0] == "normal"


def test_closing_a_month_twice_changes_nothing_the_second_time(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator, book: dict[str, str]
) -> None:
    headers = _as(fake_auth)
    before = api.get(f"{F}/close/2026-03", headers=headers).json()
    assert {c["code"]: c["done"] for c in before["checklist"]}["locked"] is False and before["record"] is None
    first = api.post(f"{F}/close/2026-03", headers=headers)
    assert first.status_code == 200, first.text
    assert first.json()["already_closed"] is False
    size = _journal_size(container)
    again = api.post(f"{F}/close/2026-03", headers=_as(fake_auth, "op_fin_b"))
    assert again.status_code == 200 and again.json()["already_closed"] is True
    assert again.json()["month"] == first.json()["month"]  # closed_by is still the first operator
    assert _journal_size(container) == size
    after = api.get(f"{F}/close/2026-03", headers=headers).json()
    assert all(c["done"] for c in after["checklist"]) and after["record"]["status"] == "closed"
    assert [m["month"] for m in api.get(f"{F}/closes", headers=headers).json()] == ["2026-03"]


@pytest.mark.parametrize(
    ("month", "expected"),
    [
        ("2026-3", (422, "invalid_month")),
        ("2026-13", (422, "invalid_month")),
        ("march", (422, "invalid_month")),
        ("2026-04", (409, "close_month_not_over")),  # the business date is 2026-04-10
    ],
)
def test_a_month_that_cannot_be_closed_is_refused_with_its_code_and_nothing_is_written(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator, book: dict[str, str], month: str, expected: Any
) -> None:
    size = _journal_size(container)
    assert refusal(api.post(f"{F}/close/{month}", headers=_as(fake_auth))) == expected
    assert container.finance.closing.months() == [] and container.finance.closing.closed_through() is None
    assert _journal_size(container) == size


def test_a_month_after_an_open_one_is_refused(
    container: Container, clock: FixedClock, api: TestClient, fake_auth: FakeAuthenticator
) -> None:
    seed_book(container, clock, 70, loans=2)  # through 2026-05-10
    container.finance.closing.close("2026-03", "op_seed")
    container.eod.run(through=date(2026, 6, 2))  # May is over; April is not closed
    refused = api.post(f"{F}/close/2026-05", headers=_as(fake_auth))
    assert refusal(refused) == (409, "close_previous_open")
    assert [m.month for m in container.finance.closing.months()] == ["2026-03"]


def test_the_operator_who_asks_to_reopen_cannot_approve_it_and_a_second_one_can(
    container: Container, api: TestClient, fake_auth: FakeAuthenticator, book: dict[str, str]
) -> None:
    alice, bob = _as(fake_auth, "op_fin_a"), _as(fake_auth, "op_fin_b")
    api.post(f"{F}/close/2026-03", headers=alice)
    asked = api.post(f"{F}/reopen-requests", headers=alice, json={"month": "2026-03", "reason": "a late invoice"})
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["id"]
    twice = api.post(f"{F}/reopen-requests", headers=bob, json={"month": "2026-03", "reason": "again"})
    assert refusal(twice) == (409, "reopen_pending")
    own = api.post(f"{F}/reopen-requests/{request_id}/approve", headers=alice)
    assert refusal(own) == (403, "four_eyes_required")
    assert container.finance.closing.closed_through() is not None  # still locked
    approved = api.post(f"{F}/reopen-requests/{request_id}/approve", headers=bob)
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert container.finance.closing.closed_through() is None
    again = api.post(f"{F}/reopen-requests/{request_id}/approve", headers=bob)
    assert refusal(again) == (409, "reopen_decided")
    no_reason = api.post(f"{F}/reopen-requests", headers=alice, json={"month": "2026-03", "reason": " "})
    assert refusal(no_reason)[1] in ("reason_required", "month_not_closed")


def test_bad_drill_down_input_is_refused_with_a_stable_code(
    api: TestClient, fake_auth: FakeAuthenticator, book: dict[str, str]
) -> None:
    headers = _as(fake_auth)
    assert refusal(api.get(f"{F}/lines?types=cash&currency=CNY&month=2026-03", headers=headers)) == (
        422,
        "unknown_account_type",
    )
    assert refusal(api.get(f"{F}/lines?types=loan_principal&currency=CNY", headers=headers)) == (
        422,
        "period_required",
    )
    assert refusal(api.get(f"{F}/statements?month=2026-03&currency=USD", headers=headers)) == (
        422,
        "unknown_currency",
    )


def test_the_books_download_as_beancount_and_csv(
    api: TestClient, fake_auth: FakeAuthenticator, book: dict[str, str]
) -> None:
    headers = _as(fake_auth)
    ledger = api.get(f"{F}/export?through=2026-03-31", headers=headers)
    assert ledger.status_code == 200
    assert 'filename="books-2026-03-31.beancount"' in ledger.headers["content-disposition"]
    assert " balance Assets:LoanPrincipal" in ledger.text and " open Assets:PlatformCash" in ledger.text
    journal = api.get(f"{F}/export?through=2026-03-31&format=journal_csv", headers=headers)
    assert journal.headers["content-type"].startswith("text/csv") and journal.text.count("\n") > 10
    assert api.get(f"{F}/export?through=2026-03-31&format=xls", headers=headers).status_code == 422
