"""Booking, repayments, payoff, settlement, charge-off and the queries, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.db.uow import UnitOfWork
from fairlend.errors import Conflict, Invalid, NotFound, PolicyViolation
from fairlend.events import DomainEvent
from fairlend.ledger.model import AccountType
from fairlend.lending.model import LoanState, Method, PrepaymentEffect, Product
from tests.lending.conftest import BASE, product
from tests.lending.helpers import balance, cny, eod_through, events


def test_booking_disburses_through_the_ledger_and_announces_the_loan(container: Container, cash12: Product) -> None:
    fee_product = container.lending.products.define(product(code="fee-12", origination_fee_rate=Decimal("0.01")))
    loan_id = container.lending.book_loan("brw_a", fee_product.code, cny("10000"))
    facts = container.lending.loan_facts(loan_id)
    assert facts.state is LoanState.ACTIVE
    assert facts.outstanding_principal == cny("10000")
    assert facts.next_due_date == date(2026, 4, 2)
    assert balance(container, AccountType.LOAN_PRINCIPAL) == 1_000_000
    assert balance(container, AccountType.PLATFORM_CASH) == -990_000  # the 1 % fee was deducted
    assert balance(container, AccountType.FEE_INCOME) == -10_000
    (disbursed,) = events(container, "lending.LoanDisbursed")
    assert disbursed["loan_id"] == loan_id and disbursed["borrower_id"] == "brw_a"
    assert disbursed["installment"] == {"minor": 91_680, "currency": "CNY"}
    assert Decimal(disbursed["apr"]) > Decimal("0.18")
    assert disbursed["maturity_date"] == "2027-03-02"
    assert container.verify() == []


def test_a_product_stored_again_gets_a_new_version_and_old_loans_keep_theirs(
    container: Container, cash12: Product
) -> None:
    loan_id = container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    v2 = container.lending.products.define(product(rate=Decimal("0.12")))
    assert (cash12.version, v2.version) == (1, 2)
    assert container.lending.products.get("cash-12").rate == Decimal("0.12")
    assert container.lending.products.get("cash-12", 1).rate == Decimal("0.18")
    detail = container.lending.loan_detail(loan_id)
    assert (detail.product_version, detail.rate) == (1, Decimal("0.18"))


@pytest.mark.backends("postgresql")  # SQLite's one writer at a time cannot interleave two definitions
def test_two_definitions_of_one_product_at_once_both_store_a_version(container: Container, settings: Settings) -> None:
    # Another process defines the same code between this definition's read of the latest version and its
    # insert (two admins, or two first applications that each find the product missing).
    other = bootstrap(settings, clock=container.clock)
    interleaved: list[int] = []

    def define_elsewhere_first(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("INSERT INTO loan_product") and not interleaved:
            interleaved.append(other.lending.products.define(BASE).version)

    sa.event.listen(container.engine, "before_cursor_execute", define_elsewhere_first)
    try:
        stored = container.lending.products.define(product(rate=Decimal("0.12")))
    finally:
        sa.event.remove(container.engine, "before_cursor_execute", define_elsewhere_first)
        other.close()
    assert interleaved == [1]
    assert stored.version == 2
    assert container.lending.products.get("cash-12").rate == Decimal("0.12")
    assert container.lending.products.get("cash-12", 1).rate == BASE.rate


def test_a_loan_priced_above_the_cap_is_refused_and_nothing_is_written(container: Container, cash12: Product) -> None:
    with pytest.raises(PolicyViolation) as refused:
        container.lending.book_loan("brw_a", "cash-12", cny("10000"), rate=Decimal("0.30"))
    assert "CN-21" in refused.value.detail
    assert container.lending.loans_of_borrower("brw_a") == []
    assert balance(container, AccountType.LOAN_PRINCIPAL) == 0
    with pytest.raises(PolicyViolation):
        container.lending.products.define(product(code="greedy", penalty_rate=Decimal("0.50")))


def test_a_partial_repayment_pays_the_waterfall_and_posts_every_part(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    loan_id = container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    eod_through(container, clock, date(2026, 4, 10))
    facts = container.lending.loan_facts(loan_id)
    assert facts.days_past_due == 9 and facts.bucket == "M1"
    result = container.lending.repay(loan_id, cny("500"))
    # Penalty (8 days at 18 %/360 on 766.80, 0.38 a day), the 50.00 late fee, 150.00 interest, then principal.
    assert result.penalty_paid == cny("3.04")
    assert result.fees_paid == cny("50")
    assert result.interest_paid == cny("150")
    assert result.principal_paid == cny("296.96")
    assert result.days_past_due == 9
    assert balance(container, AccountType.PENALTY_RECEIVABLE) == 0
    assert balance(container, AccountType.FEE_RECEIVABLE) == 0
    assert balance(container, AccountType.INTEREST_RECEIVABLE) == 0
    (posted,) = events(container, "lending.RepaymentPosted")
    assert posted["principal_paid"]["minor"] == 29_696 and posted["outstanding_principal"]["minor"] == 970_304
    assert container.verify() == []


def test_paying_the_overdue_amount_cures_the_loan_and_records_the_transition(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    loan_id = container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    eod_through(container, clock, date(2026, 4, 10))
    overdue = container.lending.loan_facts(loan_id).overdue_amount
    assert container.lending.delinquent_loans()[0].loan_id == loan_id
    result = container.lending.repay(loan_id, overdue)
    assert result.days_past_due == 0
    facts = container.lending.loan_facts(loan_id)
    assert (facts.bucket, facts.overdue_amount.minor, facts.days_past_due) == ("current", 0, 0)
    assert container.lending.delinquent_loans() == []
    changes = events(container, "lending.LoanDelinquencyChanged")
    assert [(c["previous_bucket"], c["bucket"]) for c in changes] == [("current", "M1"), ("M1", "current")]
    assert changes[0]["first_delinquency_date"] == "2026-04-03"
    assert container.verify() == []


def test_an_over_payment_prepays_and_shortens_the_term(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    loan_id = container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    eod_through(container, clock, date(2026, 4, 1))
    result = container.lending.repay(loan_id, cny("5000"))
    assert result.interest_paid == cny("150") and result.principal_paid == cny("4850")
    detail = container.lending.loan_detail(loan_id)
    open_lines = [line for line in detail.schedule if line.status != "paid"]
    assert len(open_lines) < 11  # shorter than the 11 left before
    assert all(line.principal.minor + line.interest.minor == 91_680 for line in open_lines[:-1])
    assert sum(line.principal.minor for line in open_lines) == result.outstanding_principal.minor
    assert container.verify() == []


def test_an_over_payment_on_a_lower_installment_product_keeps_the_due_dates(
    container: Container, clock: FixedClock
) -> None:
    container.lending.products.define(product(code="lower", prepayment_effect=PrepaymentEffect.LOWER_INSTALLMENT))
    loan_id = container.lending.book_loan("brw_a", "lower", cny("10000"))
    eod_through(container, clock, date(2026, 4, 1))
    container.lending.repay(loan_id, cny("5000"))
    detail = container.lending.loan_detail(loan_id)
    open_lines = [line for line in detail.schedule if line.status != "paid"]
    assert len(open_lines) == 11
    assert open_lines[-1].due_date == date(2027, 3, 2)
    assert detail.installment < cny("916.80")
    assert container.verify() == []


def test_a_product_without_prepayment_refuses_an_over_payment(container: Container, clock: FixedClock) -> None:
    container.lending.products.define(product(code="fixed", prepayment_allowed=False))
    loan_id = container.lending.book_loan("brw_a", "fixed", cny("10000"))
    eod_through(container, clock, date(2026, 4, 1))
    with pytest.raises(Invalid) as refused:
        container.lending.repay(loan_id, cny("1000"))
    assert refused.value.code == "prepayment_not_allowed"
    assert container.lending.loan_facts(loan_id).total_outstanding == cny("10150")
    assert events(container, "lending.RepaymentPosted") == []


def test_early_settlement_pays_the_payoff_and_settles_in_the_same_transaction(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    seen: list[str] = []

    def collections_halt(uow: UnitOfWork, event: DomainEvent) -> None:
        # An in-transaction subscriber sees the loan settled inside the same transaction.
        row = uow.conn.exec_driver_sql("SELECT state FROM loan").scalar()
        seen.append(f"{event.aggregate_id}:{row}")

    container.bus.subscribe("lending.LoanSettled", collections_halt)
    loan_id = container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    eod_through(container, clock, date(2026, 3, 16))
    quote = container.lending.payoff_quote(loan_id)
    # Interest accrues evenly over the period's actual days: 15 of the 31 from March 2 to April 2.
    assert quote.interest.minor == 15_000 * 15 // 31
    later = container.lending.payoff_quote(loan_id, date(2026, 3, 22))
    assert later.interest.minor == 15_000 * 20 // 31
    result = container.lending.settle_early(loan_id)
    assert result.state is LoanState.SETTLED and result.amount == quote.total
    assert seen == [f"{loan_id}:settled"]
    facts = container.lending.loan_facts(loan_id)
    assert (facts.state, facts.settled_on, facts.total_outstanding.minor) == (LoanState.SETTLED, date(2026, 3, 17), 0)
    (settled,) = events(container, "lending.LoanSettled")
    assert settled == {
        "loan_id": loan_id,
        "borrower_id": "brw_a",
        "settled_on": "2026-03-17",
        "was_overdue": False,
        "business_date": "2026-03-17",
        "after_charge_off": False,
    }
    with pytest.raises(Conflict):
        container.lending.repay(loan_id, cny("1"))
    assert container.verify() == []


def test_a_failing_in_transaction_subscriber_rolls_the_settlement_back(container: Container, cash12: Product) -> None:
    def refuse(uow: UnitOfWork, event: DomainEvent) -> None:
        raise RuntimeError("collections could not cancel its tasks")

    container.bus.subscribe("lending.LoanSettled", refuse)
    loan_id = container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    with pytest.raises(RuntimeError):
        container.lending.settle_early(loan_id)
    assert container.lending.loan_facts(loan_id).state is LoanState.ACTIVE
    assert balance(container, AccountType.LOAN_PRINCIPAL) == 1_000_000
    assert events(container, "lending.RepaymentPosted") == []


def test_paying_more_than_the_payoff_settles_and_holds_the_rest_for_the_borrower(
    container: Container, cash12: Product
) -> None:
    loan_id = container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    result = container.lending.repay(loan_id, cny("10001"))
    assert result.state is LoanState.SETTLED
    assert result.refunded == cny("1")
    assert balance(container, AccountType.BORROWER_CREDIT, "brw_a") == -100
    assert container.verify() == []


def test_charge_off_and_write_off_move_the_receivables_to_credit_loss(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    loan_id = container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    eod_through(container, clock, date(2026, 4, 20))
    owed = container.lending.loan_facts(loan_id).total_outstanding
    assert container.lending.charge_off(loan_id) == owed
    assert balance(container, AccountType.CREDIT_LOSS) == owed.minor
    for account in (AccountType.LOAN_PRINCIPAL, AccountType.INTEREST_RECEIVABLE, AccountType.PENALTY_RECEIVABLE):
        assert balance(container, account) == 0
    assert container.lending.write_off(loan_id) == owed
    assert container.lending.loan_facts(loan_id).state is LoanState.WRITTEN_OFF
    assert [e["amount"]["minor"] for e in events(container, "lending.LoanChargedOff")] == [owed.minor]
    assert [e["amount"]["minor"] for e in events(container, "lending.LoanWrittenOff")] == [owed.minor]
    with pytest.raises(Conflict):
        container.lending.charge_off(loan_id)
    assert container.verify() == []


def test_an_imported_loan_bills_its_past_installments_at_once(container: Container, cash12: Product) -> None:
    loan_id = container.lending.book_loan("brw_a", "cash-12", cny("10000"), open_date=date(2026, 1, 2))
    facts = container.lending.loan_facts(loan_id)
    assert facts.next_due_date == date(2026, 2, 2)
    assert facts.total_outstanding == cny("10000") + cny("150") + cny("138.50")  # two billed interests
    assert balance(container, AccountType.INTEREST_RECEIVABLE) == 15_000 + 13_850
    assert container.verify() == []


def test_queries_answer_for_borrowers_and_refuse_unknown_loans(container: Container, cash12: Product) -> None:
    first = container.lending.book_loan("brw_a", "cash-12", cny("10000"))
    second = container.lending.book_loan("brw_a", "cash-12", cny("2000"), term=6)
    container.lending.book_loan("brw_b", "cash-12", cny("3000"))
    assert {f.loan_id for f in container.lending.loans_of_borrower("brw_a")} == {first, second}
    with pytest.raises(NotFound):
        container.lending.loan_facts("loan_nope")
    with pytest.raises(Invalid):
        container.lending.repay(first, cny("0"))


def test_every_method_books_and_settles_cleanly(container: Container, clock: FixedClock) -> None:
    ids = []
    for method in Method:
        container.lending.products.define(product(code=f"m-{method.value[:10]}", method=method, term=3))
        ids.append(container.lending.book_loan("brw_a", f"m-{method.value[:10]}", cny("3000")))
    eod_through(container, clock, date(2026, 4, 1))
    for loan_id in ids:
        quote = container.lending.payoff_quote(loan_id)
        assert container.lending.repay(loan_id, quote.total).state is LoanState.SETTLED
    assert container.verify() == []


def test_base_product_is_the_glossary_loan() -> None:
    assert BASE.rate == Decimal("0.18") and BASE.term == 12


def test_booking_inside_a_callers_transaction_commits_or_rolls_back_with_it(
    container: Container, cash12: Product
) -> None:
    with container.uow() as uow:
        dropped = container.lending.book_loan_in(uow, "brw_a", "cash-12", cny("10000"), fee=cny("100"))
        uow.rollback()
    with pytest.raises(NotFound):
        container.lending.loan_facts(dropped)
    assert balance(container, AccountType.LOAN_PRINCIPAL) == 0
    with container.uow() as uow:
        kept = container.lending.book_loan_in(uow, "brw_a", "cash-12", cny("10000"), fee=cny("100"))
        uow.commit()
    assert container.lending.loan_facts(kept).outstanding_principal == cny("10000")
    assert balance(container, AccountType.FEE_INCOME) == -10_000  # the agreed fee, deducted from the proceeds
    assert container.lending.quote("cash-12", cny("10000"), fee=cny("100")).schedule.apr > Decimal("0.18")
    assert container.verify() == []


def test_notes_cannot_fund_a_product_whose_fee_is_financed_and_nothing_is_written(container: Container) -> None:
    from fairlend.ledger.model import AccountKey, credit
    from fairlend.lending.model import FeeTreatment

    financed = container.lending.products.define(
        product(
            code="fee-financed", origination_fee_rate=Decimal("0.02"), origination_fee_treatment=FeeTreatment.FINANCED
        )
    )
    paid = [credit(AccountKey(AccountType.CUSTODY_CASH, "CNY"), cny(980))]
    with container.uow() as uow, pytest.raises(Invalid) as refused:
        container.lending.book_loan_in(uow, "brw_1", financed.code, cny(1_000), fee=cny(20), funding=paid)
    assert refused.value.code == "funding_needs_deducted_fee"
    assert container.lending.loans_of_borrower("brw_1") == []
