"""Two operators approving at once, two acceptances at once: one wins, the other changes nothing."""

from __future__ import annotations

from collections import Counter

from fairlend.bootstrap import Container
from fairlend.hardship.model import Kind, PlanStatus, ProposalStatus, Terms
from tests.hardship.conftest import BORROWER
from tests.hardship.helpers import CONSENT, events, file, settlement
from tests.market.support import race


def test_two_checkers_approving_at_once_one_wins(container: Container, late_loan: str) -> None:
    request = file(container, late_loan)
    proposal = container.hardship.propose(request.request_id, settlement(container, late_loan), "op_maker")
    outcomes = race(
        [
            lambda: container.hardship.approve(proposal.proposal_id, "op_checker_1"),
            lambda: container.hardship.approve(proposal.proposal_id, "op_checker_2"),
        ]
    )
    assert outcomes == Counter({"ok": 1, "proposal_not_awaiting_approval": 1})
    approved = container.hardship.proposal(proposal.proposal_id)
    assert approved.status is ProposalStatus.OFFERED and approved.approved_by in ("op_checker_1", "op_checker_2")
    assert len(events(container, "hardship.ProposalApproved")) == 1


def test_an_approval_and_a_rejection_at_once_one_wins(container: Container, late_loan: str) -> None:
    request = file(container, late_loan)
    proposal = container.hardship.propose(request.request_id, settlement(container, late_loan), "op_maker")
    outcomes = race(
        [
            lambda: container.hardship.approve(proposal.proposal_id, "op_checker_1"),
            lambda: container.hardship.reject(proposal.proposal_id, "op_checker_2"),
        ]
    )
    assert outcomes == Counter({"ok": 1, "proposal_not_awaiting_approval": 1})
    assert container.hardship.proposal(proposal.proposal_id).status in (ProposalStatus.OFFERED, ProposalStatus.REJECTED)


def test_two_acceptances_at_once_make_one_plan_and_one_schedule_version(container: Container, late_loan: str) -> None:
    request = file(container, late_loan)
    proposal = container.hardship.propose(request.request_id, Terms(Kind.TERM_EXTENSION, periods=6), "op_maker")
    seen = proposal.outcome.fingerprint
    outcomes = race([lambda: container.hardship.accept(proposal.proposal_id, BORROWER, seen, CONSENT)] * 2)
    assert outcomes["ok"] == 1 and sum(outcomes.values()) == 2
    assert set(outcomes) - {"ok"} <= {"proposal_not_offered", "proposal_changed"}
    (plan,) = container.hardship.plans_of_loan(late_loan)
    assert plan.status is PlanStatus.ACTIVE
    assert [v["version"] for v in container.lending.schedule_versions(late_loan)] == [1, 2]
    assert container.verify() == []
