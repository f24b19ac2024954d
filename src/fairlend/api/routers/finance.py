"""The books over HTTP: statements, drill-down, classification, provisions, the period close, exports.

Finance operators only (api/auth.py `FINANCE_OFFICERS`). Thin: parse, call
`container.finance` (finance/service.py and the modules it holds), render.
Amounts are minor units. Every refusal is problem+json with the service's
stable code (`invalid_month`, `close_month_not_over`, `close_previous_open`,
`four_eyes_required`, ...), and nothing is written on a refusal. Closing a
closed month answers what was recorded and changes nothing, so `POST
/close/{month}` is safe to retry without an Idempotency-Key.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from fairlend.api.auth import FINANCE_OFFICERS, require_roles
from fairlend.api.deps import ContainerDep, IdempotencyKey
from fairlend.api.routers.finance_models import (
    ChecklistItemPublic,
    ClassChangePublic,
    ClassCountPublic,
    ClassificationPublic,
    ClosedMonthPublic,
    CloseResultPublic,
    CloseStatusPublic,
    JournalLinePublic,
    JournalLinesPublic,
    LoanProvisionPublic,
    ReopenCreate,
    ReopenRequestPublic,
    SegmentPublic,
    StatementPublic,
)
from fairlend.errors import Invalid
from fairlend.finance.model import CASH_ACCOUNTS, FundingSource, Period, parse_month
from fairlend.identity.model import Principal
from fairlend.ledger.model import AccountType

router = APIRouter(prefix="/finance", tags=["finance"])

Officer = Annotated[Principal, Depends(require_roles(*FINANCE_OFFICERS))]
Month = Annotated[str, Query(max_length=7, description="YYYY-MM")]
MAX_PAGE = 1_000
EXPORTS = {
    "beancount": ("text/plain; charset=utf-8", "books.beancount"),
    "journal_csv": ("text/csv; charset=utf-8", "journal.csv"),
    "statements_csv": ("text/csv; charset=utf-8", "statements.csv"),
}


def _period(month: str | None, start: date | None, end: date | None) -> Period:
    """A month (`2026-11`), or `start`..`end`: exactly one of the two."""
    if month is not None and start is None and end is None:
        return parse_month(month)
    if month is None and start is not None and end is not None:
        return Period(start, end)
    raise Invalid("period_required", "give either month=YYYY-MM, or start and end")


@router.get("/statements", response_model=list[StatementPublic])
def statements(
    _: Officer,
    container: ContainerDep,
    month: Annotated[str | None, Query(max_length=7, description="YYYY-MM")] = None,
    start: date | None = None,
    end: date | None = None,
    currency: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
) -> list[StatementPublic]:
    """Trial balance, balance sheet, income statement and cash flow per currency, for a month or any period."""
    found = container.finance.statements.for_period(_period(month, start, end), currency)
    cash = [t.value for t in CASH_ACCOUNTS]
    return [StatementPublic.of(s, cash) for s in found]


def _types(values: list[str]) -> list[AccountType]:
    known = {t.value: t for t in AccountType}
    unknown = [v for v in values if v not in known]
    if not values or unknown:
        raise Invalid("unknown_account_type", f"not account types: {', '.join(unknown) or '(none given)'}")
    return [known[v] for v in values]


@router.get("/lines", response_model=JournalLinesPublic)
def lines(
    _: Officer,
    container: ContainerDep,
    types: Annotated[list[str], Query(max_length=40, description="the figure's `types`")],
    currency: Annotated[str, Query(min_length=3, max_length=3)],
    month: Annotated[str | None, Query(max_length=7)] = None,
    start: date | None = None,
    end: date | None = None,
    source: FundingSource | None = None,
    kind: Annotated[str | None, Query(max_length=60, description="a cash-flow line's entry kind")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> JournalLinesPublic:
    """The journal lines a figure sums (its account types, funding source, entry kind), oldest first, a page at a time.

    A balance-sheet figure sums every line through `end`: pass `start` empty with `end`, or
    the month for the month's movement."""
    period_start: date | None
    if month is None and start is None and end is not None:
        period_start, period_end = None, end
    else:
        period = _period(month, start, end)
        period_start, period_end = period.start, period.end
    found = container.finance.statements.lines(
        _types(types),
        currency,
        period_start,
        period_end,
        source=source,
        kinds=[kind] if kind else None,
        limit=limit + 1,
        offset=offset,
    )
    page = found[:limit]
    return JournalLinesPublic(
        lines=[JournalLinePublic.of(x) for x in page],
        offset=offset,
        limit=limit,
        next_offset=offset + limit if len(found) > limit else None,
        page_total=sum(x.amount for x in page),
    )


