"""The request, the proposal, maker-checker and the decline, on the real services (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fairlend.bootstrap import Container
from fairlend.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, PolicyViolation
from fairlend.hardship.model import DeclineReason, Kind, ProposalStatus, Reason, RequestStatus, Terms
from fairlend.money import Money
from tests.hardship.conftest import BORROWER
from tests.hardship.helpers import counts, events, file, settlement


def test_a_borrower_files_a_request_and_the_profiles_answer_clock_starts(container: Container, late_loan: str) -> None:
    request = file(container, late_loan)
    assert request.status is RequestStatus.PENDING
    assert request.answer_due == request.requested_on + timedelta(days=15)  # cn: answer_days
    assert request.days_left == 15 and not request.overdue
    assert (request.income, request.expenses, request.reason) == (600_000, 450_000, Reason.JOB_LOSS)
    (filed,) = events(container, "hardship.RequestFiled")
    assert filed["loan_id"] == late_loan and filed["answer_due"] == request.answer_due.isoformat()
    # Neither the statement nor the reason (it may be illness: health data) reaches the outbox.
    assert "income" not in str(filed) and "expenses" not in str(filed) and "job_loss" not in str(filed)


def test_one_open_request_per_loan_and_only_on_ones_own_active_loan(container: Container, late_loan: str) -> None:
    file(container, late_loan)
    with pytest.raises(Conflict) as twice:
        file(container, late_loan)
    assert twice.value.code == "request_open"
    with pytest.raises(NotFound) as other:
        container.hardship.file_request("brw_someone_else", late_loan, Kind.INTEREST_STOP, Reason.ILLNESS)
    assert other.value.code == "loan_not_found"
    with pytest.raises(Invalid) as negative:
        container.hardship.file_request(BORROWER, late_loan, Kind.INTEREST_STOP, Reason.ILLNESS, income=-1)
    assert negative.value.code == "statement_negative"


def test_a_settled_loan_takes_no_request(container: Container, late_loan: str) -> None:
    container.lending.settle_early(late_loan)
    with pytest.raises(Conflict) as settled:
        file(container, late_loan)
    assert settled.value.code == "loan_settled"


def test_the_queue_puts_the_nearest_deadline_first_and_flags_a_missed_one(
    container: Container, late_loan: str, clock: object
) -> None:
    request = file(container, late_loan)
    (item,) = container.hardship.queue()
    assert (item.request_id, item.days_left, item.awaiting_approval) == (request.request_id, 15, False)
    container.eod.run(through=request.answer_due)  # one day past the deadline, still unanswered
    (late,) = container.hardship.queue()
    assert late.days_left == -1
    assert container.hardship.request(request.request_id).overdue


def test_a_small_concession_is_offered_at_once(container: Container, late_loan: str) -> None:
    request = file(container, late_loan)
    proposal = container.hardship.propose(request.request_id, Terms(Kind.TERM_EXTENSION, periods=6), "op_maker")
    assert proposal.status is ProposalStatus.OFFERED and not proposal.needs_approval
    assert proposal.outcome.concessions.total <= container.profile.hardship.approval_threshold_minor
    assert container.hardship.request(request.request_id).status is RequestStatus.PROPOSED


def test_a_large_concession_waits_for_a_second_operator_who_is_not_the_proposer(
    container: Container, late_loan: str
) -> None:
    request = file(container, late_loan)
    proposal = container.hardship.propose(request.request_id, settlement(container, late_loan), "op_maker")
    assert proposal.needs_approval and proposal.status is ProposalStatus.AWAITING_APPROVAL
    assert proposal.outcome.concessions.principal > container.profile.hardship.approval_threshold_minor
    assert container.hardship.request(request.request_id, borrower_id=BORROWER).offer is None
    with pytest.raises(Forbidden) as self_approval:
        container.hardship.approve(proposal.proposal_id, "op_maker")
    assert self_approval.value.code == "approver_is_proposer"
    approved = container.hardship.approve(proposal.proposal_id, "op_checker")
    assert approved.status is ProposalStatus.OFFERED and approved.approved_by == "op_checker"
    with pytest.raises(Conflict) as again:
        container.hardship.approve(proposal.proposal_id, "op_third")
    assert again.value.code == "proposal_not_awaiting_approval"
    (event,) = events(container, "hardship.ProposalApproved")
    assert (event["proposed_by"], event["decided_by"], event["approved"]) == ("op_maker", "op_checker", True)


def test_a_rejected_proposal_sends_the_request_back_to_the_queue(container: Container, late_loan: str) -> None:
    request = file(container, late_loan)
    proposal = container.hardship.propose(request.request_id, settlement(container, late_loan), "op_maker")
    rejected = container.hardship.reject(proposal.proposal_id, "op_checker")
    assert rejected.status is ProposalStatus.REJECTED
    assert container.hardship.request(request.request_id).status is RequestStatus.PENDING


def test_a_new_proposal_withdraws_the_one_before(container: Container, late_loan: str) -> None:
    request = file(container, late_loan)
    first = container.hardship.propose(request.request_id, Terms(Kind.TERM_EXTENSION, periods=6), "op_maker")
    container.hardship.propose(request.request_id, Terms(Kind.TERM_EXTENSION, periods=9), "op_maker")
    statuses = [p.status for p in container.hardship.request(request.request_id).proposals]
    assert statuses == [ProposalStatus.WITHDRAWN, ProposalStatus.OFFERED]
    assert container.hardship.proposal(first.proposal_id).status is ProposalStatus.WITHDRAWN


@pytest.mark.parametrize(
    ("terms", "error", "code"),
    [
        (
            Terms(Kind.OPERATOR_RESCHEDULE, rate=__import__("decimal").Decimal("0.30")),
            PolicyViolation,
            "rate_above_cap",
        ),
        (Terms(Kind.INTEREST_STOP, periods=12, waive_penalty=10**9), Invalid, "waiver_exceeds_owed"),
        (Terms(Kind.INTEREST_STOP, periods=61), Invalid, "periods_out_of_range"),
        (Terms(Kind.DISCOUNTED_SETTLEMENT, amount=1), Invalid, "discount_beyond_type_max"),
    ],
)
def test_a_refused_proposal_says_every_problem_and_writes_nothing(
    container: Container, late_loan: str, terms: Terms, error: type[DomainError], code: str
) -> None:
    request = file(container, late_loan)
    before = counts(container)
    with pytest.raises(error) as refused:
        container.hardship.propose(request.request_id, terms, "op_maker")
    assert refused.value.code == code
    assert code in [p["code"] for p in refused.value.extra["problems"]]
    assert counts(container) == before
    assert container.hardship.request(request.request_id).status is RequestStatus.PENDING


def test_a_proposal_on_a_loan_settled_meanwhile_is_a_conflict(container: Container, late_loan: str) -> None:
    request = file(container, late_loan)
    container.lending.settle_early(late_loan)
    with pytest.raises(Conflict) as settled:
        container.hardship.propose(request.request_id, Terms(Kind.TERM_EXTENSION, periods=6), "op_maker")
    assert settled.value.code == "loan_settled"


def test_a_decline_gives_its_reasons_and_closes_the_request(container: Container, late_loan: str) -> None:
    request = file(container, late_loan)
    container.hardship.propose(request.request_id, Terms(Kind.TERM_EXTENSION, periods=6), "op_maker")
    declined = container.hardship.decline(request.request_id, "op_maker", [DeclineReason.AFFORDABILITY])
    assert declined.status is RequestStatus.DECLINED and declined.decline_reasons == ("affordability",)
    assert [p.status for p in declined.proposals] == [ProposalStatus.WITHDRAWN]
    with pytest.raises(Invalid) as no_reason:
        container.hardship.decline(request.request_id, "op_maker", [])
    assert no_reason.value.code == "decline_reasons_required"
    with pytest.raises(Conflict) as closed:
        container.hardship.decline(request.request_id, "op_maker", [DeclineReason.OTHER])
    assert closed.value.code == "request_closed"
    with pytest.raises(Conflict) as cooling:  # not request_open: the cool-down (test_offer_expiry.py)
        file(container, late_loan)
    assert cooling.value.code == "request_cooldown"


def test_a_borrower_reads_only_their_own_request(container: Container, late_loan: str) -> None:
    request = file(container, late_loan)
    assert container.hardship.request(request.request_id, borrower_id=BORROWER).request_id == request.request_id
    with pytest.raises(NotFound) as other:
        container.hardship.request(request.request_id, borrower_id="brw_other")
    assert other.value.code == "request_not_found"
    assert [r.request_id for r in container.hardship.requests_of(BORROWER)] == [request.request_id]


def test_a_preview_writes_nothing_and_shows_the_problems(container: Container, late_loan: str) -> None:
    before = counts(container)
    outcome = container.hardship.preview(late_loan, Terms(Kind.PAYMENT_HOLIDAY, periods=9))
    assert outcome.codes == ("periods_out_of_range",)
    assert container.hardship.preview(late_loan, Terms(Kind.PAYMENT_HOLIDAY, periods=2)).ok
    assert counts(container) == before
    assert Money(outcome.owed, "CNY").minor > 0
