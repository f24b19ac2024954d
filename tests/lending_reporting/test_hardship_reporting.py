"""A modified loan at the bureau across its plan's life (issue #15), on the real lending, hardship and bureau:
the request changes nothing reported, the plan's start puts the profile's code on the account, a kept plan
reports no new delinquency (cn: the held status until the first plan payment re-ages it to N; a plan payment
a few days late stays N), a broken plan reports its delinquency and loses the code, and a discounted
settlement paid is settled for less.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import pytest

from fairlend.bootstrap import Container, bootstrap
from fairlend.bureau.documents import AccountReport
from fairlend.bureau.model import month_index, month_label
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.hardship.model import Kind, PlanStatus, Terms
from fairlend.hardship.plans import HardshipStep
from fairlend.lending.eod import EndOfDay
from fairlend.lending_reporting.model import BorrowerIdentity
from fairlend.lending_reporting.service import (
    FAIRLEND_INSTITUTION_ID,
    BureauReportingStep,
    ReportingFileSubmitter,
    reporting_file,
)
from fairlend.money import Money
from tests.hardship.conftest import BORROWER
from tests.hardship.helpers import file, offer_and_accept
from tests.hardship.support import CASH12
from tests.lending_reporting.test_reporter import ID, FakeNotices

OPENED = date(2026, 3, 2)


class Identities:
    def reporting_identity(self, person_id: str) -> BorrowerIdentity:
        assert person_id == BORROWER
        return BorrowerIdentity("张三", ID, "cn.ric")


@dataclass
class Book:
    container: Container
    loan: str
    currency: str

    def run(self, through: date) -> None:
        self.container.eod.run(through=through)

    def pay_due(self) -> None:
        """Pay what is due today, as a borrower paying on the day does."""
        facts = self.container.lending.loan_facts(self.loan)
        amount = facts.overdue_amount if facts.overdue_amount.minor else facts.next_due_amount
        self.container.lending.repay(self.loan, amount)

    def account(self) -> AccountReport:
        assert self.container.bureau is not None
        (account,) = self.container.bureau.counter_report(ID).accounts
        return account

    def month(self, day: date) -> str:
        """The grid's code for the month of `day`."""
        account = self.account()
        start = month_index(date.fromisoformat(account.grid_start + "-01"))
        return account.grid[start - month_index(day)]

    def lines(self, day: date) -> list[str]:
        return (reporting_file(self.container.uow, day) or "").splitlines()


def _book(container: Container, currency: str) -> Book:
    """A loan opened today, reported to the bureau each night: lending's steps, the plans', the reporter's."""
    assert container.bureau is not None
    container.bureau.ensure_institution(FAIRLEND_INSTITUTION_ID, "fairlend")
    client = container.bureau.client_for(FAIRLEND_INSTITUTION_ID)
    notices = FakeNotices()
    container.eod = EndOfDay(container.uow, container.ledger, container.profile, container.clock)
    container.eod.register(HardshipStep(container.hardship))
    container.eod.register(BureauReportingStep(notices))
    container.eod.register_after_day(
        "bureau_submit", ReportingFileSubmitter(container.uow, container.clock, lambda: client, Identities())
    )
    product = container.lending.products.define(replace(CASH12, currency=currency, code=f"cash-12-{currency}"))
    loan = container.lending.book_loan(BORROWER, product.code, Money(1_000_000, currency), open_date=OPENED)
    notices.sent[loan] = OPENED  # told at signing that a late payment will be reported (CN-11, CR-8)
    return Book(container, loan, currency)


def _late(book: Book) -> tuple[date, date]:
    """April paid on its day, May and June not: on the morning of 10 July the loan is 69 days past due."""
    book.run(date(2026, 4, 1))
    book.pay_due()
    book.run(date(2026, 7, 9))
    assert book.container.lending.loan_facts(book.loan).days_past_due == 69
    return date(2026, 5, 2), date(2026, 7, 10)


