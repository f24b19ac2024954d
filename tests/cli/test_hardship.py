"""`fairlend loan modify ...`: the operators' hardship commands, as an adversary would use them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fairlend.bootstrap import Container
from fairlend.cli import app
from fairlend.clock import FixedClock
from fairlend.hardship.model import Kind, ProposalStatus, RequestStatus
from fairlend.identity.model import AuditFilter, Principal, Role
from tests.hardship.conftest import BORROWER
from tests.hardship.helpers import counts, file, settlement

runner = CliRunner(env={"COLUMNS": "250"})
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    # Under xdist Rich sizes the shared console from the worker's streams, not COLUMNS: ids would be cut.
    import fairlend.cli

    monkeypatch.setattr(fairlend.cli.out, "_width", 250)


@dataclass(frozen=True)
class Operators:
    maker: str
    checker: str
    compliance: str


@pytest.fixture
def ops(container: Container, monkeypatch: pytest.MonkeyPatch) -> Operators:
    # The commands open the container; hand them this test's.
    monkeypatch.setattr("fairlend.cli.open_container", lambda **_: container)
    accounts = container.identity.accounts
    made = [
        accounts.create_operator(name, "a long operator password", role).operator.operator_id
        for name, role in (("maker", Role.UNDERWRITER), ("checker", Role.COLLECTOR), ("auditor", Role.COMPLIANCE))
    ]
    return Operators(*made)


def test_an_operator_works_a_request_from_the_queue_to_an_approved_offer(
    container: Container, late_loan: str, ops: Operators
) -> None:
    request = file(container, late_loan)
    queued = runner.invoke(app, ["loan", "modify", "queue"])
    assert queued.exit_code == 0, queued.output
    assert request.request_id in queued.output and "1 open requests" in queued.output
    previewed = runner.invoke(
        app, ["loan", "modify", "preview", late_loan, "--kind", "interest-stop", "--periods", "24"]
    )
    assert previewed.exit_code == 0, previewed.output
    assert "APR" in previewed.output and "problem" not in previewed.output
    assert counts(container)["hardship_proposal"] == 0  # a preview writes nothing
    owed = container.lending.position(late_loan).owed
    settle = f"{(owed - 300_000) / 100:.2f}"  # forgives ¥3,000: above cn's ¥2,000 threshold
    proposed = runner.invoke(
        app,
        ["loan", "modify", "propose", request.request_id, "--operator", ops.maker,
         "--kind", "discounted_settlement", "--amount", settle, "--pay-by", "2026-03-10"],
    )  # fmt: skip
    assert proposed.exit_code == 0, proposed.output
    assert "awaiting_approval" in proposed.output and "3000.00" in proposed.output
    (proposal,) = container.hardship.request(request.request_id).proposals
    approved = runner.invoke(app, ["loan", "modify", "approve", proposal.proposal_id, "--operator", ops.checker])
    assert approved.exit_code == 0, approved.output
    assert "offered until 2026-03-17" in approved.output  # cn: 15 days from the day it reached the borrower
    shown = runner.invoke(app, ["loan", "modify", "show", request.request_id])
    assert shown.exit_code == 0 and f"approved by {ops.checker}" in shown.output
    assert container.hardship.request(request.request_id).offer is not None


def test_the_maker_approving_their_own_proposal_exits_2_with_the_code_and_changes_nothing(
    container: Container, late_loan: str, ops: Operators, fails: Callable[..., str]
) -> None:
    request = file(container, late_loan)
    proposal = container.hardship.propose(request.request_id, settlement(container, late_loan), ops.maker)
    assert proposal.status is ProposalStatus.AWAITING_APPROVAL
    before = counts(container)
    line = fails("loan", "modify", "approve", proposal.proposal_id, "--operator", ops.maker)
    assert "approver_is_proposer" in line
    line = fails("loan", "modify", "reject", proposal.proposal_id, "--operator", ops.maker)
    assert "approver_is_proposer" in line
    assert counts(container) == before
    assert container.hardship.proposal(proposal.proposal_id).status is ProposalStatus.AWAITING_APPROVAL


def test_a_proposal_over_the_apr_cap_exits_2_and_writes_nothing(
    container: Container, late_loan: str, ops: Operators, fails: Callable[..., str]
) -> None:
    request = file(container, late_loan)
    before = counts(container)
    line = fails(
        "loan", "modify", "propose", request.request_id, "--operator", ops.maker,
        "--kind", "operator_reschedule", "--rate", "0.30",
    )  # fmt: skip
    assert "rate_above_cap" in line or "apr_above_cap" in line
    assert counts(container) == before
    assert container.hardship.request(request.request_id).status is RequestStatus.PENDING


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["--kind", "amnesty"], "invalid_kind"),
        (["--kind", "term_extension", "--periods", "6", "--method", "sideways"], "invalid_method"),
        (["--kind", "operator_reschedule", "--rate", "lots"], "invalid_number"),
        (["--kind", "operator_reschedule", "--rate", "NaN"], "invalid_number"),
        (["--kind", "discounted_settlement", "--amount", "1e5", "--pay-by", "2026-03-10"], "amount_invalid"),
        (["--kind", "discounted_settlement", "--amount", "100.001", "--pay-by", "2026-03-10"], "amount"),
        (["--kind", "discounted_settlement", "--amount", "100", "--pay-by", "next week"], "invalid_date"),
        (["--kind", "interest_stop", "--periods", "24", "--waive-penalty", "-5"], "waiver_negative"),
        (["--kind", "interest_stop", "--periods", "24", "--waive-penalty", "99999"], "waiver_exceeds_owed"),
    ],
)
def test_bad_terms_exit_2_with_their_code_and_write_nothing(
    container: Container, late_loan: str, ops: Operators, fails: Callable[..., str], args: list[str], code: str
) -> None:
    request = file(container, late_loan)
    before = counts(container)
    line = fails("loan", "modify", "propose", request.request_id, "--operator", ops.maker, *args)
    assert code in line and line.startswith("error: ")
    assert counts(container) == before


def test_only_an_active_hardship_officer_may_act(
    container: Container, late_loan: str, ops: Operators, fails: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    request = file(container, late_loan)
    container.identity.accounts.disable_operator(ops.checker, Principal("op_admin", Role.ADMIN))
    before = counts(container)
    decline = ("loan", "modify", "decline", request.request_id, "--reason", "affordability")
    monkeypatch.delenv("FAIRLEND_OPERATOR", raising=False)
    assert "operator_required" in fails(*decline, "--operator", "")
    assert "operator_not_found" in fails(*decline, "--operator", "op_nobody")
    assert "operator_not_allowed" in fails(*decline, "--operator", ops.compliance)  # reads, never decides
    assert "operator_not_allowed" in fails(*decline, "--operator", ops.checker)  # let go: no longer decides
    assert counts(container) == before
    assert container.hardship.request(request.request_id).status is RequestStatus.PENDING


def test_a_decline_needs_known_reasons_and_the_operator_from_the_environment(
    container: Container, late_loan: str, ops: Operators, fails: Callable[..., str]
) -> None:
    request = file(container, late_loan)
    assert "invalid_decline_reason" in fails(
        "loan", "modify", "decline", request.request_id, "--operator", ops.maker, "--reason", "vibes"
    )
    declined = runner.invoke(
        app,
        ["loan", "modify", "decline", request.request_id, "--reason", "affordability", "--reason", "incomplete"],
        env={"FAIRLEND_OPERATOR": ops.checker, "COLUMNS": "250"},
    )
    assert declined.exit_code == 0, declined.output
    assert "declined: affordability, incomplete" in declined.output
    assert "request_closed" in fails(
        "loan", "modify", "decline", request.request_id, "--operator", ops.maker, "--reason", "other"
    )


def test_deadlines_lists_a_request_the_day_after_its_deadline_not_on_it(
    container: Container, late_loan: str, ops: Operators, clock: FixedClock
) -> None:
    request = file(container, late_loan)
    container.eod.run(through=request.answer_due - timedelta(days=1))
    assert container.clock.business_date() == request.answer_due
    on_the_day = runner.invoke(app, ["loan", "modify", "deadlines"])
    assert on_the_day.exit_code == 0 and "0 missed answer deadlines" in on_the_day.output
    container.eod.run(through=request.answer_due)
    after = runner.invoke(app, ["loan", "modify", "deadlines"])
    assert after.exit_code == 0 and "1 missed answer deadlines" in after.output
    assert request.request_id in after.output and "P-11" in after.output and "answer_missed" in after.output


def test_reading_an_evidence_file_writes_it_and_is_audited(
    container: Container, late_loan: str, ops: Operators, tmp_path: Path, fails: Callable[..., str]
) -> None:
    request = file(container, late_loan, Kind.PAYMENT_HOLIDAY)
    added = container.hardship.evidence.upload(BORROWER, request.request_id, PNG)
    target = tmp_path / "evidence.png"
    assert "operator_not_allowed" in fails(
        "loan", "modify", "evidence", added.evidence_id, "--operator", ops.compliance, "--out", str(target)
    )
    assert not target.exists()
    done = runner.invoke(
        app, ["loan", "modify", "evidence", added.evidence_id, "--operator", ops.maker, "--out", str(target)]
    )
    assert done.exit_code == 0, done.output
    assert target.read_bytes() == PNG
    page = container.identity.audit.page(AuditFilter(person_id=BORROWER, actor_id=ops.maker))
    assert [(e.fields, added.evidence_id in e.purpose) for e in page.entries] == [("hardship_evidence", True)]
