"""The whole platform wired together: from an application to a settled loan.

A borrower applies and accepts; the loan is booked and disbursed; end-of-day
runs, a payment is missed, collections plans and the debtor is told (CN-11);
the T+1 reporting file reaches the bureau; the borrower repays; the loan is
settled and a collector's later call is blocked (P-2) and shown to the
borrower; the bureau's report closes the account.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import Medium
from fairlend.identity.model import ConsentPurpose
from fairlend.lending.model import LoanState
from fairlend.money import Money
from tests.identity.helpers import verified_borrower

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _daytime(clock: FixedClock) -> None:
    """10:00 in Shanghai on the business date: inside the contact window."""
    local = datetime.combine(clock.business_date(), time(10), SHANGHAI)
    clock.set(local.astimezone(UTC))


def test_an_application_becomes_a_loan_that_is_reported_collected_fairly_and_closed(
    container: Container, clock: FixedClock
) -> None:
    assert container.origination is not None and container.collections is not None and container.bureau is not None
    who, _, id_number = verified_borrower(container)
    borrower = who.subject_id
    container.identity.consents.give(borrower, ConsentPurpose.CREDIT_INQUIRY, "credit-inquiry-v1", "fairlend")

    application = container.origination.apply(
        borrower, Money.of("5000", "CNY"), 6, inquiry_disclosure_acknowledged=True
    )
    assert application.decision == "approve", application
    assert application.offer_id is not None
    accepted = container.origination.accept(borrower, application.offer_id, agreed=True)
    assert accepted.loan_id is not None
    loan_id = accepted.loan_id
    facts = container.lending.loan_facts(loan_id)
    assert facts.state is LoanState.ACTIVE and facts.borrower_id == borrower
    assert facts.outstanding_principal == Money.of("5000", "CNY")
    assert container.verify() == []

    # No payment: end-of-day runs past the first due date.
    first_due = facts.next_due_date
    assert first_due is not None
    container.eod.run(through=first_due + timedelta(days=2))
    overdue = container.lending.loan_facts(loan_id)
    assert overdue.days_past_due >= 2 and overdue.overdue_amount.minor > 0

    # The reporting file of the disbursement went out T+1: the bureau holds the account.
    accounts = [a for a in container.bureau.counter_report(id_number).accounts if a.institution_id == "inst_fairlend"]
    assert [a.account_ref for a in accounts] == [loan_id]

    # Collections planned the day; the automated gentle reminder tells the debtor (CN-11).
    _daytime(clock)
    sent = container.collections.service.dispatch_automated(clock.business_date())
    assert sent.get("sent", 0) >= 1, sent
    assert container.collections.service.notice_sent_on(loan_id) == clock.business_date()
    # Collection proper waits until the loan is more than 3 days overdue (P-7), checked when calling.
    early = container.collections.gateway.attempt(ContactRequest(loan_id, Medium.CALL, collector_id="op_c"))
    assert container.lending.loan_facts(loan_id).days_past_due <= 3 and early.rules == ("P-7",)
    container.eod.run(through=first_due + timedelta(days=3))
    _daytime(clock)
    assert container.lending.loan_facts(loan_id).days_past_due == 4
    call = container.collections.gateway.attempt(ContactRequest(loan_id, Medium.CALL, collector_id="op_c"))
    assert call.allowed, call

    # The borrower repays everything: the loan settles and collections stop in that transaction.
    container.lending.settle_early(loan_id)
    assert container.lending.loan_facts(loan_id).state is LoanState.SETTLED
    clock.advance(timedelta(hours=1))
    late_call = container.collections.gateway.attempt(ContactRequest(loan_id, Medium.CALL, collector_id="op_c"))
    assert not late_call.allowed and "P-2" in late_call.rules
    shown = {v.id: v for v in container.collections.service.contacts_about(borrower)}
    assert shown[late_call.log_id].outcome == "blocked"

    # The next end-of-day reports the settlement; the bureau's account is closed (CN-17 "C").
    container.eod.run(through=clock.business_date())
    (account,) = [a for a in container.bureau.counter_report(id_number).accounts if a.account_ref == loan_id]
    assert account.account_status == "C" and account.balance.is_zero
    assert container.verify() == []


def test_a_charged_off_loan_recovered_in_full_stops_collections_and_reaches_the_bureau_as_a_zero_balance(
    container: Container, clock: FixedClock
) -> None:
    assert container.origination is not None and container.collections is not None and container.bureau is not None
    who, _, id_number = verified_borrower(container)
    borrower = who.subject_id
    container.identity.consents.give(borrower, ConsentPurpose.CREDIT_INQUIRY, "credit-inquiry-v1", "fairlend")
    application = container.origination.apply(
        borrower, Money.of("5000", "CNY"), 6, inquiry_disclosure_acknowledged=True
    )
    assert application.offer_id is not None
    loan_id = container.origination.accept(borrower, application.offer_id, agreed=True).loan_id
    assert loan_id is not None
    first_due = container.lending.loan_facts(loan_id).next_due_date
    assert first_due is not None
    container.eod.run(through=first_due + timedelta(days=2))
    _daytime(clock)
    container.collections.service.dispatch_automated(clock.business_date())  # the notice (CN-11)
    # Collection may start once the debt is more than 3 days overdue (P-7): charged off or not.
    container.eod.run(through=first_due + timedelta(days=3))
    _daytime(clock)
    assert container.lending.loan_facts(loan_id).days_past_due > 3

    owed = container.lending.charge_off(loan_id)
    container.eod.run(through=clock.business_date())
    (account,) = [a for a in container.bureau.counter_report(id_number).accounts if a.account_ref == loan_id]
    assert (account.state.value, account.account_status, account.balance) == ("charged_off", "G", owed)

    # Collections may still ask a charged-off debtor to pay: the debt is owed.
    _daytime(clock)
    call = container.collections.gateway.attempt(ContactRequest(loan_id, Medium.CALL, collector_id="op_c"))
    assert call.allowed, call
    container.lending.repay(loan_id, owed - Money.of("1000", "CNY"))
    recovered_on = clock.business_date()
    last = container.lending.repay(loan_id, Money.of("1000", "CNY"))
    assert last.outstanding_principal.is_zero and last.state is LoanState.CHARGED_OFF
    clock.advance(timedelta(hours=1))
    late_call = container.collections.gateway.attempt(ContactRequest(loan_id, Medium.CALL, collector_id="op_c"))
    assert not late_call.allowed and "P-2" in late_call.rules

    # The bureau hears the payments and the zero balance; no code says "settled after charge-off", so it stays G.
    container.eod.run(through=clock.business_date())
    (account,) = [a for a in container.bureau.counter_report(id_number).accounts if a.account_ref == loan_id]
    assert account.balance.is_zero and account.account_status == "G"
    assert account.negative_records[-1].ended_on == recovered_on
    assert container.verify() == []