def test_cn_a_modified_loans_grid_and_code_across_the_plan_request_start_kept_reaged_broken(
    container: Container, clock: FixedClock
) -> None:
    book = _book(container, "CNY")
    missed, today = _late(book)
    codes = container.profile.bureau.modification_codes

    request = file(container, book.loan)  # the request: nothing the bureau is told changes
    book.run(today)
    assert book.account().special_comment == "" and book.month(missed) == "1" and book.month(date(2026, 6, 1)) == "2"

    offer, plan = offer_and_accept(container, request, Terms(Kind.INTEREST_STOP, periods=12))
    first, second, third = offer.outcome.installments[:3]
    started = today + timedelta(days=1)  # accepted the morning after the request
    book.run(started)
    account = book.account()
    assert (account.special_comment, account.modified_on) == (codes.interest_stop, started)
    assert account.special_comment == "个性化分期"
    assert any('"type": "modification"' in line and '"kind": "interest_stop"' in line for line in book.lines(started))

    # Held as reported until the plan's first payment: July's month-end says 71 days, nothing worse after.
    book.run(first.due - timedelta(days=1))
    assert book.month(date(2026, 7, 31)) == "3"  # 61-90 days, as on the day the plan began
    book.pay_due()
    book.run(first.due)  # paid: cn re-ages it to N (CN-17)
    assert container.hardship.plan(plan.plan_id).reaged_on == first.due
    # Current from then on; the month keeps the worst status reported in it (the held one, that morning).
    assert book.account().days_overdue == 0 and book.month(first.due) == "3"

    # The second payment five days late, inside the plan's 15 days of grace: the plan is kept, so no new
    # negative record reaches the bureau, though lending counted the loan 5 days past due.
    book.run(second.due + timedelta(days=4))
    assert container.lending.loan_facts(book.loan).days_past_due == 5
    assert book.month(second.due) == "N"
    book.pay_due()
    book.run(second.due + timedelta(days=5))
    assert book.month(second.due) == "N" and book.account().special_comment == codes.interest_stop

    # The third missed past the grace: the plan breaks, the bureau hears of the delinquency held back and
    # the account's code goes.
    book.run(third.due + timedelta(days=15))
    assert container.hardship.plan(plan.plan_id).status is PlanStatus.BROKEN
    account = book.account()
    assert account.special_comment == "" and account.days_overdue == 16 and book.month(third.due) == "1"
    assert any('"event": "broken"' in line for line in book.lines(third.due + timedelta(days=15)))
    # The whole 60-month grid, newest first: nothing before the opening, the plan's months as the rules say.
    grid = account.grid
    assert len(grid) == 60 and account.grid_start == month_label(month_index(third.due))
    expected = {
        date(2026, 3, 1): "N",
        date(2026, 4, 1): "N",
        date(2026, 5, 1): "1",
        date(2026, 6, 1): "2",
        date(2026, 7, 1): "3",
        first.due: "3",
        second.due: "N",
        third.due: "1",
    }
    assert {month_label(month_index(d)): book.month(d) for d in expected} == {
        month_label(month_index(d)): code for d, code in expected.items()
    }
    assert set(grid[month_index(third.due) - month_index(OPENED) + 1 :]) == {"/"}
    # Only two negative episodes: the one the plan held, the one its breaking began.
    assert [n.first_month for n in account.negative_records] == ["2026-05", month_label(month_index(third.due))]


@pytest.fixture
def us_container(settings: Settings, clock: FixedClock) -> Container:
    built = bootstrap(settings.model_copy(update={"jurisdiction": "us"}), clock=clock)
    yield built  # type: ignore[misc]
    built.close()


@pytest.mark.backends("sqlite")
def test_us_a_payment_holiday_shows_forbearance_and_a_paid_discounted_settlement_is_settled_for_less(
    us_container: Container,
) -> None:
    container = us_container
    book = _book(container, "USD")
    _late(book)
    codes = container.profile.bureau.modification_codes
    request = file(container, book.loan, Kind.PAYMENT_HOLIDAY)
    offer, plan = offer_and_accept(container, request, Terms(Kind.PAYMENT_HOLIDAY, periods=2))
    book.run(date(2026, 7, 10))
    assert book.account().special_comment == codes.payment_holiday == "CP"  # Metro 2: account in forbearance
    # The holiday's first payment missed: broken, the forbearance comment goes.
    book.run(offer.outcome.installments[0].due + timedelta(days=container.profile.hardship.break_grace_days))
    assert container.hardship.plan(plan.plan_id).status is PlanStatus.BROKEN
    assert book.account().special_comment == ""

    # A discounted settlement, paid: settled (13) for less than the balance (AU).
    position = container.lending.position(book.loan)
    pay_by = position.as_of + timedelta(days=10)
    settle = Terms(Kind.DISCOUNTED_SETTLEMENT, amount=position.owed * 7 // 10, pay_by=pay_by)
    offer, plan = offer_and_accept(container, file(container, book.loan, Kind.DISCOUNTED_SETTLEMENT), settle)
    book.run(position.as_of)
    assert book.account().special_comment == codes.discounted_settlement == "AC"
    container.lending.repay(book.loan, Money(offer.outcome.installments[0].total, "USD"))
    book.run(position.as_of + timedelta(days=1))
    account = book.account()
    assert account.state == "settled" and account.account_status == "13"
    assert account.special_comment == codes.settled_for_less == "AU"
