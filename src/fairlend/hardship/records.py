"""Hardship's rows: reading and writing requests, proposals and plans inside a caller's unit of work.

The services (service.py, plans.py) own the transactions; these helpers only
run statements in them and turn rows into views.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, or_, select, update

from fairlend.db.uow import UnitOfWork
from fairlend.errors import NotFound
from fairlend.hardship.model import (
    Concessions,
    DeclineReason,
    Kind,
    Outcome,
    ProposalStatus,
    Reason,
    RequestStatus,
    Terms,
    installment_from_dict,
    installment_to_dict,
    starts_cooldown,
)
from fairlend.hardship.tables import hardship_evidence, hardship_plan, hardship_proposal, hardship_request
from fairlend.hardship.views import EvidenceView, ProposalView, QueueItem, RequestView

OPEN = (RequestStatus.PENDING.value, RequestStatus.PROPOSED.value)
LIVE = (ProposalStatus.AWAITING_APPROVAL.value, ProposalStatus.OFFERED.value)


def reages_in(uow: UnitOfWork, loan_id: str) -> list[date]:
    return list(
        uow.conn.execute(
            select(hardship_plan.c.reaged_on).where(
                hardship_plan.c.loan_id == loan_id, hardship_plan.c.reaged_on.is_not(None)
            )
        ).scalars()
    )


def request_row(uow: UnitOfWork, request_id: str) -> Row[Any]:
    row = uow.conn.execute(select(hardship_request).where(hardship_request.c.id == request_id)).first()
    if row is None:
        raise NotFound("request_not_found", f"no request {request_id}")
    return row


def lock_request(uow: UnitOfWork, row: Row[Any]) -> None:
    """Hold the request's row until the caller commits (two uploads at once count one after the other)."""
    uow.conn.execute(
        select(hardship_request.c.id)
        .where(hardship_request.c.borrower_id == row.borrower_id, hardship_request.c.id == row.id)
        .with_for_update()
    )


def proposal_row(uow: UnitOfWork, proposal_id: str) -> Row[Any]:
    row = uow.conn.execute(select(hardship_proposal).where(hardship_proposal.c.id == proposal_id)).first()
    if row is None:
        raise NotFound("proposal_not_found", f"no proposal {proposal_id}")
    return row


def proposal_rows(uow: UnitOfWork, request_id: str) -> list[Row[Any]]:
    return list(
        uow.conn.execute(
            select(hardship_proposal)
            .where(hardship_proposal.c.request_id == request_id)
            .order_by(hardship_proposal.c.created_at, hardship_proposal.c.id)
        )
    )


def request_ids_of(uow: UnitOfWork, borrower_id: str) -> list[str]:
    """A borrower's requests, the latest first."""
    t = hardship_request
    query = select(t.c.id).where(t.c.borrower_id == borrower_id).order_by(t.c.created_at.desc(), t.c.id)
    return list(uow.conn.execute(query).scalars())


def open_request(uow: UnitOfWork, loan_id: str) -> Row[Any] | None:
    return uow.conn.execute(select(hardship_request).where(hardship_request.c.open_loan_id == loan_id)).first()


def active_plan(uow: UnitOfWork, loan_id: str) -> Row[Any] | None:
    return uow.conn.execute(select(hardship_plan).where(hardship_plan.c.active_loan_id == loan_id)).first()


def cooldown_end(uow: UnitOfWork, loan_id: str, days: int, reasons: Sequence[DeclineReason]) -> date | None:
    """The first day a new request on the loan is taken after its latest expired offer or decline for one of
    `reasons` (model.starts_cooldown); None when none started a cool-down."""
    t = hardship_request
    closed = uow.conn.execute(
        select(t.c.status, t.c.decided_on, t.c.decline_reasons).where(
            t.c.loan_id == loan_id,
            t.c.status.in_((RequestStatus.DECLINED.value, RequestStatus.EXPIRED.value)),
        )
    )
    days_closed = [
        r.decided_on for r in closed if starts_cooldown(RequestStatus(r.status), r.decline_reasons or (), reasons)
    ]
    return max(days_closed) + timedelta(days=days) if days_closed else None


def late_requests(uow: UnitOfWork, today: date) -> list[Row[Any]]:
    """Requests whose deadline has passed and that were answered after it or not at all."""
    t = hardship_request
    return list(
        uow.conn.execute(
            select(t.c.id, t.c.loan_id, t.c.borrower_id, t.c.requested_on, t.c.answer_due, t.c.answered_on)
            .where(t.c.answer_due < today, or_(t.c.answered_on.is_(None), t.c.answered_on > t.c.answer_due))
            .order_by(t.c.answer_due, t.c.id)
        )
    )


def withdraw_live(uow: UnitOfWork, request_id: str) -> None:
    uow.conn.execute(
        update(hardship_proposal)
        .where(hardship_proposal.c.request_id == request_id, hardship_proposal.c.status.in_(LIVE))
        .values(status=ProposalStatus.WITHDRAWN.value, decided_at=uow.clock.now())
    )


