"""Lending's pages: my loans, a loan's schedule, repaying once per form, the payoff quote,
and the console's loan lookup and end-of-day runs."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from fairlend.lending.model import Product
from fairlend.money import Money
from tests.identity.helpers import verified_borrower
from tests.lending.conftest import BASE
from tests.web.helpers import csrf, denied, field, sign_in


@pytest.fixture
def cash12(container: Container) -> Product:
    return container.lending.products.define(BASE)


@pytest.fixture
def owner(container: Container) -> str:
    """A real, verified person: end-of-day reports their loan to the bureau and plans its collection."""
    who, _, _ = verified_borrower(container)
    return who.subject_id


@pytest.fixture
def overdue_loan(container: Container, cash12: Product, owner: str) -> str:
    """A loan opened 75 days ago: two installments billed, the first one overdue."""
    today = container.clock.business_date()
    return container.lending.book_loan(
        owner, cash12.code, Money.of("10000", "CNY"), open_date=today - timedelta(days=75)
    )


def test_my_loans_and_the_loan_page_show_balances_schedule_and_delinquency_in_both_locales(
    api: TestClient, container: Container, overdue_loan: str, owner: str
) -> None:
    sign_in(api, container, owner, Role.BORROWER)
    facts = container.lending.loan_facts(overdue_loan)
    assert facts.days_past_due > 0  # the fixture is what the page must show

    english = api.get("/borrower/loans?lang=en")
    assert english.status_code == 200 and "My loans" in english.text and overdue_loan in english.text
    assert facts.total_outstanding.format("en") in english.text
    chinese = api.get("/borrower/loans?lang=zh-CN")
    assert "我的借款" in chinese.text and overdue_loan in chinese.text

    page = api.get(f"/borrower/loans/{overdue_loan}?lang=en")
    assert page.status_code == 200
    assert f'data-testid="dpd">{facts.days_past_due}<' in page.text
    assert f'data-testid="bucket">{facts.bucket}<' in page.text
    statuses = [i.status for i in container.lending.loan_detail(overdue_loan).schedule]
    assert "overdue" in statuses and page.text.count('class="status-overdue"') == statuses.count("overdue")
    assert "Overdue" in page.text and "Scheduled" in page.text and 'name="pay_key"' in page.text
    zh_page = api.get(f"/borrower/loans/{overdue_loan}?lang=zh-CN")
    assert "还款计划" in zh_page.text and "已逾期" in zh_page.text

    payoff = api.get(f"/borrower/loans/{overdue_loan}/payoff?lang=en")
    quote = container.lending.payoff_quote(overdue_loan)
    assert payoff.status_code == 200 and quote.total.format("en") in payoff.text
    assert "提前结清" in api.get(f"/borrower/loans/{overdue_loan}/payoff?lang=zh-CN").text


def test_a_borrower_cannot_see_or_pay_another_borrowers_loan(
    api: TestClient, container: Container, overdue_loan: str, owner: str
) -> None:
    sign_in(api, container, owner, Role.BORROWER)
    form = api.get(f"/borrower/loans/{overdue_loan}").text
    before = container.lending.loan_facts(overdue_loan)

    sign_in(api, container, "brw_b", Role.BORROWER)
    assert overdue_loan not in api.get("/borrower/loans").text
    assert denied(api.get(f"/borrower/loans/{overdue_loan}", follow_redirects=False))
    assert denied(api.get(f"/borrower/loans/{overdue_loan}/payoff", follow_redirects=False))
    assert denied(api.get("/borrower/loans/loan_nonexistent", follow_redirects=False))  # missing looks the same
    paid = api.post(
        f"/borrower/loans/{overdue_loan}/repay",
        data={"amount": "100", "pay_key": field(form, "pay_key"), "csrf_token": csrf(form)},
        follow_redirects=False,
    )
    assert denied(paid)
    assert container.lending.loan_facts(overdue_loan) == before


def test_operators_and_strangers_do_not_get_the_borrower_pages(
    api: TestClient, container: Container, overdue_loan: str
) -> None:
    assert api.get(f"/borrower/loans/{overdue_loan}", follow_redirects=False).headers["location"].startswith("/login")
    sign_in(api, container, "op_uw", Role.UNDERWRITER)
    assert denied(api.get("/borrower/loans", follow_redirects=False))


def test_the_repayment_form_posts_once_when_submitted_twice_with_the_same_key(
    api: TestClient, container: Container, overdue_loan: str, owner: str
) -> None:
    sign_in(api, container, owner, Role.BORROWER)
    form = api.get(f"/borrower/loans/{overdue_loan}").text
    data = {"amount": "1000", "pay_key": field(form, "pay_key"), "csrf_token": csrf(form)}
    before = container.lending.loan_facts(overdue_loan).total_outstanding

    first = api.post(f"/borrower/loans/{overdue_loan}/repay", data=data, follow_redirects=False)
    again = api.post(f"/borrower/loans/{overdue_loan}/repay", data=data, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    assert again.headers["location"] == first.headers["location"]
    assert "?repaid=" in first.headers["location"]
    after = container.lending.loan_facts(overdue_loan).total_outstanding
    assert before - after == Money.of("1000", "CNY")

    shown = api.get(first.headers["location"] + "&lang=en")
    assert "Repayment" in shown.text and "received" in shown.text

    # The same key with another amount is a different payment: refused, nothing posted.
    changed = api.post(f"/borrower/loans/{overdue_loan}/repay", data={**data, "amount": "5"}, follow_redirects=False)
    assert changed.status_code == 409 and container.lending.loan_facts(overdue_loan).total_outstanding == after

    # A freshly drawn form is a new payment.
    fresh = api.get(f"/borrower/loans/{overdue_loan}").text
    assert field(fresh, "pay_key") != data["pay_key"]
    api.post(
        f"/borrower/loans/{overdue_loan}/repay",
        data={"amount": "1000", "pay_key": field(fresh, "pay_key"), "csrf_token": csrf(fresh)},
        follow_redirects=False,
    )
    assert after - container.lending.loan_facts(overdue_loan).total_outstanding == Money.of("1000", "CNY")


def test_a_rejected_repayment_posts_nothing_and_the_same_form_can_be_sent_again(
    api: TestClient, container: Container, overdue_loan: str, owner: str
) -> None:
    sign_in(api, container, owner, Role.BORROWER)
    form = api.get(f"/borrower/loans/{overdue_loan}?lang=zh-CN").text
    data = {"pay_key": field(form, "pay_key"), "csrf_token": csrf(form)}
    before = container.lending.loan_facts(overdue_loan)

    bad = api.post(f"/borrower/loans/{overdue_loan}/repay", data={**data, "amount": "-5"})
    assert bad.status_code == 422 and "还款金额必须大于零" in bad.text
    assert container.lending.loan_facts(overdue_loan) == before
    no_csrf = api.post(
        f"/borrower/loans/{overdue_loan}/repay",
        data={"amount": "10", "pay_key": data["pay_key"]},
        follow_redirects=False,
    )
    assert no_csrf.status_code == 303 and "csrf" in no_csrf.headers["location"]
    assert container.lending.loan_facts(overdue_loan) == before

    fixed = api.post(f"/borrower/loans/{overdue_loan}/repay", data={**data, "amount": "10"}, follow_redirects=False)
    assert fixed.status_code == 303
    assert before.total_outstanding - container.lending.loan_facts(overdue_loan).total_outstanding == Money.of(
        "10", "CNY"
    )


@pytest.mark.parametrize(
    ("amount", "message"),
    [("1.005", "金额不能小于最小货币单位"), ("１０", "请用阿拉伯数字输入金额"), ("1e3", "请用阿拉伯数字输入金额")],
)
def test_a_repayment_form_amount_that_is_not_exact_ascii_money_posts_nothing(
    api: TestClient, container: Container, overdue_loan: str, owner: str, amount: str, message: str
) -> None:
    sign_in(api, container, owner, Role.BORROWER)
    form = api.get(f"/borrower/loans/{overdue_loan}?lang=zh-CN").text
    before = container.lending.loan_facts(overdue_loan)
    data = {"pay_key": field(form, "pay_key"), "csrf_token": csrf(form), "amount": amount}
    refused = api.post(f"/borrower/loans/{overdue_loan}/repay", data=data)
    assert refused.status_code == 422 and message in refused.text
    assert container.lending.loan_facts(overdue_loan) == before
    grouped = api.post(
        f"/borrower/loans/{overdue_loan}/repay", data={**data, "amount": "1,000.00"}, follow_redirects=False
    )
    assert grouped.status_code == 303
    assert before.total_outstanding - container.lending.loan_facts(overdue_loan).total_outstanding == Money.of(
        "1000", "CNY"
    )


@pytest.mark.parametrize("role", [Role.UNDERWRITER, Role.ADMIN])
def test_loan_officers_look_loans_up_in_the_console_in_both_locales(
    api: TestClient, container: Container, overdue_loan: str, owner: str, role: Role
) -> None:
    sign_in(api, container, "op_1", role)
    listing = api.get("/operator/loans?lang=en")
    assert listing.status_code == 200 and overdue_loan in listing.text and "Overdue loans" in listing.text
    assert overdue_loan in api.get(f"/operator/loans?q={owner}").text
    assert overdue_loan not in api.get("/operator/loans?q=brw_b").text
    found = api.get(f"/operator/loans?q={overdue_loan}", follow_redirects=False)
    assert found.headers["location"] == f"/operator/loans/{overdue_loan}"
    page = api.get(f"/operator/loans/{overdue_loan}?lang=zh-CN")
    assert page.status_code == 200 and owner in page.text and "还款计划" in page.text
    assert 'name="pay_key"' not in page.text  # operators look; the borrower pays
    assert api.get("/operator/loans/loan_missing?lang=en").status_code == 404
    home = api.get("/operator?lang=en")
    assert 'href="/operator/loans"' in home.text and 'href="/operator/applications"' in home.text


@pytest.mark.parametrize("role", [Role.BORROWER, Role.COLLECTOR, Role.COMPLIANCE])
def test_the_loan_console_refuses_other_roles(
    api: TestClient, container: Container, overdue_loan: str, role: Role
) -> None:
    sign_in(api, container, "someone", role)
    assert denied(api.get("/operator/loans", follow_redirects=False))
    assert denied(api.get(f"/operator/loans/{overdue_loan}", follow_redirects=False))


def test_admins_read_the_end_of_day_runs_and_nobody_else_does(
    api: TestClient, container: Container, overdue_loan: str
) -> None:
    [run] = container.eod.run()
    assert run.outcome == "done", run.error
    sign_in(api, container, "op_admin", Role.ADMIN)
    english = api.get("/operator/eod?lang=en")
    assert english.status_code == 200 and run.business_date.isoformat() in english.text
    assert "<td>Done</td>" in english.text
    assert "日终批处理记录" in api.get("/operator/eod?lang=zh-CN").text
    assert 'href="/operator/eod"' in api.get("/operator").text
    for role in (Role.UNDERWRITER, Role.COMPLIANCE, Role.BORROWER):
        sign_in(api, container, "someone", role)
        assert denied(api.get("/operator/eod", follow_redirects=False))
    api.cookies.clear()
    assert api.get("/operator/eod", follow_redirects=False).headers["location"] == "/operator/login"


def test_the_new_pages_load_nothing_from_another_site(
    api: TestClient, container: Container, overdue_loan: str, owner: str
) -> None:
    pages = {
        Role.BORROWER: ["/borrower/loans", f"/borrower/loans/{overdue_loan}", f"/borrower/loans/{overdue_loan}/payoff"],
        Role.ADMIN: ["/operator/loans", f"/operator/loans/{overdue_loan}", "/operator/eod", "/operator/compliance"],
    }
    for role, paths in pages.items():
        sign_in(api, container, owner if role is Role.BORROWER else "op_admin", role)
        for path in paths:
            page = api.get(path)
            assert page.status_code == 200, path
            assert not re.search(r'(src|href|action)="(https?:)?//', page.text), path
            assert "default-src 'self'" in page.headers["content-security-policy"]


def test_a_charged_off_debt_can_be_paid_from_its_page_until_nothing_is_owed(
    api: TestClient, container: Container, overdue_loan: str, owner: str
) -> None:
    charged_off = container.lending.charge_off(overdue_loan)
    sign_in(api, container, owner, Role.BORROWER)
    page = api.get(f"/borrower/loans/{overdue_loan}?lang=zh-CN").text
    assert 'data-testid="repay-form"' in page and "仍欠" in page
    assert f"/borrower/loans/{overdue_loan}/payoff" not in page  # no payoff quote for a closed loan
    suggested = re.search(r'name="amount"[^>]*value="([^"]*)"', page)
    assert suggested and Money.of(suggested.group(1), "CNY") == charged_off
    paid = api.post(
        f"/borrower/loans/{overdue_loan}/repay",
        data={"amount": suggested.group(1), "pay_key": field(page, "pay_key"), "csrf_token": csrf(page)},
        follow_redirects=False,
    )
    assert paid.status_code == 303, paid.text
    after = api.get(f"/borrower/loans/{overdue_loan}?lang=en").text
    assert 'data-testid="repay-form"' not in after and 'data-testid="still-owed"' not in after
    assert container.verify() == []


def test_the_loan_page_shows_the_origination_fee_and_what_the_borrower_received(
    api: TestClient, container: Container, owner: str
) -> None:
    fee_product = container.lending.products.define(
        replace(BASE, code="cash-fee", origination_fee_rate=Decimal("0.02"))
    )
    loan_id = container.lending.book_loan(owner, fee_product.code, Money.of("2500", "CNY"))
    sign_in(api, container, owner, Role.BORROWER)
    page = api.get(f"/borrower/loans/{loan_id}?lang=en").text
    shown = re.search(r'data-testid="origination-fee">([^<]+)<', page)
    assert shown and Money.of("50", "CNY").format("en") in shown.group(1)
    assert Money.of("2450", "CNY").format("en") in shown.group(1)
    assert "服务费" in api.get(f"/borrower/loans/{loan_id}?lang=zh-CN").text


def test_the_payoff_quote_has_a_pay_button_that_settles_the_loan_once(
    api: TestClient, container: Container, cash12: Product, owner: str
) -> None:
    loan_id = container.lending.book_loan(owner, cash12.code, Money.of("3000", "CNY"))
    sign_in(api, container, owner, Role.BORROWER)
    page = api.get(f"/borrower/loans/{loan_id}/payoff?lang=en").text
    quote = container.lending.payoff_quote(loan_id)
    assert 'data-testid="payoff-form"' in page and field(page, "amount") == str(quote.total.to_decimal())
    data = {"amount": field(page, "amount"), "pay_key": field(page, "pay_key"), "csrf_token": csrf(page)}
    first = api.post(f"/borrower/loans/{loan_id}/repay", data=data, follow_redirects=False)
    again = api.post(f"/borrower/loans/{loan_id}/repay", data=data, follow_redirects=False)
    assert first.status_code == again.status_code == 303
    facts = container.lending.loan_facts(loan_id)
    assert facts.state.value == "settled" and facts.total_outstanding.minor == 0


def test_paying_an_installment_from_the_schedule_pays_it_and_every_earlier_one_owed(
    api: TestClient, container: Container, overdue_loan: str, owner: str
) -> None:
    sign_in(api, container, owner, Role.BORROWER)
    detail = container.lending.loan_detail(overdue_loan)
    billed = [i for i in detail.schedule if i.status in ("overdue", "due", "billed") and i.outstanding.minor]
    assert len(billed) >= 2  # the fixture has an earlier installment still owed
    second = billed[1]
    page = api.get(f"/borrower/loans/{overdue_loan}?lang=en").text
    form = re.search(rf'data-testid="pay-installment-{second.seq}">(.*?)</form>', page, re.S)
    assert form and f'name="amount" value="{(billed[0].outstanding + second.outstanding).to_decimal()}"' in form.group(
        1
    )
    data = {
        "amount": field(form.group(1), "amount"),
        "pay_key": field(form.group(1), "pay_key"),
        "csrf_token": csrf(page),
    }
    assert api.post(f"/borrower/loans/{overdue_loan}/repay", data=data, follow_redirects=False).status_code == 303
    after = {i.seq: i.status for i in container.lending.loan_detail(overdue_loan).schedule}
    assert after[billed[0].seq] == "paid" and after[second.seq] == "paid"
    # A later, unbilled installment offers no button: paying it would be a prepayment.
    assert 'data-testid="pay-installment-12"' not in api.get(f"/borrower/loans/{overdue_loan}").text


def test_end_of_day_runs_come_a_page_at_a_time_and_each_date_opens_its_steps_in_words(
    api: TestClient, container: Container, overdue_loan: str
) -> None:
    today = container.clock.business_date()
    runs = container.eod.run(through=today + timedelta(days=24))  # 25 dates: more than one page
    assert len(runs) == 25
    sign_in(api, container, "op_admin", Role.ADMIN)
    first = api.get("/operator/eod?lang=en").text
    assert first.count('href="/operator/eod/') == 20 and 'rel="next"' in first and 'rel="prev"' not in first
    newest = runs[-1].business_date.isoformat()
    assert f'href="/operator/eod/{newest}"' in first and "items in" in first
    second = api.get("/operator/eod?page=2&lang=en").text
    assert second.count('href="/operator/eod/') == 5 and 'rel="next"' not in second and 'rel="prev"' in second

    day = api.get(f"/operator/eod/{newest}?lang=zh-CN")
    assert day.status_code == 200 and "利息计提" in day.text and "征信报送文件" in day.text
    assert "bureau_reporting" not in day.text and "days_past_due" not in day.text
    assert api.get("/operator/eod/1999-01-01").status_code == 404
    assert api.get("/operator/eod?page=0").status_code == 422
