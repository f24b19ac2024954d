"""The demo's daily book: what the simulated people do on each business date before end-of-day closes it.

Borrowers whose day it is apply and accept (the market funds the offer:
sim/market.py); those who pay, pay (on time, late with the penalty and fee
they earned, or never), one settles early; the lender charges off a loan
`CHARGE_OFF_DPD` days past due and every other charged-off borrower later
pays part of it back (a recovery, shared among the notes like any payment);
on market days investors trade notes (sim/secondary.py); some delinquent
borrowers ask for hardship plans, keep or break them (sim/hardship.py); a collector works
the overdue book through the contact gateway, and still calls the borrower
who settled early, which the gateway blocks (P-2). Every step is a context's
service, as in demo.py.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from fairlend.bootstrap import Container
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import Medium, RecipientKind
from fairlend.lending.model import LoanState
from fairlend.money import Money
from fairlend.sim import episodes, market
from fairlend.sim.episodes import Enrolled, advance
from fairlend.sim.hardship import HardshipDesk
from fairlend.sim.people import Behaviour, phone_number
from fairlend.sim.report import DemoBorrower, DemoReport
from fairlend.sim.secondary import SecondaryMarket

PRODUCT_CODE = "demo-cash"  # the lending product the demo books on when no market funds its loans
SETTLED_CALL_AFTER = 3  # days after the early settlement the collector still calls
# The demo's lender charges a loan off this many days past due: FFIEC's limit for closed-end retail loans.
CHARGE_OFF_DPD = 120
RECOVERY_AFTER = 30  # days after its charge-off a recovering borrower pays part of the debt back
RECOVERY_PART = 3  # ... a third of what was charged off


class Book:
    """What the simulated people do on each business date before end-of-day closes it."""

    def __init__(
        self,
        container: Container,
        report: DemoReport,
        enrolled: list[Enrolled],
        ops: dict[str, str],
        seed: int,
        days: int,
    ) -> None:
        self.c = container
        self.report = report
        self.collector_id = ops["collector"]
        self.compliance_id = ops["compliance"]
        self.enrolled = {e.person_id: e for e in enrolled}
        self.rng = random.Random(seed * 31 + 1)
        self.by_open: dict[int, list[Enrolled]] = {}
        for e in enrolled:
            self.by_open.setdefault(e.sim.open_offset, []).append(e)
        self.behaviour: dict[str, Behaviour] = {}
        self.lag: dict[str, int] = {}
        self.borrower_of: dict[str, str] = {}
        self.prepay_loan = ""
        self.settled_on: date | None = None
        self.contacted: set[str] = set()
        self.listed: dict[str, Enrolled] = {}  # listings the investors have not funded yet
        self.turn = 0
        self.recover: dict[date, list[tuple[str, Money]]] = {}  # recoveries due: loan, what was charged off
        self.secondary = SecondaryMarket(container, report, days)
        self.hardship = HardshipDesk(container, report, ops)

    def day(self, offset: int, today: date) -> None:
        for e in self.by_open.get(offset, []):
            self._book(e)
        self._repayments(today)
        self.hardship.day(today, self.behaviour, self.borrower_of)
        self._charge_offs(today)
        self.secondary.day(offset)
        self._collect(today)

    def _book(self, e: Enrolled) -> None:
        if self.c.origination is None or self.c.market is None:
            amount = Money.of(e.sim.amount_yuan, self.c.profile.currency)
            self._booked(e, self.c.lending.book_loan(e.person_id, PRODUCT_CODE, amount, term=e.sim.term), amount)
            return
        funded = market.apply_and_accept(self.c, e.person_id, e.sim)
        if funded.loan_id is not None and funded.amount is not None:  # funded at once (or by auto-invest)
            self.report.funded_by["investors" if market.retail(self.c) else "partner and platform"] += 1
            self._booked(e, funded.loan_id, funded.amount)
        elif funded.listing_id is not None:
            self.turn += 1
            loan_id = market.fund_listing(self.c, funded.listing_id, self.report.investors, self.turn)
            if loan_id is None:
                self.listed[funded.listing_id] = e  # the deadline decides
            else:
                self.report.funded_by["investors"] += 1
                self._booked(e, loan_id, self.c.lending.loan_facts(loan_id).outstanding_principal)

    def _booked(self, e: Enrolled, loan_id: str, amount: Money) -> None:
        self.behaviour[loan_id] = e.sim.behaviour
        self.lag[loan_id] = e.sim.late_lag
        self.borrower_of[loan_id] = e.person_id
        if e.sim.behaviour is Behaviour.PREPAY:
            self.prepay_loan = loan_id
        self.report.borrowers.append(
            DemoBorrower(e.person_id, e.sim.phone, e.sim.name, loan_id, e.sim.behaviour.value, amount, e.sim.term)
        )

    def _repayments(self, today: date) -> None:
        lending = self.c.lending
        # On time: whatever falls due today, paid today (the prepayer too, until it settles).
        for due in lending.due_soon(today):
            kind = self.behaviour.get(due.loan_id)
            if kind in (Behaviour.ON_TIME, Behaviour.PREPAY) and due.amount.minor > 0:
                lending.repay(due.loan_id, due.amount, reference=f"demo:{today}")
                self.report.repayments += 1
        # Late: each installment paid some days after its due date, with the penalty and late fee it earned.
        for lag in sorted({v for v in self.lag.values() if v}):
            for due in lending.due_soon(today - timedelta(days=lag)):
                if self.behaviour.get(due.loan_id) is Behaviour.LATE and self.lag[due.loan_id] == lag:
                    detail = lending.loan_detail(due.loan_id)
                    owed = due.amount + detail.penalty_due + detail.fees_due
                    lending.repay(due.loan_id, owed, reference=f"demo:{today}")
                    self.report.repayments += 1
        # Early settlement: once the prepayer has paid an installment, the whole loan is paid off.
        loan_id = self.prepay_loan
        if loan_id and self.settled_on is None:
            facts = lending.loan_facts(loan_id)
            detail = lending.loan_detail(loan_id)
            if any(i.status == "paid" for i in detail.schedule) and facts.state is LoanState.ACTIVE:
                lending.settle_early(loan_id, reference="demo:early-settlement")
                self.report.repayments += 1
                self.settled_on = today
                self.report.settled_loan_id = loan_id
                self.report.settled_borrower_id = self.borrower_of[loan_id]

    def _charge_offs(self, today: date) -> None:
        """Loans past the charge-off limit are charged off; every other one's borrower pays a third back later."""
        lending = self.c.lending
        position = {b.loan_id: n for n, b in enumerate(self.report.borrowers)}
        # In booking order, not by loan id: ids differ from run to run, the story must not.
        due = sorted(
            (d.loan_id for d in lending.delinquent_loans(CHARGE_OFF_DPD) if d.loan_id in position),
            key=lambda loan_id: position[loan_id],
        )
        for loan_id in due:
            charged = lending.charge_off(loan_id)
            self.report.charged_off.append(loan_id)
            if len(self.report.charged_off) % 2 == 1:
                self.recover.setdefault(today + timedelta(days=RECOVERY_AFTER), []).append((loan_id, charged))
        for loan_id, charged in self.recover.pop(today, []):
            part = Money(charged.minor // RECOVERY_PART, charged.currency)
            if part.minor > 0:
                lending.repay(loan_id, part, reference=f"demo:recovery:{today}")
                self.report.recoveries += 1
                self.report.repayments += 1

    def _collect(self, today: date) -> None:
        gateway = self._gateway()
        if gateway is None:
            return
        # The motivating case: the loan is repaid, yet a collector still calls, then tries the address book.
        if self.settled_on is not None and today == self.settled_on + timedelta(days=SETTLED_CALL_AFTER):
            loan_id = self.prepay_loan
            call = gateway.attempt(ContactRequest(loan_id, Medium.CALL, collector_id=self.collector_id))
            self._count(call.outcome.value)
            self.report.blocked_rules = call.rules
            advance(self.c, 5)
            friend_number = self._friend_number()
            self.report.third_party_numbers.append(friend_number)
            friend = gateway.attempt(
                ContactRequest(
                    loan_id,
                    Medium.SMS,
                    recipient_kind=RecipientKind.THIRD_PARTY,
                    third_party_number=friend_number,
                    collector_id=self.collector_id,
                )
            )
            self._count(friend.outcome.value)
            advance(self.c, 5)
            borrower = self.enrolled[self.borrower_of[loan_id]]
            self.report.complaint_id = episodes.complain(self.c, borrower, loan_id, self.compliance_id)
            advance(self.c, 5)
        # A collector reaches a few overdue debtors, by text first and by phone a week later.
        if today.weekday() not in (1, 3):  # Tuesdays and Thursdays: a few contacts, never a barrage
            return
        overdue = [d for d in self.c.lending.delinquent_loans(4) if d.loan_id not in self.contacted]
        for d in overdue[:2]:
            decision = gateway.attempt(ContactRequest(d.loan_id, Medium.SMS, collector_id=self.collector_id))
            self._count(decision.outcome.value)
            self.contacted.add(d.loan_id)
            advance(self.c, 3)
        if today.weekday() == 3:
            for d in self.c.lending.delinquent_loans(15)[:2]:
                decision = gateway.attempt(ContactRequest(d.loan_id, Medium.CALL, collector_id=self.collector_id))
                self._count(decision.outcome.value)
                advance(self.c, 3)

    def _friend_number(self) -> str:
        """A number from the settled borrower's address book: nobody the demo signed up."""
        scheme = self.c.profile.id_number_scheme
        if scheme == "us.ssn":
            return phone_number(self.report.seed, 4_000 + self.rng.randrange(1_000), scheme)
        return f"1380013{self.rng.randrange(10_000):04d}"

    def _gateway(self) -> Any:
        c = self.c.collections
        return None if c is None else c.gateway

    def _count(self, outcome: str) -> None:
        self.report.contacts[outcome] += 1
