"""Importing a loan with the repayments it already received, on SQLite and PostgreSQL.

The reference is the same loan lived through end-of-day: booked on its open
date, every day closed, each payment made on its day. The imported loan must
land exactly where that one stands (the product charges no penalty and no
late fee, which an import does not reconstruct).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.errors import Invalid
from fairlend.ledger.model import AccountKey, AccountType
from fairlend.ledger.tables import ledger_entry
from fairlend.lending.model import DayCount, InterestRecalculation, LoanState, Product
from fairlend.lending.tables import loan_repayment
from fairlend.lending.views import LoanDetail, PastRepayment
from fairlend.money import Money
from tests.lending.conftest import product
from tests.lending.helpers import balance, cny, eod_through, events

OPENED = date(2025, 9, 2)
TODAY = date(2026, 3, 2)  # the clock fixture's business date
# Due dates: the 2nd of each month from 2025-10-02.
PAYMENTS = [
    (date(2025, 10, 2), cny("916.80")),  # the first installment, on its due date
    (date(2025, 11, 10), cny("500")),  # part of the second, 8 days late
    (date(2025, 11, 20), cny("416.80")),  # the rest of it: current again
    (date(2025, 12, 2), cny("3916.80")),  # the third and a prepayment of 3,000: the term shortens
    (date(2026, 1, 2), cny("916.80")),  # the fourth
    # nothing on 2026-02-02: 28 days past due on the business date
]


@pytest.fixture
def plain(container: Container) -> Product:
    return container.lending.products.define(product(code="plain-12", penalty_rate=Decimal("0"), late_fee=0))


def _comparable(d: LoanDetail) -> dict[str, Any]:
    f = d.facts
    return {
        "state": f.state,
        "outstanding_principal": f.outstanding_principal,
        "total_outstanding": f.total_outstanding,
        "overdue_amount": f.overdue_amount,
        "dpd": f.days_past_due,
        "bucket": f.bucket,
        "settled_on": f.settled_on,
        "next_due": (f.next_due_date, f.next_due_amount),
        "installment": d.installment,
        "maturity_date": d.maturity_date,
        "accrued_interest": d.accrued_interest,
        "interest_due": d.interest_due,
        "penalty_fees": (d.penalty_due, d.fees_due),
        "first_delinquency_date": d.first_delinquency_date,
        "schedule": d.schedule,
    }


def _lived(container: Container, clock: FixedClock, payments: list[tuple[date, Money]], code: str = "plain-12") -> str:
    """The reference loan: booked on OPENED, every business date closed, each payment on its day."""
    clock.set_business_date(OPENED)
    loan_id = container.lending.book_loan("brw_live", code, cny("10000"))
    for on, amount in payments:
        if on > clock.business_date():
            eod_through(container, clock, on - timedelta(days=1))
        container.lending.repay(loan_id, amount, reference="live")
    eod_through(container, clock, TODAY - timedelta(days=1))
    assert clock.business_date() == TODAY
    return loan_id


def _ledger(container: Container) -> dict[AccountKey, int]:
    return {b.key: b.balance.minor for b in container.ledger.balances()}


def test_an_imported_loan_lands_where_the_same_loan_lived_through_end_of_day_stands(
    container: Container, clock: FixedClock, plain: Product
) -> None:
    lived = _lived(container, clock, PAYMENTS)
    before = _ledger(container)
    principal_then = {d: balance_as_of(container, AccountType.LOAN_PRINCIPAL, d) for d, _ in PAYMENTS}

    imported = container.lending.book_loan(
        "brw_imported",
        "plain-12",
        cny("10000"),
        open_date=OPENED,
        repayments=[PastRepayment(on, amount) for on, amount in reversed(PAYMENTS)],  # any order: applied by date
    )

    expected, got = (
        _comparable(container.lending.loan_detail(lived)),
        _comparable(container.lending.loan_detail(imported)),
    )
    assert got == expected
    assert (got["dpd"], got["bucket"], got["first_delinquency_date"]) == (28, "M1", date(2026, 2, 3))
    assert [i.status for i in got["schedule"]][:6] == ["paid"] * 4 + ["overdue", "due"]
    # Every account moved by exactly as much again: the import earned, received and lent what the loan did.
    assert _ledger(container) == {key: 2 * minor for key, minor in before.items()}
    # Principal moved on the payments' own dates: as of each, twice the lived loan's.
    for on, _ in PAYMENTS:
        assert balance_as_of(container, AccountType.LOAN_PRINCIPAL, on) == 2 * principal_then[on]
    assert container.verify() == []


@pytest.mark.parametrize("mode", [InterestRecalculation.DAILY, InterestRecalculation.COMPOUNDING])
def test_an_imported_recalculated_loan_charges_the_late_days_interest_its_lived_twin_did(
    container: Container, clock: FixedClock, mode: InterestRecalculation
) -> None:
    code = f"recalc-{mode.value}"
    container.lending.products.define(
        product(
            code=code,
            penalty_rate=Decimal("0"),
            late_fee=0,
            day_count=DayCount.ACT_365,
            interest_recalculation=mode,
        )
    )
    lived = _lived(container, clock, PAYMENTS, code)
    before = _ledger(container)
    imported = container.lending.book_loan(
        "brw_imported", code, cny("10000"), open_date=OPENED, repayments=[PastRepayment(d, a) for d, a in PAYMENTS]
    )
    expected = _comparable(container.lending.loan_detail(lived))
    assert _comparable(container.lending.loan_detail(imported)) == expected
    # The second installment was paid 8 and 18 days late: the third billed more than its scheduled interest.
    third = expected["schedule"][2]
    assert (
        third.interest.minor > container.lending.quote(code, cny("10000"), open_date=OPENED).schedule.lines[2].interest
    )
    assert _ledger(container) == {key: 2 * minor for key, minor in before.items()}
    assert container.verify() == []


def balance_as_of(container: Container, account: AccountType, on: date) -> int:
    return container.ledger.balance(AccountKey(account, "CNY"), as_of=on).minor


def test_past_repayments_are_rows_entries_and_events_dated_on_their_business_dates(
    container: Container, plain: Product
) -> None:
    loan_id = container.lending.book_loan(
        "brw_a",
        "plain-12",
        cny("10000"),
        open_date=OPENED,
        repayments=[PastRepayment(on, amount, f"old-{n}") for n, (on, amount) in enumerate(PAYMENTS)],
    )
    with container.uow(read_only=True) as uow:
        rows = uow.conn.execute(
            select(loan_repayment.c.id, loan_repayment.c.business_date, loan_repayment.c.reference)
            .where(loan_repayment.c.loan_id == loan_id)
            .order_by(loan_repayment.c.business_date)
        ).all()
        ids = [r.id for r in rows]
        entries = uow.conn.execute(
            select(ledger_entry.c.kind, ledger_entry.c.business_date)
            .where(ledger_entry.c.reference.in_([loan_id, *ids]))
            .order_by(ledger_entry.c.business_date, ledger_entry.c.kind)
        ).all()
    assert [(r.business_date, r.reference) for r in rows] == [(on, f"old-{n}") for n, (on, _) in enumerate(PAYMENTS)]
    assert entries[0] == ("loan_disbursement", OPENED)
    assert [e.business_date for e in entries if e.kind == "loan_repayment"] == [on for on, _ in PAYMENTS]
    # The interest earned up to each payment is recognised on its date, before it; the rest today.
    assert [e.business_date for e in entries if e.kind == "loan_import_interest"] == [
        *(on for on, _ in PAYMENTS if on > OPENED),
        TODAY,
    ]
    posted = [e for e in events(container, "lending.RepaymentPosted") if e["loan_id"] == loan_id]
    assert [e["business_date"] for e in posted] == [on.isoformat() for on, _ in PAYMENTS]
    (disbursed,) = events(container, "lending.LoanDisbursed")
    assert disbursed["business_date"] == OPENED.isoformat()
    changed = events(container, "lending.LoanDelinquencyChanged")
    assert [(e["bucket"], e["business_date"]) for e in changed] == [
        ("M1", "2025-11-09"),  # late on the day before the partial payment
        ("current", "2025-11-20"),  # cured by the rest of it
        ("M1", "2026-03-01"),  # late again as of the business date
    ]
    assert container.verify() == []


def test_an_import_whose_repayments_paid_everything_lands_settled(container: Container, plain: Product) -> None:
    quote = container.lending.quote("plain-12", cny("3000"), term=3, open_date=date(2025, 11, 2))
    totals = [line.total for line in quote.schedule.lines]
    loan_id = container.lending.book_loan(
        "brw_a",
        "plain-12",
        cny("3000"),
        term=3,
        open_date=date(2025, 11, 2),
        repayments=[
            PastRepayment(date(2025, 12, 2), Money(totals[0], "CNY")),
            PastRepayment(date(2026, 1, 2), Money(totals[1], "CNY")),
            PastRepayment(date(2026, 2, 5), Money(totals[2], "CNY")),
        ],
    )
    facts = container.lending.loan_facts(loan_id)
    assert (facts.state, facts.settled_on, facts.total_outstanding) == (LoanState.SETTLED, date(2026, 2, 5), cny("0"))
    (settled,) = events(container, "lending.LoanSettled")
    assert settled["settled_on"] == "2026-02-05" and settled["was_overdue"] is True  # 3 days late
    for account in (AccountType.LOAN_PRINCIPAL, AccountType.INTEREST_RECEIVABLE, AccountType.ACCRUED_INTEREST):
        assert balance(container, account) == 0
    assert container.verify() == []


@pytest.mark.parametrize(
    ("repayment", "code"),
    [
        (PastRepayment(date(2025, 9, 1), cny("100")), "past_repayment_before_open"),
        (PastRepayment(TODAY + timedelta(days=1), cny("100")), "past_repayment_after_today"),
        (PastRepayment(date(2025, 10, 2), cny("0")), "past_repayment_not_positive"),
        (PastRepayment(date(2025, 10, 2), cny("-5")), "past_repayment_not_positive"),
        (PastRepayment(date(2025, 10, 2), Money.of("100", "USD")), "currency_mismatch"),
    ],
)
def test_a_past_repayment_outside_the_loans_life_or_not_positive_is_refused_and_nothing_is_written(
    container: Container, plain: Product, repayment: PastRepayment, code: str
) -> None:
    with pytest.raises(Invalid) as refused:
        container.lending.book_loan(
            "brw_a",
            "plain-12",
            cny("10000"),
            open_date=OPENED,
            repayments=[PastRepayment(date(2025, 10, 2), cny("916.80")), repayment],
        )
    assert refused.value.code == code and str(repayment.on) in refused.value.detail
    _nothing_written(container)


def test_a_repayment_after_the_import_settled_the_loan_is_refused_and_nothing_is_written(
    container: Container, plain: Product
) -> None:
    payoff = [PastRepayment(date(2025, 9, 10), cny("20000")), PastRepayment(date(2025, 10, 2), cny("10"))]
    with pytest.raises(Invalid) as refused:
        container.lending.book_loan("brw_a", "plain-12", cny("10000"), open_date=OPENED, repayments=payoff)
    assert refused.value.code == "past_repayment_after_settlement"
    assert "2025-10-02" in refused.value.detail and "2025-09-10" in refused.value.detail
    _nothing_written(container)


def test_a_past_repayment_the_product_refuses_names_its_date_and_nothing_is_written(
    container: Container, plain: Product
) -> None:
    container.lending.products.define(product(code="strict-12", prepayment_allowed=False))
    with pytest.raises(Invalid) as refused:
        container.lending.book_loan(
            "brw_a",
            "strict-12",
            cny("10000"),
            open_date=OPENED,
            repayments=[PastRepayment(date(2025, 10, 2), cny("2000"))],
        )
    assert refused.value.code == "prepayment_not_allowed" and "2025-10-02" in refused.value.detail
    _nothing_written(container)


def test_an_import_without_repayments_ages_the_loan_and_records_the_bucket_it_lands_in(
    container: Container, plain: Product
) -> None:
    loan_id = container.lending.book_loan("brw_a", "plain-12", cny("10000"), open_date=date(2026, 1, 2))
    facts = container.lending.loan_facts(loan_id)
    assert (facts.days_past_due, facts.bucket) == (28, "M1")
    (changed,) = events(container, "lending.LoanDelinquencyChanged")
    assert (changed["previous_bucket"], changed["bucket"], changed["business_date"]) == ("current", "M1", "2026-03-01")
    assert container.verify() == []


def _nothing_written(container: Container) -> None:
    assert container.lending.loans_of_borrower("brw_a") == []
    assert _ledger(container) == {}
    assert events(container, "lending.LoanDisbursed") == []
