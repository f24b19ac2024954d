"""Plans: the borrower's acceptance, and end-of-day's keeping, breaking and re-aging.

`accept(proposal_id, borrower_id, fingerprint, consent_version)` is one
transaction. It locks the loan first (through lending), recomputes the
proposal's terms on the loan as it stands, and goes on only if those are the
numbers the borrower saw (`fingerprint`) under the consent text the profile
names. Then, together: lending's new schedule version with the concessions
posted to the ledger (`LoanModified`; the market writes notes down in the same
transaction), the plan row, the proposal and request closed, `PlanStarted`.
Any refusal leaves nothing written.

An offer is accepted at the latest `offer_valid_days` after it was made
(`offer_expired`, 409, after that); end-of-day of its last day closes it and
its request as `expired` (`RequestExpired`: collections lifts the pause), and
the loan then takes no new request for `cooldown_days`.

`HardshipStep` runs in end-of-day's transaction after lending's own steps
(billing, days past due) and before collections planning and the bureau
file, so a plan broken or re-aged today is what they see: for each active
plan, its installments (from lending) give `reage.progress`; a payment unpaid
past the profile's grace breaks it (the held delinquency follows the modified
schedule again, never the waived amounts), enough payments re-age it, all of
them complete it.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Row, insert, select, update

from fairlend.batch.model import Partition
from fairlend.db.uow import UnitOfWork
from fairlend.errors import Conflict, Forbidden, Invalid, NotFound
from fairlend.hardship import records
from fairlend.hardship.checks import refusal
from fairlend.hardship.events import PlanBroken, PlanEnded, PlanReaged, PlanStarted, RequestExpired
from fairlend.hardship.model import Kind, PlanStatus, ProposalStatus, RequestStatus, Terms
from fairlend.hardship.reage import Standing, progress, should_reage
from fairlend.hardship.service import HardshipService
from fairlend.hardship.tables import hardship_plan, hardship_proposal
from fairlend.hardship.views import PlanView
from fairlend.ids import new_id
from fairlend.lending.model import LoanState, Method
from fairlend.lending.position_model import ScheduleChange
from fairlend.money import Money


class HardshipPlans(HardshipService):
    """Requests and proposals (`HardshipService`), plus acceptance, plans and the end-of-day step."""

    def accept(self, proposal_id: str, borrower_id: str, fingerprint: str, consent_version: str) -> PlanView:
        """The borrower accepts the offer whose numbers they saw; the loan's schedule changes at once."""
        if consent_version != self._rules.consent_version:
            raise Invalid(
                "consent_version_mismatch",
                f"the plan is accepted under the text {self._rules.consent_version!r}, not {consent_version!r}",
            )
        with self._uow() as uow:
            row = records.proposal_row(uow, proposal_id)
            if row.borrower_id != borrower_id:
                raise NotFound("proposal_not_found", f"no proposal {proposal_id}")
            position = self._loans.position_in(uow, row.loan_id)  # the loan's row is ours until commit
            if row.status != ProposalStatus.OFFERED.value:
                code = "offer_expired" if row.status == ProposalStatus.EXPIRED.value else "proposal_not_offered"
                raise Conflict(code, f"proposal {proposal_id} is {row.status}")
            expires = self._expires(row.offered_on)
            if expires is not None and uow.clock.business_date() > expires:
                # End-of-day closes it; until it has run, the date alone refuses it.
                raise Conflict(
                    "offer_expired", f"the offer could be accepted until {expires}", expired_on=expires.isoformat()
                )
            terms = Terms.from_dict(row.terms)
            outcome = self._evaluate(position, terms, history=records.reages_in(uow, row.loan_id))
            if not outcome.ok:
                raise refusal(outcome.problems)
            if outcome.fingerprint != fingerprint:
                raise Conflict(
                    "proposal_changed",
                    "the loan moved since these numbers were shown (a payment, a day's interest); read the offer again",
                    fingerprint=outcome.fingerprint,
                )
            if not row.needs_approval and outcome.concessions.total > self._rules.approval_threshold_minor:
                raise Forbidden("approval_required", "the concessions grew past the threshold; ask for a new proposal")
            today = uow.clock.business_date()
            plan_id = new_id("hpl")
            # A delinquent loan's status stays as reported until the plan re-ages it (or it is paid off).
            held = position.days_past_due > 0
            c = outcome.concessions
            version, first_seq = self._loans.modify_in(
                uow,
                ScheduleChange(
                    loan_id=row.loan_id,
                    kind=terms.kind.value,
                    reference=plan_id,
                    expected=position.balances,
                    rate=outcome.rate,
                    installments=outcome.installments,
                    waived_interest=c.interest,
                    waived_fees=c.fees,
                    waived_penalty=c.penalty,
                    written_off_principal=c.principal,
                    stop_penalty=outcome.stop_penalty,
                    hold_delinquency=held,
                    method=_method(terms),
                ),
            )
            done = uow.conn.execute(
                update(hardship_proposal)
                .where(
                    hardship_proposal.c.borrower_id == row.borrower_id,
                    hardship_proposal.c.id == proposal_id,
                    hardship_proposal.c.status == ProposalStatus.OFFERED.value,
                )
                .values(status=ProposalStatus.ACCEPTED.value, decided_at=uow.clock.now())
            ).rowcount
            if done != 1:  # pragma: no cover - the loan's lock serialises acceptances
                raise Conflict("proposal_not_offered", f"proposal {proposal_id} was answered meanwhile")
            records.set_request(uow, records.request_row(uow, row.request_id), RequestStatus.ACCEPTED)
            uow.conn.execute(
                insert(hardship_plan).values(
                    borrower_id=row.borrower_id,
                    id=plan_id,
                    loan_id=row.loan_id,
                    active_loan_id=row.loan_id,
                    request_id=row.request_id,
                    proposal_id=proposal_id,
                    kind=terms.kind.value,
                    status=PlanStatus.ACTIVE.value,
                    started_on=today,
                    schedule_version=version,
                    first_seq=first_seq,
                    delinquency_held=held,
                    reaged_on=None,
                    ended_on=None,
                    missed_due=None,
                    consent_version=consent_version,
                    fingerprint=fingerprint,
                    accepted_at=uow.clock.now(),
                )
            )
            money = Money.zero(position.currency)
            uow.publish(
                PlanStarted(
                    plan_id=plan_id,
                    request_id=row.request_id,
                    proposal_id=proposal_id,
                    loan_id=row.loan_id,
                    borrower_id=row.borrower_id,
                    kind=terms.kind.value,
                    schedule_version=version,
                    first_due_date=outcome.installments[0].due,
                    maturity_date=outcome.installments[-1].due,
                    installments=len(outcome.installments),
                    concessions=money + Money(c.owed, position.currency),
                    interest_forgone=Money(c.interest_forgone, position.currency),
                    delinquency_held=held,
                    consent_version=consent_version,
                    business_date=today,
                )
            )
            uow.commit()
        return self.plan(plan_id)

    # -- reading ----------------------------------------------------------------------------------

    def plan(self, plan_id: str, *, borrower_id: str | None = None) -> PlanView:
        with self._uow(read_only=True) as uow:
            row = uow.conn.execute(select(hardship_plan).where(hardship_plan.c.id == plan_id)).first()
        if row is None or (borrower_id is not None and row.borrower_id != borrower_id):
            raise NotFound("plan_not_found", f"no plan {plan_id}")
        return _plan_view(row)

    def plans_of_loan(self, loan_id: str) -> list[PlanView]:
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(hardship_plan)
                .where(hardship_plan.c.loan_id == loan_id)
                .order_by(hardship_plan.c.started_on, hardship_plan.c.id)
            ).all()
        return [_plan_view(r) for r in rows]

    # -- end-of-day -------------------------------------------------------------------------------

    def run_day(self, uow: UnitOfWork, business_date: date, part: Partition | None = None) -> int:
        """Expire offers whose last day this is; keep, break, re-age or complete every active plan at the end
        of `business_date` (of one partition's borrowers); how many changed."""
        expired = self._expire_offers(uow, business_date, part)
        rows = uow.conn.execute(
            select(hardship_plan)
            .where(hardship_plan.c.status == PlanStatus.ACTIVE.value)
            .order_by(hardship_plan.c.borrower_id, hardship_plan.c.id)
        ).all()
        return expired + sum(
            self._close_day(uow, row, business_date) for row in rows if part is None or part.holds(row.borrower_id)
        )

    def _expire_offers(self, uow: UnitOfWork, today: date, part: Partition | None = None) -> int:
        """Offers made `offer_valid_days` or more days ago and not accepted: closed with their request."""
        last_offered = today - timedelta(days=self._rules.offer_valid_days)
        stale = uow.conn.execute(
            select(hardship_proposal)
            .where(
                hardship_proposal.c.status == ProposalStatus.OFFERED.value,
                hardship_proposal.c.offered_on <= last_offered,
            )
            .order_by(hardship_proposal.c.borrower_id, hardship_proposal.c.id)
        ).all()
        stale = [row for row in stale if part is None or part.holds(row.borrower_id)]
        for row in stale:
            uow.conn.execute(
                update(hardship_proposal)
                .where(hardship_proposal.c.borrower_id == row.borrower_id, hardship_proposal.c.id == row.id)
                .values(status=ProposalStatus.EXPIRED.value, decided_at=uow.clock.now())
            )
            records.set_request(uow, records.request_row(uow, row.request_id), RequestStatus.EXPIRED)
            uow.publish(RequestExpired(row.request_id, row.id, row.loan_id, row.borrower_id, today))
        return len(stale)

    def _close_day(self, uow: UnitOfWork, row: Row[Any], today: date) -> int:
        position = self._loans.position_in(uow, row.loan_id)
        policy = self._rules.reage
        installments = self._loans.installments_in(uow, row.loan_id, row.first_seq)
        plan = progress(installments, today, self._rules.break_grace_days, policy)
        if position.state is not LoanState.ACTIVE:
            status = PlanStatus.COMPLETED if plan.standing is Standing.COMPLETED else PlanStatus.ENDED
            self._end(uow, row, status, today)
            uow.publish(PlanEnded(row.id, row.loan_id, row.borrower_id, status.value, today))
            return 1
        if plan.standing is Standing.BROKEN:
            assert plan.missed is not None
            dpd = position.days_past_due
            if row.delinquency_held:
                dpd = self._loans.release_delinquency_in(uow, row.loan_id, reaged=False, end_of=today)
            self._end(uow, row, PlanStatus.BROKEN, today, missed_due=plan.missed.due)
            uow.publish(PlanBroken(row.id, row.loan_id, row.borrower_id, plan.missed.due, dpd, today))
            return 1
        changed = 0
        if row.delinquency_held and should_reage(policy, plan, records.reages_in(uow, row.loan_id), today):
            self._loans.release_delinquency_in(uow, row.loan_id, reaged=True, end_of=today)
            uow.conn.execute(
                update(hardship_plan)
                .where(hardship_plan.c.borrower_id == row.borrower_id, hardship_plan.c.id == row.id)
                .values(delinquency_held=False, reaged_on=today)
            )
            uow.publish(PlanReaged(row.id, row.loan_id, row.borrower_id, policy.rule, plan.counted, today))
            changed = 1
        if plan.standing is Standing.COMPLETED:
            self._end(uow, row, PlanStatus.COMPLETED, today)
            uow.publish(PlanEnded(row.id, row.loan_id, row.borrower_id, PlanStatus.COMPLETED.value, today))
            changed = 1
        return changed

    def _end(
        self, uow: UnitOfWork, row: Row[Any], status: PlanStatus, today: date, missed_due: date | None = None
    ) -> None:
        uow.conn.execute(
            update(hardship_plan)
            .where(hardship_plan.c.borrower_id == row.borrower_id, hardship_plan.c.id == row.id)
            .values(status=status.value, active_loan_id=None, ended_on=today, missed_due=missed_due)
        )


