"""Hardship use cases: the borrower's request, the operator's proposal, maker-checker, the decline.

Entry points (one transaction each; `plans.py` has acceptance and end-of-day):

- `file_request(borrower_id, loan_id, kind, reason, income=, expenses=)`: the
  borrower asks; the profile's answer deadline starts (`RequestFiled`).
- `request(request_id, borrower_id=None)`, `requests_of(borrower_id)`: the
  borrower's view with the clock and the offer, numbers as of today.
- `cooldown_until(loan_id)`: while a cool-down runs, the first day the loan
  takes a new request again (the ask page shows it instead of a form).
- `queue()`: open requests for operators, ordered by deadline.
- `preview(loan_id, terms)`: an operator's what-if, nothing written.
- `propose(request_id, terms, operator_id)`: computed and checked; refused
  with every problem, nothing written; above the profile's threshold it waits
  for `approve(proposal_id, operator_id)` by another operator (or `reject`).
- `decline(request_id, operator_id, reasons)`: with `DeclineReason` codes;
  after a decline for one of the profile's `cooldown_reasons` (or an offer
  left to expire) the loan takes no new request for `cooldown_days`
  (`request_cooldown`); after one for "incomplete" it may ask again at once.
- `missed_deadlines()`: requests answered late or not at all, flagged to
  compliance naming the profile's `answer_rule` (deadlines.py).
- `evidence`: the borrower's files with a request (evidence.py).

A refusal is a `DomainError` whose `code` is the first problem's and whose
`problems` lists them all: a settled or charged-off loan is 409, a rule
(APR cap, re-age limit, a kind switched off) 403 naming it, the rest 422.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Row, insert, update

from fairlend.clock import Clock
from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Conflict, Forbidden, Invalid, NotFound, PolicyViolation
from fairlend.hardship import records
from fairlend.hardship.checks import evaluate, kind_enabled, kind_rules_version, refusal
from fairlend.hardship.deadlines import AnswerClock, Flag, missed_answers
from fairlend.hardship.events import ProposalApproved, ProposalMade, RequestDeclined, RequestFiled
from fairlend.hardship.evidence import HardshipEvidence
from fairlend.hardship.model import (
    DeclineReason,
    Kind,
    Outcome,
    ProposalStatus,
    Reason,
    RequestStatus,
    Terms,
)
from fairlend.hardship.ports import EvidenceVault, LoanBook
from fairlend.hardship.reage import reage_limit_problem
from fairlend.hardship.tables import hardship_proposal, hardship_request
from fairlend.hardship.views import ProposalView, QueueItem, RequestView
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile
from fairlend.lending.model import LoanState
from fairlend.lending.position_model import LoanPosition


class HardshipService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        profile: Profile,
        loans: LoanBook,
        *,
        evidence: EvidenceVault | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._profile = profile
        self._rules = profile.hardship
        self._loans = loans
        self.evidence = HardshipEvidence(uow, evidence)

    # -- the borrower's request ------------------------------------------------------------------

    def file_request(
        self,
        borrower_id: str,
        loan_id: str,
        kind: Kind,
        reason: Reason,
        *,
        income: int | None = None,
        expenses: int | None = None,
    ) -> RequestView:
        """Ask for a plan on one's own loan. One open request per loan; the kind must be on in the profile."""
        if (income is not None and income < 0) or (expenses is not None and expenses < 0):
            raise Invalid("statement_negative", "income and expenses are amounts of at least 0")
        with self._uow() as uow:
            position = self._loans.position_in(uow, loan_id)  # locks the loan: one open request at a time
            if position.borrower_id != borrower_id:
                raise NotFound("loan_not_found", f"no loan {loan_id}")
            if position.state is LoanState.SETTLED:
                raise Conflict("loan_settled", f"loan {loan_id} is settled: there is nothing to ask for")
            if position.state is not LoanState.ACTIVE:
                raise Conflict("loan_charged_off", f"loan {loan_id} is {position.state.value}")
            if not kind_enabled(self._rules, kind):
                raise PolicyViolation("type_switched_off", f"{kind.value} plans are not offered", rules=[])
            if records.open_request(uow, loan_id) is not None:
                raise Conflict("request_open", f"loan {loan_id} has a request waiting for an answer")
            if records.active_plan(uow, loan_id) is not None:
                raise Conflict("plan_active", f"loan {loan_id} is in a plan already")
            today = uow.clock.business_date()
            after = self._cooldown_end(uow, loan_id)
            if after is not None and today < after:
                raise Conflict(
                    "request_cooldown",
                    f"loan {loan_id} had a request declined or an offer expire lately: ask again from {after}",
                    retry_on=after.isoformat(),
                )
            request_id = new_id("hrq")
            due = today + timedelta(days=self._rules.answer_days)
            uow.conn.execute(
                insert(hardship_request).values(
                    borrower_id=borrower_id,
                    id=request_id,
                    loan_id=loan_id,
                    open_loan_id=loan_id,
                    kind=kind.value,
                    reason=reason.value,
                    income_minor=income,
                    expenses_minor=expenses,
                    currency=position.currency,
                    status=RequestStatus.PENDING.value,
                    requested_on=today,
                    answer_due=due,
                    answered_on=None,
                    decided_on=None,
                    decline_reasons=[],
                    decided_by="",
                    rules_version=self._rules.version,
                    created_at=uow.clock.now(),
                )
            )
            uow.publish(RequestFiled(request_id, loan_id, borrower_id, kind.value, due, today))
            uow.commit()
        return self.request(request_id)

    def request(self, request_id: str, *, borrower_id: str | None = None) -> RequestView:
        """A request with its proposals; a borrower sees only their own (`request_not_found` otherwise).

        The proposals' numbers are recomputed on the loan as it stands today
        for the one on offer (what the borrower would accept now), as proposed
        for the rest.
        """
        with self._uow(read_only=True) as uow:
            row = records.request_row(uow, request_id)
            if borrower_id is not None and row.borrower_id != borrower_id:
                raise NotFound("request_not_found", f"no request {request_id}")
            proposals = records.proposal_rows(uow, request_id)
            evidence = records.evidence_of(uow, row.borrower_id, request_id)
            today = uow.clock.business_date()
        position = (
            self._loans.position(row.loan_id) if any(p.status == ProposalStatus.OFFERED for p in proposals) else None
        )
        return records.request_view(row, [self._proposal_view(p, position) for p in proposals], today, evidence)

    def requests_of(self, borrower_id: str) -> list[RequestView]:
        with self._uow(read_only=True) as uow:
            found = records.request_ids_of(uow, borrower_id)
        return [self.request(i) for i in found]

    def cooldown_until(self, loan_id: str) -> date | None:
        """While a cool-down runs on the loan, the first day it takes a new request; None when none runs."""
        with self._uow(read_only=True) as uow:
            after = self._cooldown_end(uow, loan_id)
            today = uow.clock.business_date()
        return after if after is not None and today < after else None

    def queue(self, *, limit: int = 200) -> list[QueueItem]:
        """Open requests, the nearest deadline first (a missed one first of all)."""
        with self._uow(read_only=True) as uow:
            return records.queue_items(uow, uow.clock.business_date(), limit)

    # -- the operator's answer --------------------------------------------------------------------

    def preview(self, loan_id: str, terms: Terms) -> Outcome:
        """What the terms would come to on the loan today, problems and all; nothing is written."""
        return self._evaluate(self._loans.position(loan_id), terms, history=self._reages(loan_id))

    def propose(self, request_id: str, terms: Terms, operator_id: str) -> ProposalView:
        """Offer terms on an open request. Refused with every problem (nothing written); offered at once,
        or, with concessions above the profile's threshold, waiting for a second operator's approval."""
        if not operator_id:
            raise Invalid("operator_required", "a proposal names the operator who made it")
        with self._uow() as uow:
            row = records.request_row(uow, request_id)
            position = self._loans.position_in(uow, row.loan_id)
            if row.status not in records.OPEN:
                raise Conflict("request_closed", f"request {request_id} is {row.status}")
            outcome = self._evaluate(position, terms, history=records.reages_in(uow, row.loan_id))
            if not outcome.ok:
                raise refusal(outcome.problems)
            today = uow.clock.business_date()
            needs_approval = outcome.concessions.total > self._rules.approval_threshold_minor
            records.withdraw_live(uow, request_id)
            proposal_id = new_id("hpr")
            uow.conn.execute(
                insert(hardship_proposal).values(
                    borrower_id=row.borrower_id,
                    id=proposal_id,
                    request_id=request_id,
                    loan_id=row.loan_id,
                    kind=terms.kind.value,
                    terms=terms.to_dict(),
                    status=(ProposalStatus.AWAITING_APPROVAL if needs_approval else ProposalStatus.OFFERED).value,
                    needs_approval=needs_approval,
                    concessions_minor=outcome.concessions.total,
                    apr=outcome.apr,
                    fingerprint=outcome.fingerprint,
                    numbers=records.numbers(outcome),
                    as_of=today,
                    offered_on=None if needs_approval else today,
                    proposed_by=operator_id,
                    approved_by="",
                    decided_at=None,
                    rules_version=self._rules.version,
                    kind_version=kind_rules_version(self._rules, terms.kind),
                    created_at=uow.clock.now(),
                )
            )
            records.set_request(uow, row, RequestStatus.PROPOSED)
            if not needs_approval:
                records.mark_answered(uow, row)
            uow.publish(
                ProposalMade(
                    proposal_id,
                    request_id,
                    row.loan_id,
                    row.borrower_id,
                    terms.kind.value,
                    needs_approval,
                    operator_id,
                    today,
                )
            )
            uow.commit()
        return self.proposal(proposal_id)

    def approve(self, proposal_id: str, operator_id: str) -> ProposalView:
        """The checker: another operator than the proposer approves; of two approving at once, one wins."""
        return self._check(proposal_id, operator_id, approve=True)

    def reject(self, proposal_id: str, operator_id: str) -> ProposalView:
        """The checker refuses the proposal; the request waits for another proposal or a decline."""
        return self._check(proposal_id, operator_id, approve=False)

    def _check(self, proposal_id: str, operator_id: str, *, approve: bool) -> ProposalView:
        with self._uow() as uow:
            row = records.proposal_row(uow, proposal_id)
            if row.proposed_by == operator_id:
                raise Forbidden("approver_is_proposer", "a second operator must approve what another proposed")
            status = ProposalStatus.OFFERED if approve else ProposalStatus.REJECTED
            # Conditional: of two checkers at once, the second finds it decided and changes nothing.
            done = uow.conn.execute(
                update(hardship_proposal)
                .where(
                    hardship_proposal.c.borrower_id == row.borrower_id,
                    hardship_proposal.c.id == proposal_id,
                    hardship_proposal.c.status == ProposalStatus.AWAITING_APPROVAL.value,
                )
                .values(
                    status=status.value,
                    approved_by=operator_id,
                    decided_at=uow.clock.now(),
                    offered_on=uow.clock.business_date() if approve else None,
                )
            ).rowcount
            if done != 1:
                raise Conflict("proposal_not_awaiting_approval", f"proposal {proposal_id} is not waiting for approval")
            request = records.request_row(uow, row.request_id)
            if approve:
                records.mark_answered(uow, request)
            else:
                records.set_request(uow, request, RequestStatus.PENDING)
            uow.publish(
                ProposalApproved(
                    proposal_id,
                    row.request_id,
                    row.loan_id,
                    row.borrower_id,
                    approve,
                    row.proposed_by,
                    operator_id,
                    uow.clock.business_date(),
                )
            )
            uow.commit()
        return self.proposal(proposal_id)

    def decline(self, request_id: str, operator_id: str, reasons: Sequence[DeclineReason]) -> RequestView:
        """Answer no, with at least one reason code; live proposals are withdrawn."""
        if not reasons:
            raise Invalid("decline_reasons_required", "a decline gives at least one reason")
        codes = [DeclineReason(r).value for r in reasons]
        with self._uow() as uow:
            row = records.request_row(uow, request_id)
            if row.status not in records.OPEN:
                raise Conflict("request_closed", f"request {request_id} is {row.status}")
            records.withdraw_live(uow, request_id)
            records.mark_answered(uow, row)
            today = uow.clock.business_date()
            done = uow.conn.execute(
                update(hardship_request)
                .where(
                    hardship_request.c.borrower_id == row.borrower_id,
                    hardship_request.c.id == request_id,
                    hardship_request.c.status.in_(records.OPEN),
                )
                .values(
                    status=RequestStatus.DECLINED.value,
                    open_loan_id=None,
                    decided_on=today,
                    decline_reasons=codes,
                    decided_by=operator_id,
                )
            ).rowcount
            if done != 1:
                raise Conflict("request_closed", f"request {request_id} was answered meanwhile")
            uow.publish(RequestDeclined(request_id, row.loan_id, row.borrower_id, tuple(codes), operator_id, today))
            uow.commit()
        return self.request(request_id)

    def missed_deadlines(self) -> list[Flag]:
        """Requests answered after the profile's deadline, or unanswered past it: for the compliance officer."""
        with self._uow(read_only=True) as uow:
            today = uow.clock.business_date()
            rows = records.late_requests(uow, today)
        clocks = [
            AnswerClock(r.id, r.loan_id, r.borrower_id, r.requested_on, r.answer_due, r.answered_on) for r in rows
        ]
        return missed_answers(clocks, today, self._rules.answer_rule)

    def proposal(self, proposal_id: str) -> ProposalView:
        with self._uow(read_only=True) as uow:
            row = records.proposal_row(uow, proposal_id)
        return self._proposal_view(row, None)

    # -- shared with plans.py ---------------------------------------------------------------------

    def _evaluate(self, position: LoanPosition, terms: Terms, *, history: Sequence[date]) -> Outcome:
        outcome = evaluate(position, terms, self._rules, self._profile.pricing)
        if position.days_past_due > 0 and terms.kind is not Kind.DISCOUNTED_SETTLEMENT:
            # A plan on a delinquent loan will re-age it when kept: refused once the limits are used up.
            limit = reage_limit_problem(self._rules.reage, history, position.as_of)
            if limit is not None:
                outcome = replace(outcome, problems=(*outcome.problems, limit))
        return outcome

    def _cooldown_end(self, uow: UnitOfWork, loan_id: str) -> date | None:
        return records.cooldown_end(uow, loan_id, self._rules.cooldown_days, self._rules.cooldown_reasons)

    def _reages(self, loan_id: str) -> list[date]:
        with self._uow(read_only=True) as uow:
            return records.reages_in(uow, loan_id)

    def _proposal_view(self, row: Row[Any], position: LoanPosition | None) -> ProposalView:
        terms = Terms.from_dict(row.terms)
        if position is not None and row.status == ProposalStatus.OFFERED.value:
            outcome = self._evaluate(position, terms, history=self._reages(row.loan_id))
        else:
            outcome = records.stored_outcome(row, terms)
        return ProposalView(
            row.id,
            row.request_id,
            row.loan_id,
            ProposalStatus(row.status),
            row.needs_approval,
            row.proposed_by,
            row.approved_by,
            row.rules_version,
            row.kind_version,
            outcome,
            offered_on=row.offered_on,
            expires_on=self._expires(row.offered_on),
        )

    def _expires(self, offered_on: date | None) -> date | None:
        """The last day an offer made on `offered_on` may be accepted."""
        return offered_on + timedelta(days=self._rules.offer_valid_days) if offered_on else None
