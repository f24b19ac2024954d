"""Reading what hardship wrote, for assertions only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from fairlend.bootstrap import Container
from fairlend.db import outbox
from fairlend.hardship.model import Kind, Reason, Terms
from fairlend.hardship.tables import hardship_plan, hardship_proposal, hardship_request
from fairlend.hardship.views import PlanView, ProposalView, RequestView
from fairlend.ledger.tables import ledger_entry
from fairlend.lending.tables import loan_installment, loan_schedule_version
from tests.hardship.conftest import BORROWER

CONSENT = "hardship-consent-v1"


def events(container: Container, event_type: str) -> list[dict[str, Any]]:
    with container.uow(read_only=True) as uow:
        return [e.payload for e in outbox.read_after(uow.conn, outbox.START, types=[event_type])]


def counts(container: Container) -> dict[str, int]:
    """Rows in every table a hardship use case may write: a refusal must leave all of them unchanged."""
    with container.uow(read_only=True) as uow:
        out = {
            t.name: int(uow.conn.execute(select(func.count()).select_from(t)).scalar() or 0)
            for t in (hardship_request, hardship_proposal, hardship_plan, loan_schedule_version, ledger_entry)
        }
        out["installments"] = int(uow.conn.execute(select(func.count()).select_from(loan_installment)).scalar() or 0)
        out["outbox"] = len(list(outbox.read_after(uow.conn, outbox.START)))
    return out


def file(container: Container, loan_id: str, kind: Kind = Kind.INTEREST_STOP) -> RequestView:
    return container.hardship.file_request(BORROWER, loan_id, kind, Reason.JOB_LOSS, income=600_000, expenses=450_000)


def offer_and_accept(container: Container, request: RequestView, terms: Terms) -> tuple[ProposalView, PlanView]:
    proposal = container.hardship.propose(request.request_id, terms, "op_maker")
    if proposal.needs_approval:
        container.hardship.approve(proposal.proposal_id, "op_checker")
    offer = container.hardship.request(request.request_id, borrower_id=BORROWER).offer
    assert offer is not None
    plan = container.hardship.accept(offer.proposal_id, BORROWER, offer.outcome.fingerprint, CONSENT)
    return offer, plan


def settlement(container: Container, loan_id: str, forgiven: int = 300_000) -> Terms:
    """A discounted settlement forgiving `forgiven` (above cn's ¥2,000 threshold by default), due in 10 days."""
    position = container.lending.position(loan_id)
    return Terms(
        Kind.DISCOUNTED_SETTLEMENT, amount=position.owed - forgiven, pay_by=position.as_of + timedelta(days=10)
    )