class HardshipStep:
    """End-of-day: the day's keeping, breaking and re-aging of plans (`HardshipPlans.run_day`)."""

    name = "hardship_plans"

    def __init__(self, plans: HardshipPlans) -> None:
        self._plans = plans

    def run(self, uow: UnitOfWork, business_date: date) -> int:
        return self._plans.run_day(uow, business_date)

    def run_partition(self, uow: UnitOfWork, business_date: date, part: Partition | None) -> int:
        return self._plans.run_day(uow, business_date, part)


def _method(terms: Terms) -> Method | None:
    """The amortisation the new schedule follows, where the kind changes it."""
    if terms.kind is Kind.INTEREST_STOP:
        return Method.EQUAL_PRINCIPAL
    if terms.kind is Kind.TERM_EXTENSION:
        return terms.method
    return None


def _plan_view(row: Row[Any]) -> PlanView:
    return PlanView(
        plan_id=row.id,
        loan_id=row.loan_id,
        borrower_id=row.borrower_id,
        request_id=row.request_id,
        proposal_id=row.proposal_id,
        kind=Kind(row.kind),
        status=PlanStatus(row.status),
        started_on=row.started_on,
        schedule_version=row.schedule_version,
        delinquency_held=row.delinquency_held,
        reaged_on=row.reaged_on,
        ended_on=row.ended_on,
        missed_due=row.missed_due,
        consent_version=row.consent_version,
        fingerprint=row.fingerprint,
    )