def mark_answered(uow: UnitOfWork, row: Row[Any]) -> None:
    """The borrower got an answer today (an offer or a decline), unless they got one before."""
    uow.conn.execute(
        update(hardship_request)
        .where(
            hardship_request.c.borrower_id == row.borrower_id,
            hardship_request.c.id == row.id,
            hardship_request.c.answered_on.is_(None),
        )
        .values(answered_on=uow.clock.business_date())
    )


def set_request(uow: UnitOfWork, row: Row[Any], status: RequestStatus) -> None:
    closed = status in (RequestStatus.DECLINED, RequestStatus.ACCEPTED, RequestStatus.EXPIRED)
    uow.conn.execute(
        update(hardship_request)
        .where(hardship_request.c.borrower_id == row.borrower_id, hardship_request.c.id == row.id)
        .values(
            status=status.value,
            open_loan_id=None if closed else row.loan_id,
            decided_on=uow.clock.business_date() if closed else None,
        )
    )


def numbers(outcome: Outcome) -> dict[str, Any]:
    c = outcome.concessions
    return {
        "as_of": outcome.as_of.isoformat(),
        "owed": outcome.owed,
        "paid": outcome.paid,
        "rate": str(outcome.rate),
        "apr": str(outcome.apr),
        "stop_penalty": outcome.stop_penalty,
        "concessions": [c.interest, c.fees, c.penalty, c.principal, c.interest_forgone],
        "installments": [installment_to_dict(line) for line in outcome.installments],
        "loan_id": outcome.loan_id,
    }


def stored_outcome(row: Row[Any], terms: Terms) -> Outcome:
    n = row.numbers
    return Outcome(
        loan_id=n["loan_id"],
        as_of=date.fromisoformat(n["as_of"]),
        terms=terms,
        owed=int(n["owed"]),
        paid=int(n["paid"]),
        installments=tuple(installment_from_dict(i) for i in n["installments"]),
        rate=Decimal(n["rate"]),
        apr=Decimal(n["apr"]),
        concessions=Concessions(*(int(v) for v in n["concessions"])),
        stop_penalty=bool(n["stop_penalty"]),
        problems=(),
    )


def evidence_of(uow: UnitOfWork, borrower_id: str, request_id: str) -> list[EvidenceView]:
    t = hardship_evidence
    rows = uow.conn.execute(
        select(t.c.id, t.c.request_id, t.c.borrower_id, t.c.content_type, t.c.size, t.c.sha256, t.c.uploaded_at)
        .where(t.c.borrower_id == borrower_id, t.c.request_id == request_id)
        .order_by(t.c.uploaded_at, t.c.id)
    )
    return [evidence_view(r) for r in rows]


def evidence_view(row: Any) -> EvidenceView:
    return EvidenceView(
        row.id, row.request_id, row.borrower_id, row.content_type, row.size, row.sha256, row.uploaded_at
    )


def request_view(
    row: Row[Any], proposals: list[ProposalView], today: date, evidence: list[EvidenceView] | None = None
) -> RequestView:
    return RequestView(
        request_id=row.id,
        loan_id=row.loan_id,
        borrower_id=row.borrower_id,
        kind=Kind(row.kind),
        reason=Reason(row.reason),
        currency=row.currency,
        income=row.income_minor,
        expenses=row.expenses_minor,
        status=RequestStatus(row.status),
        requested_on=row.requested_on,
        answer_due=row.answer_due,
        days_left=(row.answer_due - today).days,
        decided_on=row.decided_on,
        decline_reasons=tuple(row.decline_reasons or ()),
        proposals=tuple(proposals),
        answered_on=row.answered_on,
        evidence=tuple(evidence or ()),
    )


def queue_items(uow: UnitOfWork, today: date, limit: int) -> list[QueueItem]:
    """Open requests, the nearest deadline first, with whether a proposal waits for a second operator."""
    rows = uow.conn.execute(
        select(hardship_request)
        .where(hardship_request.c.status.in_(OPEN))
        .order_by(hardship_request.c.answer_due, hardship_request.c.created_at, hardship_request.c.id)
        .limit(limit)
    ).all()
    waiting = set(
        uow.conn.execute(
            select(hardship_proposal.c.request_id).where(
                hardship_proposal.c.status == ProposalStatus.AWAITING_APPROVAL.value,
                hardship_proposal.c.request_id.in_([r.id for r in rows]),
            )
        ).scalars()
    )
    return [
        QueueItem(
            r.id,
            r.loan_id,
            r.borrower_id,
            Kind(r.kind),
            Reason(r.reason),
            RequestStatus(r.status),
            r.answer_due,
            (r.answer_due - today).days,
            r.id in waiting,
        )
        for r in rows
    ]
