"""A loan's payments on the borrower's loan page and the collector's account, in both languages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from fairlend.bootstrap import Container
from fairlend.identity.model import Role
from fairlend.money import Money
from tests.identity.helpers import verified_borrower
from tests.lending.conftest import BASE
from tests.web.helpers import sign_in

WORDS = {
    "en": ("Payments", "Repayment", "No payments yet.", "Paid on"),
    "zh-CN": ("还款记录", "还款", "暂无还款。", "还款日"),
}


@pytest.fixture
def paid_loan(container: Container) -> tuple[str, str, str]:
    """(borrower, loan, repayment id): a loan opened 75 days ago, one 123.45 payment on it today."""
    container.lending.products.define(BASE)
    who, _, _ = verified_borrower(container)
    today = container.clock.business_date()
    loan_id = container.lending.book_loan(
        who.subject_id, BASE.code, Money.of("10000", "CNY"), open_date=today - timedelta(days=75)
    )
    paid = container.lending.repay(loan_id, Money.of("123.45", "CNY"))
    return who.subject_id, loan_id, paid.repayment_id


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_borrowers_loan_page_lists_each_payment_with_its_day_amount_and_kind(
    api: TestClient, container: Container, paid_loan: tuple[str, str, str], lang: str
) -> None:
    owner, loan_id, _ = paid_loan
    sign_in(api, container, owner, Role.BORROWER)
    page = api.get(f"/borrower/loans/{loan_id}?lang={lang}")
    assert page.status_code == 200
    section = page.text.split('data-testid="payments"', 1)[1].split("</section>", 1)[0]
    heading, kind, none, paid_on = WORDS[lang]
    assert heading in section and paid_on in section and kind in section and none not in section
    day = container.clock.business_date().isoformat()
    assert day in section and Money.of("123.45", "CNY").format("zh_CN" if lang == "zh-CN" else "en") in section
    assert "repayment<" not in section  # the kind is words, not the code


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_the_collectors_account_shows_the_loans_payments(
    api: TestClient, container: Container, paid_loan: tuple[str, str, str], lang: str
) -> None:
    _, loan_id, _ = paid_loan
    sign_in(api, container, "op_col", Role.COLLECTOR)
    page = api.get(f"/operator/collections/loans/{loan_id}?lang={lang}")
    assert page.status_code == 200
    section = page.text.split('data-testid="payments"', 1)[1].split("</section>", 1)[0]
    assert WORDS[lang][0] in section and container.clock.business_date().isoformat() in section
    assert "123.45" in section


def test_a_loan_never_paid_says_so(api: TestClient, container: Container) -> None:
    container.lending.products.define(BASE)
    who, _, _ = verified_borrower(container)
    loan_id = container.lending.book_loan(who.subject_id, BASE.code, Money.of("10000", "CNY"))
    sign_in(api, container, who.subject_id, Role.BORROWER)
    page = api.get(f"/borrower/loans/{loan_id}?lang=zh-CN")
    assert "暂无还款。" in page.text.split('data-testid="payments"', 1)[1]