@router.get("/classification", response_model=ClassificationPublic)
def classification(_: Officer, container: ContainerDep, month: Month) -> ClassificationPublic:
    """Loans outside the first class now, and the moves between classes during `month` (transitions only)."""
    period = parse_month(month)
    finance = container.finance
    return ClassificationPublic(
        classes=list(finance.finance.class_codes()),
        current=[
            ClassCountPublic(currency=cur, class_code=code, loans=n)
            for (cur, code), n in sorted(finance.class_counts().items())
        ],
        changes=[ClassChangePublic.of(c) for c in finance.changes(period)],
    )


@router.get("/provisions", response_model=list[SegmentPublic])
def provisions(_: Officer, container: ContainerDep, month: Month) -> list[SegmentPublic]:
    """Each segment's allowance at the month-end, with its roll-forward and the journal entry that moved it."""
    return [SegmentPublic.of(v) for v in container.finance.segments(parse_month(month).end)]


@router.get("/provisions/loans", response_model=list[LoanProvisionPublic])
def loan_provisions(
    _: Officer,
    container: ContainerDep,
    month: Month,
    segment: Annotated[str | None, Query(max_length=30)] = None,
    loan_id: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 200,
) -> list[LoanProvisionPublic]:
    """Why each loan carries its allowance (loan, class, PD, LGD, EAD, ECL), largest ECL first."""
    found = container.finance.loan_provisions(parse_month(month).end, segment=segment, loan_id=loan_id, limit=limit)
    return [LoanProvisionPublic.of(p) for p in found]


@router.get("/closes", response_model=list[ClosedMonthPublic])
def closed_months(_: Officer, container: ContainerDep) -> list[ClosedMonthPublic]:
    """Every month ever closed, latest first, with the figures recorded when it was closed."""
    return [ClosedMonthPublic.of(m) for m in container.finance.closing.months()]


@router.get("/close/{month}", response_model=CloseStatusPublic)
def close_status(month: str, _: Officer, container: ContainerDep) -> CloseStatusPublic:
    """The month's close checklist: end-of-day done, provisioned, balanced, locked."""
    closing = container.finance.closing
    checklist = closing.checklist(month)
    label = parse_month(month).label
    record = next((m for m in closing.months() if m.month == label), None)
    return CloseStatusPublic(
        month=label,
        checklist=[ChecklistItemPublic.of(c) for c in checklist],
        record=ClosedMonthPublic.of(record) if record else None,
    )


@router.post("/close/{month}", response_model=CloseResultPublic)
def close(month: str, officer: Officer, container: ContainerDep, key: IdempotencyKey = None) -> CloseResultPublic:
    """Run the month-end steps, build the statements and lock the month; a closed month answers as it was."""
    return CloseResultPublic.of(container.finance.closing.close(month, officer.subject_id))


@router.get("/reopen-requests", response_model=list[ReopenRequestPublic])
def reopen_requests(_: Officer, container: ContainerDep) -> list[ReopenRequestPublic]:
    return [ReopenRequestPublic.of(r) for r in container.finance.closing.requests()]


@router.post("/reopen-requests", status_code=201, response_model=ReopenRequestPublic)
def request_reopen(
    body: ReopenCreate, officer: Officer, container: ContainerDep, key: IdempotencyKey = None
) -> ReopenRequestPublic:
    """Ask to reopen the latest closed month; a second finance operator decides."""
    made = container.finance.closing.request_reopen(body.month, officer.subject_id, body.reason)
    return ReopenRequestPublic.of(made)


@router.post("/reopen-requests/{request_id}/approve", response_model=ReopenRequestPublic)
def approve_reopen(
    request_id: str, officer: Officer, container: ContainerDep, key: IdempotencyKey = None
) -> ReopenRequestPublic:
    """Another operator approves and the month reopens; the asker cannot (`four_eyes_required`, 403)."""
    decided = container.finance.closing.decide_reopen(request_id, officer.subject_id, approve=True)
    return ReopenRequestPublic.of(decided)


@router.post("/reopen-requests/{request_id}/refuse", response_model=ReopenRequestPublic)
def refuse_reopen(
    request_id: str, officer: Officer, container: ContainerDep, key: IdempotencyKey = None
) -> ReopenRequestPublic:
    """Another operator refuses; the month stays closed."""
    decided = container.finance.closing.decide_reopen(request_id, officer.subject_id, approve=False)
    return ReopenRequestPublic.of(decided)


@router.get("/export", response_class=Response)
def export(
    _: Officer,
    container: ContainerDep,
    through: date,
    format: Literal["beancount", "journal_csv", "statements_csv"] = "beancount",
) -> Response:
    """The books through a date: a Beancount ledger (bean-check clean), the journal or the month's statements as CSV."""
    exports = container.finance.exports
    sink = io.StringIO()
    if format == "beancount":
        exports.beancount(sink, through)
    elif format == "journal_csv":
        exports.journal_csv(sink, through)
    else:
        exports.statements_csv(sink, Period(through.replace(day=1), through))
    media_type, name = EXPORTS[format]
    stamped = name.replace(".", f"-{through.isoformat()}.", 1)
    return Response(
        sink.getvalue(), media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{stamped}"'}
    )
