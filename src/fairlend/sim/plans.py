"""Hardship plans in the simulated market: borrowers out of work ask, operators answer the next day.

A borrower behind and out of work may ask (sim/borrowers.py); the next
morning an underwriter proposes the first kind of plan the platform's preview
allows (a term extension, a payment holiday, an interest stop, a discounted
settlement; a second operator approves when the concessions need it) or
declines when none does; the day after, the borrower accepts the numbers they
were shown. From then on the borrower pays the plan's payments as they fall
due, mostly: a plan the borrower stops paying is broken by end-of-day
(hardship's own step). Every step is hardship's service.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from fairlend.errors import DomainError
from fairlend.hardship.model import DeclineReason, Kind, Reason, Terms
from fairlend.lending.position_model import LoanPosition
from fairlend.sim.world import World


def _extension(p: LoanPosition, today: date) -> Terms:
    return Terms(Kind.TERM_EXTENSION, periods=3)


def _holiday(p: LoanPosition, today: date) -> Terms:
    return Terms(Kind.PAYMENT_HOLIDAY, periods=1)


def _interest_stop(p: LoanPosition, today: date) -> Terms:
    return Terms(Kind.INTEREST_STOP, periods=6)


def _settlement(p: LoanPosition, today: date) -> Terms:
    return Terms(Kind.DISCOUNTED_SETTLEMENT, amount=p.owed * 4 // 5, pay_by=today + timedelta(days=10))


OFFERS: tuple[Callable[[LoanPosition, date], Terms], ...] = (_extension, _holiday, _interest_stop, _settlement)


class PlanDesk:
    def __init__(self, world: World) -> None:
        self.w = world
        self.asked: set[str] = set()  # loans whose borrower asked once (one request per loan in a run)
        self.plans: set[str] = set()  # loans under an accepted plan
        self.waiting: dict[date, list[str]] = {}  # day -> requests the operators answer
        self.offered: dict[date, list[tuple[str, str]]] = {}  # day -> (request, borrower) to accept

    def in_plan(self, loan_id: str) -> bool:
        return loan_id in self.plans

    def ask(self, borrower_id: str, loan_id: str, today: date) -> None:
        if loan_id in self.asked:
            return
        self.asked.add(loan_id)
        try:
            request = self.w.hardship.file_request(borrower_id, loan_id, Kind.TERM_EXTENSION, Reason.JOB_LOSS)
        except DomainError as refused:
            self.w.report.hardship[f"refused:{refused.code}"] += 1
            return
        self.w.report.hardship["requested"] += 1
        self.waiting.setdefault(today + timedelta(days=1), []).append(request.request_id)

    def day(self, today: date) -> None:
        for request_id, borrower_id in self.offered.pop(today, []):
            self._accept(request_id, borrower_id)
        for request_id in self.waiting.pop(today, []):
            self._answer(request_id, today)

    def _answer(self, request_id: str, today: date) -> None:
        hardship, report = self.w.hardship, self.w.report
        maker, checker = self.w.ops["underwriter"], self.w.ops["admin"]
        request = hardship.request(request_id)
        position = self.w.lending.position(request.loan_id)
        for offer in OFFERS:
            terms = offer(position, today)
            if hardship.preview(request.loan_id, terms).ok:
                break
        else:
            hardship.decline(request_id, maker, [DeclineReason.TYPE_UNAVAILABLE])
            report.hardship["declined"] += 1
            return
        try:
            proposal = hardship.propose(request_id, terms, maker)
            if proposal.needs_approval:
                hardship.approve(proposal.proposal_id, checker)
                report.hardship["approved_by_a_second_operator"] += 1
        except DomainError as refused:
            report.hardship[f"refused:{refused.code}"] += 1
            return
        self.offered.setdefault(today + timedelta(days=1), []).append((request_id, request.borrower_id))

    def _accept(self, request_id: str, borrower_id: str) -> None:
        hardship, report = self.w.hardship, self.w.report
        offer = hardship.request(request_id, borrower_id=borrower_id).offer
        if offer is None:
            return
        try:
            plan = hardship.accept(
                offer.proposal_id, borrower_id, offer.outcome.fingerprint, self.w.profile.hardship.consent_version
            )
        except DomainError as refused:  # the numbers changed since (the borrower paid something): no plan
            report.hardship[f"refused:{refused.code}"] += 1
            hardship.decline(request_id, self.w.ops["underwriter"], [DeclineReason.OTHER])
            report.hardship["declined"] += 1
            return
        self.plans.add(plan.loan_id)
        report.hardship[f"accepted:{plan.kind.value}"] += 1
