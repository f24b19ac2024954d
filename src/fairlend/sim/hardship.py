"""The demo's hardship plans (issue #15): delinquent borrowers ask, operators answer, some plans are kept.

Every other late payer, once some days behind, asks for a plan: an
underwriter proposes one (the first kind the platform's preview finds within
the profile's rules, in the order below; a second operator approves when the
concessions need it), the borrower accepts the numbers they saw the next day
and from then on pays every plan payment on its due date, so the plan is kept
(and, under `cn`, the loan re-aged at once). The first borrower who never
pays asks too, accepts an interest-stop plan and pays nothing: end-of-day
breaks it and collection resumes. The second is declined. Every step is
hardship's service, as in book.py. The morning after each request a
collector who did not look calls the borrower anyway: the gateway blocks it
(P-10), and the borrower sees it in "contacts about me".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from fairlend.bootstrap import Container
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import Medium
from fairlend.errors import DomainError
from fairlend.hardship.model import DeclineReason, Kind, Reason, Terms
from fairlend.lending.position_model import LoanPosition
from fairlend.sim.episodes import advance
from fairlend.sim.people import Behaviour
from fairlend.sim.report import DemoReport

ASK_AFTER_DPD = 10  # days behind before a borrower asks (the collector has texted them by then)
REASONS = (Reason.INCOME_DROP, Reason.JOB_LOSS, Reason.ILLNESS)


def _interest_stop(p: LoanPosition, today: date) -> Terms:
    return Terms(Kind.INTEREST_STOP, periods=12)


def _term_extension(p: LoanPosition, today: date) -> Terms:
    return Terms(Kind.TERM_EXTENSION, periods=3)


def _holiday(p: LoanPosition, today: date) -> Terms:
    return Terms(Kind.PAYMENT_HOLIDAY, periods=1)


def _settlement(p: LoanPosition, today: date) -> Terms:
    """Four fifths of what is owed within ten days: within both profiles' discount and time limits."""
    return Terms(Kind.DISCOUNTED_SETTLEMENT, amount=p.owed * 4 // 5, pay_by=today + timedelta(days=10))


# What the operators offer, in turn: each plan the next kind that the loan allows.
OFFERS: tuple[Callable[[LoanPosition, date], Terms], ...] = (_interest_stop, _settlement, _term_extension, _holiday)


class HardshipDesk:
    """Who asks for a plan and what becomes of it, one business date at a time (called by `Book.day`)."""

    def __init__(self, container: Container, report: DemoReport, ops: dict[str, str]) -> None:
        self.c = container
        self.report = report
        self.maker, self.checker, self.collector = ops["underwriter"], ops["admin"], ops["collector"]
        self.asked: dict[str, str] = {}  # loan -> its request
        self.waiting: dict[date, list[str]] = {}  # day -> requests to answer (the morning after asking)
        self.offered: dict[date, list[tuple[str, str]]] = {}  # day -> (request, borrower) to accept
        self.turn = 0
        self.retried: set[str] = set()  # requests answered a second time after an offer went stale

    def day(self, today: date, behaviour: dict[str, Behaviour], borrower_of: dict[str, str]) -> None:
        """Ask, answer, accept: each a day after the other, as people do."""
        for request_id, borrower in self.offered.pop(today, []):
            self._accept(request_id, borrower, behaviour, today)
        for request_id in self.waiting.pop(today, []):
            self._answer(request_id, today)
        self._ask(today, behaviour, borrower_of)

    def _ask(self, today: date, behaviour: dict[str, Behaviour], borrower_of: dict[str, str]) -> None:
        # In booking order (ids differ from run to run, the story must not).
        order = {b.loan_id: n for n, b in enumerate(self.report.borrowers)}
        late = [loan for loan in order if behaviour.get(loan) is Behaviour.LATE]
        never = [loan for loan in order if behaviour.get(loan) is Behaviour.NEVER]
        askers = set(late[::2]) | set(never[:2])
        for d in sorted(self.c.lending.delinquent_loans(ASK_AFTER_DPD), key=lambda d: order.get(d.loan_id, -1)):
            if d.loan_id not in askers or d.loan_id in self.asked:
                continue
            kind = Kind.INTEREST_STOP if d.loan_id in never else Kind.TERM_EXTENSION
            reason = REASONS[len(self.asked) % len(REASONS)]
            try:
                request = self.c.hardship.file_request(borrower_of[d.loan_id], d.loan_id, kind, reason)
            except DomainError as refused:
                self.report.hardship[f"refused:{refused.code}"] += 1
                continue
            self.asked[d.loan_id] = request.request_id
            self.report.hardship["requested"] += 1
            self.waiting.setdefault(today + timedelta(days=1), []).append(request.request_id)

    def _answer(self, request_id: str, today: date) -> None:
        hardship = self.c.hardship
        request = hardship.request(request_id)
        self._collector_calls(request.loan_id)
        if self._second_never_payer(request.loan_id):
            hardship.decline(request_id, self.maker, [DeclineReason.AFFORDABILITY])
            self.report.hardship["declined"] += 1
            return
        position = self.c.lending.position(request.loan_id)
        kinds = OFFERS if request.kind is not Kind.INTEREST_STOP else (_interest_stop,)
        for n in range(len(kinds)):
            terms = kinds[(self.turn + n) % len(kinds)](position, today)
            if hardship.preview(request.loan_id, terms).ok:
                break
        else:
            hardship.decline(request_id, self.maker, [DeclineReason.TYPE_UNAVAILABLE])
            self.report.hardship["declined"] += 1
            return
        self.turn += 1
        proposal = hardship.propose(request_id, terms, self.maker)
        if proposal.needs_approval:
            hardship.approve(proposal.proposal_id, self.checker)
            self.report.hardship["approved_by_a_second_operator"] += 1
        self.offered.setdefault(today + timedelta(days=1), []).append((request_id, request.borrower_id))

    def _accept(self, request_id: str, borrower: str, behaviour: dict[str, Behaviour], today: date) -> None:
        hardship = self.c.hardship
        offer = hardship.request(request_id, borrower_id=borrower).offer
        if offer is None:
            return
        try:
            plan = hardship.accept(
                offer.proposal_id, borrower, offer.outcome.fingerprint, self.c.profile.hardship.consent_version
            )
        except DomainError as refused:
            # The borrower paid something since the offer (a settlement's sum no longer below what is
            # owed, say): the numbers no longer hold. The operator answers again today, once; then no.
            self.report.hardship[f"refused:{refused.code}"] += 1
            if request_id in self.retried:
                hardship.decline(request_id, self.maker, [DeclineReason.OTHER])
                self.report.hardship["declined"] += 1
            else:
                self.retried.add(request_id)
                self.waiting.setdefault(today, []).append(request_id)
            return
        self.report.plans.append(plan.plan_id)
        self.report.hardship[f"accepted:{plan.kind.value}"] += 1
        # A late payer keeps the plan: every plan payment on its day (paid early, lending would take it
        # as a prepayment and the plan's payment would stay open). A never-payer pays nothing: it breaks.
        if behaviour.get(plan.loan_id) is Behaviour.LATE:
            behaviour[plan.loan_id] = Behaviour.ON_TIME

    def _collector_calls(self, loan_id: str) -> None:
        """A collector who did not look calls about the loan the morning after its borrower asked: blocked (P-10)."""
        collections = self.c.collections
        if collections is None:
            return
        call = collections.gateway.attempt(ContactRequest(loan_id, Medium.CALL, collector_id=self.collector))
        self.report.contacts[call.outcome.value] += 1
        if "P-10" in call.rules:
            self.report.hardship["collector_blocked"] += 1
        advance(self.c, 3)

    def _second_never_payer(self, loan_id: str) -> bool:
        order = [b.loan_id for b in self.report.borrowers if b.behaviour == Behaviour.NEVER.value]
        return len(order) > 1 and loan_id == order[1]
