"""fairlend reports itself T+1: outbox -> reporting file -> bureau, through the client."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta
from decimal import Decimal

from fairlend.bootstrap import Container
from fairlend.bureau.client import BureauClient
from fairlend.clock import FixedClock
from fairlend.lending.events import LoanDelinquencyChanged, LoanDisbursed, LoanSettled, RepaymentPosted
from fairlend.lending_reporting.model import BorrowerIdentity
from fairlend.lending_reporting.service import (
    FAIRLEND_INSTITUTION_ID,
    BureauReportingStep,
    ReportingFileSubmitter,
    reporting_file,
)
from fairlend.money import Money

ID = "110101199003074477"


class FakeIdentities:
    def __init__(self) -> None:
        self.people = {"brw_1": BorrowerIdentity("张三", ID, "cn.ric")}

    def reporting_identity(self, person_id: str) -> BorrowerIdentity:
        return self.people[person_id]


class FakeNotices:
    def __init__(self) -> None:
        self.sent: dict[str, date] = {}

        self.asked: list[set[str]] = []

    def notices_sent_on(self, loan_ids: Collection[str]) -> dict[str, date]:
        self.asked.append(set(loan_ids))
        return {loan_id: self.sent[loan_id] for loan_id in loan_ids if loan_id in self.sent}


def _cny(minor: int) -> Money:
    return Money(minor, "CNY")


def _publish(container: Container, *events: object) -> None:
    with container.uow() as uow:
        for event in events:
            uow.publish(event)  # type: ignore[arg-type]
        uow.commit()


def _end_of_day(container: Container, step: BureauReportingStep, day: date) -> int:
    with container.uow() as uow:
        count = step.run(uow, day)
        uow.commit()
    return count


def _setup(container: Container) -> tuple[BureauReportingStep, ReportingFileSubmitter, FakeNotices, BureauClient]:
    assert container.bureau is not None
    container.bureau.ensure_institution(FAIRLEND_INSTITUTION_ID, "fairlend")
    client = container.bureau.client_for(FAIRLEND_INSTITUTION_ID)
    notices = FakeNotices()
    step = BureauReportingStep(notices)
    return (
        step,
        ReportingFileSubmitter(container.uow, container.clock, lambda: client, FakeIdentities()),
        notices,
        client,
    )


def _disbursed(day: date) -> LoanDisbursed:
    return LoanDisbursed(
        "loan_1",
        "brw_1",
        "std12",
        "CNY",
        _cny(1_000_000),
        12,
        "monthly",
        day,
        day + timedelta(days=30),
        day + timedelta(days=365),
        _cny(91_680),
        Decimal("0.18"),
        day,
    )


def test_the_days_lending_events_reach_the_bureau_by_the_next_day(container: Container, clock: FixedClock) -> None:
    step, submit, notices, _client = _setup(container)
    day = date(2026, 1, 5)
    _publish(container, _disbursed(day))
    assert _end_of_day(container, step, day) == 1
    assert submit(day) == 1
    assert container.bureau is not None
    report = container.bureau.counter_report(ID)
    (account,) = report.accounts
    assert (account.account_ref, account.amount.minor, account.institution_name) == ("loan_1", 1_000_000, "fairlend")

    overdue_day = date(2026, 2, 10)
    notices.sent["loan_1"] = date(2026, 2, 8)
    _publish(
        container,
        LoanDelinquencyChanged(
            "loan_1", "brw_1", 5, "M1", "current", _cny(91_680), _cny(920_000), date(2026, 2, 6), overdue_day
        ),
    )
    assert _end_of_day(container, step, overdue_day) == 2  # the notice goes first, then the status
    assert submit(overdue_day) == 2
    grid = container.bureau.counter_report(ID).accounts[0].grid
    assert grid[1] == "1"  # February, seen from March

    paid = date(2026, 2, 20)
    _publish(
        container,
        RepaymentPosted(
            "loan_1", "brw_1", "rp_1", _cny(1_000_000), _cny(920_000), _cny(0), _cny(0), _cny(0), _cny(0), 0, paid
        ),
        LoanSettled("loan_1", "brw_1", paid, True, paid),
    )
    _end_of_day(container, step, paid)
    assert submit(paid) == 2
    account = container.bureau.counter_report(ID).accounts[0]
    assert account.state == "settled" and account.grid[1] == "C"
    assert account.negative_records[0].ended_on == paid


def test_rerunning_end_of_day_changes_nothing_and_resending_is_harmless(container: Container) -> None:
    step, submit, _notices, _client = _setup(container)
    day = date(2026, 1, 5)
    _publish(container, _disbursed(day))
    _end_of_day(container, step, day)
    content = reporting_file(container.uow, day)
    assert content is not None and ID not in content  # identity is filled in only when sent
    assert _end_of_day(container, step, day) == 0
    assert reporting_file(container.uow, day) == content
    assert submit(day) == 1 and submit(day) == 0
    acknowledgement = submit.acknowledgement(day)
    assert acknowledgement is not None and acknowledgement.applied == 1


def test_a_negative_record_without_a_notice_is_refused_by_the_bureau_and_visible_in_the_ack(
    container: Container,
) -> None:
    step, submit, _notices, _client = _setup(container)
    day = date(2026, 1, 5)
    late = date(2026, 2, 10)
    _publish(
        container,
        _disbursed(day),
        LoanDelinquencyChanged(
            "loan_1", "brw_1", 5, "M1", "current", _cny(91_680), _cny(920_000), date(2026, 2, 6), late
        ),
    )
    _end_of_day(container, step, late)
    submit(late)
    acknowledgement = submit.acknowledgement(late)
    assert acknowledgement is not None
    assert [o.code for o in acknowledgement.rejected] == ["negative_notice_missing"]


def test_a_later_days_events_wait_for_that_days_file(container: Container) -> None:
    step, _submit, _notices, _client = _setup(container)
    _publish(container, _disbursed(date(2026, 1, 6)))
    assert _end_of_day(container, step, date(2026, 1, 5)) == 0
    assert _end_of_day(container, step, date(2026, 1, 6)) == 1


def test_the_notices_are_asked_once_for_a_whole_batch_of_newly_negative_loans(container: Container) -> None:
    step, _submit, notices, _client = _setup(container)
    day = date(2026, 2, 10)
    loans = [f"loan_{n}" for n in range(1, 4)]
    for loan_id in loans:
        notices.sent[loan_id] = date(2026, 2, 8)
    _publish(
        container,
        *[
            LoanDelinquencyChanged(
                loan_id, "brw_1", 5, "M1", "current", _cny(91_680), _cny(920_000), date(2026, 2, 6), day
            )
            for loan_id in loans
        ],
    )
    assert _end_of_day(container, step, day) == 6  # each loan's notice, then its status
    assert notices.asked == [set(loans)]
