"""Hardship requests in every state, for the page sweeps (language, browser): the demo's few late payers
seldom ask within its days, so the crawled borrower is given four delinquent loans of their own.

- a plan accepted (the plan page, and the loan page with both schedule versions);
- an offer waiting for the borrower (the accept form, with the numbers and the consent text);
- a proposal waiting for a second operator (the desk's approve and reject forms);
- a declined request (the reasons in words, and the cool-down on the loan's ask page);
- an evidence file with the offered request (the borrower's list, the desk's download link).
"""

from __future__ import annotations

from datetime import timedelta

from fairlend.bootstrap import Container
from fairlend.hardship.model import DeclineReason, Kind, Reason, Terms
from fairlend.sim.report import DemoReport

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _operator(container: Container, report: DemoReport, role: str) -> str:
    login = next(o for o in report.operators if o.role == role)
    return next(o.operator_id for o in container.identity.accounts.operators() if o.username == login.username)


def seed_hardship(container: Container, report: DemoReport) -> dict[str, str]:
    """The request ids by state, all of `report.borrowers[0]`'s."""
    who = report.borrowers[0].person_id
    product = container.lending.loan_detail(report.borrowers[0].loan_id).product_code
    maker, checker = _operator(container, report, "underwriter"), _operator(container, report, "admin")
    today = container.clock.business_date()
    hardship = container.hardship
    loans = [
        container.lending.book_loan(
            who, product, container.lending.loan_detail(report.borrowers[0].loan_id).principal, open_date=opened
        )
        for opened in [today - timedelta(days=75)] * 4
    ]
    accepted = hardship.file_request(who, loans[0], Kind.TERM_EXTENSION, Reason.INCOME_DROP, income=500_000)
    made = hardship.propose(accepted.request_id, Terms(Kind.TERM_EXTENSION, periods=3), maker)
    if made.needs_approval:
        hardship.approve(made.proposal_id, checker)
    offer = hardship.request(accepted.request_id).offer
    assert offer is not None
    hardship.accept(offer.proposal_id, who, offer.outcome.fingerprint, container.profile.hardship.consent_version)

    offered = hardship.file_request(who, loans[1], Kind.PAYMENT_HOLIDAY, Reason.ILLNESS)
    hardship.evidence.upload(who, offered.request_id, PNG, claimed_type="image/png")  # the desk lists it
    made = hardship.propose(offered.request_id, Terms(Kind.PAYMENT_HOLIDAY, periods=1), maker)
    if made.needs_approval:
        hardship.approve(made.proposal_id, checker)

    waiting = hardship.file_request(who, loans[2], Kind.DISCOUNTED_SETTLEMENT, Reason.JOB_LOSS, expenses=300_000)
    # Forgiving a little above the approval threshold (and within the kind's largest discount).
    owed = container.lending.position(loans[2]).owed
    forgiven = container.profile.hardship.approval_threshold_minor + 100
    big = Terms(Kind.DISCOUNTED_SETTLEMENT, amount=owed - forgiven, pay_by=today + timedelta(days=10))
    assert hardship.propose(waiting.request_id, big, maker).needs_approval

    declined = hardship.file_request(who, loans[3], Kind.INTEREST_STOP, Reason.DISASTER)
    hardship.decline(declined.request_id, maker, [DeclineReason.AFFORDABILITY, DeclineReason.INCOMPLETE])
    return {
        "accepted": accepted.request_id,
        "offered": offered.request_id,
        "waiting": waiting.request_id,
        "declined": declined.request_id,
    }
