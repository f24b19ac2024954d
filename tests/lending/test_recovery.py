"""Money received after a charge-off or write-off is a recovery, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.errors import Conflict, Invalid
from fairlend.ledger.model import AccountKey, AccountType, credit, debit, entry
from fairlend.lending.model import LoanState, Product, RepaymentKind
from fairlend.lending.tables import loan_repayment
from fairlend.money import Money
from tests.lending.helpers import balance, cny, eod_through, events


def _charged_off(container: Container, clock: FixedClock) -> tuple[str, Money]:
    loan_id = container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    eod_through(container, clock, date(2026, 4, 20))  # the first installment is 19 days late
    return loan_id, container.lending.charge_off(loan_id)


def test_money_received_after_charge_off_is_recovery_income_and_the_loan_stays_charged_off(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    loan_id, owed = _charged_off(container, clock)
    cash_before = balance(container, AccountType.PLATFORM_CASH)
    dpd = container.lending.loan_facts(loan_id).days_past_due

    result = container.lending.repay(loan_id, cny("1000"), reference="agency-1")

    assert (result.kind, result.state) == (RepaymentKind.RECOVERY, LoanState.CHARGED_OFF)
    assert result.outstanding_principal == owed - cny("1000")  # what is still owed of the charge-off
    assert result.principal_paid.is_zero and result.refunded.is_zero
    assert balance(container, AccountType.PLATFORM_CASH) == cash_before + 100_000
    assert balance(container, AccountType.RECOVERY_INCOME) == -100_000
    assert balance(container, AccountType.CREDIT_LOSS) == owed.minor  # the loss stays booked; income offsets it
    for receivable in (AccountType.LOAN_PRINCIPAL, AccountType.INTEREST_RECEIVABLE, AccountType.PENALTY_RECEIVABLE):
        assert balance(container, receivable) == 0
    detail = container.lending.loan_detail(loan_id)
    assert detail.facts.state is LoanState.CHARGED_OFF and detail.facts.settled_on is None
    assert (detail.charged_off, detail.recovered) == (owed, cny("1000"))
    with container.uow(read_only=True) as uow:
        row = uow.conn.execute(select(loan_repayment).where(loan_repayment.c.id == result.repayment_id)).one()
    assert (row.kind, row.amount, row.principal, row.refunded, row.reference) == ("recovery", 100_000, 0, 0, "agency-1")
    posted = events(container, "lending.RepaymentPosted")[-1]
    assert posted["kind"] == "recovery" and posted["repayment_id"] == result.repayment_id
    assert posted["outstanding_principal"]["minor"] == owed.minor - 100_000
    assert posted["days_past_due"] == dpd > 0
    assert events(container, "lending.LoanSettled") == []
    assert container.verify() == []


def test_the_recovery_that_pays_the_last_of_the_debt_settles_it_and_the_rest_is_the_borrowers_credit(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    loan_id, owed = _charged_off(container, clock)
    container.lending.repay(loan_id, owed - cny("100"))
    last = container.lending.repay(loan_id, cny("105"))

    assert last.refunded == cny("5") and last.outstanding_principal.is_zero and last.days_past_due == 0
    assert balance(container, AccountType.RECOVERY_INCOME) == -owed.minor
    assert balance(container, AccountType.BORROWER_CREDIT, "brw_a") == -500
    facts = container.lending.loan_facts(loan_id)
    assert facts.state is LoanState.CHARGED_OFF and facts.settled_on == clock.business_date()
    assert (facts.days_past_due, facts.bucket, facts.overdue_amount) == (0, "current", cny("0"))
    (settled,) = events(container, "lending.LoanSettled")
    assert settled["after_charge_off"] is True and settled["settled_on"] == clock.business_date().isoformat()
    assert events(container, "lending.LoanDelinquencyChanged")[-1]["bucket"] == "current"
    assert container.lending.loan_detail(loan_id).recovered == owed

    with pytest.raises(Conflict) as nothing:
        container.lending.repay(loan_id, cny("1"))
    assert nothing.value.code == "nothing_owed"
    with pytest.raises(Conflict) as given_up:
        container.lending.write_off(loan_id)
    assert given_up.value.code == "nothing_owed"
    assert container.verify() == []


def test_a_written_off_loan_gives_up_only_what_was_not_recovered_and_still_takes_recoveries(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    loan_id, owed = _charged_off(container, clock)
    container.lending.repay(loan_id, cny("2000"))
    assert container.lending.write_off(loan_id) == owed - cny("2000")
    assert [e["amount"]["minor"] for e in events(container, "lending.LoanWrittenOff")] == [owed.minor - 200_000]

    result = container.lending.repay(loan_id, cny("500"))
    assert (result.kind, result.state) == (RepaymentKind.RECOVERY, LoanState.WRITTEN_OFF)
    assert result.outstanding_principal == owed - cny("2500")
    assert balance(container, AccountType.RECOVERY_INCOME) == -250_000
    assert container.verify() == []


def test_a_recovery_in_another_currency_is_refused_and_nothing_is_written(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    loan_id, _ = _charged_off(container, clock)
    with pytest.raises(Invalid) as refused:
        container.lending.repay(loan_id, Money.of("10", "USD"))
    assert refused.value.code == "currency_mismatch"
    assert balance(container, AccountType.RECOVERY_INCOME) == 0
    assert container.lending.loan_detail(loan_id).recovered.is_zero
    with pytest.raises(Conflict):
        container.lending.settle_early(loan_id)  # a charged-off loan has no payoff


def test_verify_finds_recovery_income_the_loans_did_not_recover(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    loan_id, _ = _charged_off(container, clock)
    container.lending.repay(loan_id, cny("10"))
    with container.uow() as uow:
        container.ledger.post(
            uow,
            entry(
                clock.business_date(),
                "stray",
                debit(AccountKey(AccountType.PLATFORM_CASH, "CNY"), cny("1")),
                credit(AccountKey(AccountType.RECOVERY_INCOME, "CNY"), cny("1")),
            ),
        )
        uow.commit()
    (found,) = container.verify()
    assert found.check == "lending_recovery_income"
    assert found.detail == "ledger says 1100, the loans recovered 1000"


def test_a_borrower_s_loan_details_read_together_equal_each_read_alone(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    # GET /borrowers/{id}/loans reads them in one transaction: a charged-off loan with a recovery,
    # a paid-down one, an untouched one, and nothing of another borrower's.
    charged, _ = _charged_off(container, clock)
    container.lending.repay(charged, cny("300"))
    paid = container.lending.book_loan("brw_a", "cash-12", cny("2000"), term=6)
    container.lending.repay(paid, cny("500"))
    container.lending.book_loan("brw_a", "cash-12", cny("3000"))
    container.lending.book_loan("brw_b", "cash-12", cny("4000"))
    together = container.lending.loan_details_of_borrower("brw_a")
    alone = [container.lending.loan_detail(f.loan_id) for f in container.lending.loans_of_borrower("brw_a")]
    assert together == alone and len(together) == 3
    assert together[0].recovered == cny("300")
    assert container.lending.loan_details_of_borrower("brw_nobody") == []
