"""The books over HTTP: the answers of api/routers/finance.py.

Amounts come back as minor units (integers, the account's normal side: an
asset or expense debit-positive, a liability, equity or income
credit-positive; the allowance, a contra-asset, reads negative among the
assets) with their currency, so a client reconciles to the fen without
parsing decimals. Each drillable figure names the account types whose
journal lines it sums: `GET /finance/lines?types=...` lists them.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from fairlend.finance.closing import ChecklistItem, ClosedMonth, CloseResult, ReopenRequest
from fairlend.finance.model import Figure, TrialBalanceRow
from fairlend.finance.service import ClassChange, LoanProvision, SegmentView
from fairlend.finance.statements import Statements
from fairlend.ledger.reports import JournalLine


class FigurePublic(BaseModel):
    code: str
    amount: int
    types: list[str]  # the account types whose journal lines it sums (empty: not drillable)
    source: str | None = None

    @classmethod
    def of(cls, f: Figure) -> FigurePublic:
        return cls(
            code=f.code, amount=f.amount, types=[t.value for t in f.types], source=f.source.value if f.source else None
        )


class TrialBalanceRowPublic(BaseModel):
    account_type: str
    source: str
    opening: int
    debits: int
    credits: int  # <= 0: raw, debit positive
    closing: int

    @classmethod
    def of(cls, r: TrialBalanceRow) -> TrialBalanceRowPublic:
        return cls(
            account_type=r.type.value,
            source=r.source.value,
            opening=r.opening,
            debits=r.debits,
            credits=r.credits,
            closing=r.closing,
        )


class TrialBalancePublic(BaseModel):
    rows: list[TrialBalanceRowPublic]
    total_debits: int
    total_credits: int
    balanced: bool


class BalanceSheetPublic(BaseModel):
    as_of: date
    assets: list[FigurePublic]
    liabilities: list[FigurePublic]
    equity: list[FigurePublic]
    total_assets: int
    total_liabilities: int
    total_equity: int
    balanced: bool


class IncomeStatementPublic(BaseModel):
    income: list[FigurePublic]
    expenses: list[FigurePublic]
    total_income: int
    total_expenses: int
    net_income: int


class CashLinePublic(BaseModel):
    section: str  # lending | investors | other
    kind: str  # the journal entry kind: drill down with `kind=` on the cash accounts
    amount: int


class CashFlowPublic(BaseModel):
    opening: int
    lines: list[CashLinePublic]
    net_change: int
    closing: int
    types: list[str]  # the cash accounts every line is drawn from


class StatementPublic(BaseModel):
    """The four statements of one currency over one period, from one snapshot of the journal."""

    currency: str
    start: date
    end: date
    trial_balance: TrialBalancePublic
    balance_sheet: BalanceSheetPublic
    income_statement: IncomeStatementPublic
    cash_flow: CashFlowPublic

    @classmethod
    def of(cls, s: Statements, cash_types: list[str]) -> StatementPublic:
        tb, bs, inc, cf = s.trial_balance, s.balance_sheet, s.income, s.cash_flow
        return cls(
            currency=s.currency,
            start=s.period.start,
            end=s.period.end,
            trial_balance=TrialBalancePublic(
                rows=[TrialBalanceRowPublic.of(r) for r in tb.rows],
                total_debits=tb.total_debits,
                total_credits=tb.total_credits,
                balanced=tb.balanced,
            ),
            balance_sheet=BalanceSheetPublic(
                as_of=bs.as_of,
                assets=[FigurePublic.of(f) for f in bs.assets],
                liabilities=[FigurePublic.of(f) for f in bs.liabilities],
                equity=[FigurePublic.of(f) for f in bs.equity],
                total_assets=bs.total_assets,
                total_liabilities=bs.total_liabilities,
                total_equity=bs.total_equity,
                balanced=bs.balanced,
            ),
            income_statement=IncomeStatementPublic(
                income=[FigurePublic.of(f) for f in inc.income],
                expenses=[FigurePublic.of(f) for f in inc.expenses],
                total_income=inc.total_income,
                total_expenses=inc.total_expenses,
                net_income=inc.net_income,
            ),
            cash_flow=CashFlowPublic(
                opening=cf.opening,
                lines=[CashLinePublic(section=x.section, kind=x.kind, amount=x.amount) for x in cf.lines],
                net_change=cf.net_change,
                closing=cf.closing,
                types=cash_types,
            ),
        )


class JournalLinePublic(BaseModel):
    entry_id: str
    business_date: date
    kind: str
    reference: str
    description: str
    account_type: str
    owner_id: str
    currency: str
    amount: int  # raw: debit positive, credit negative

    @classmethod
    def of(cls, line: JournalLine) -> JournalLinePublic:
        return cls(
            entry_id=line.entry_id,
            business_date=line.business_date,
            kind=line.kind,
            reference=line.reference,
            description=line.description,
            account_type=line.account.type.value,
            owner_id=line.account.owner_id,
            currency=line.account.currency,
            amount=line.amount,
        )


class JournalLinesPublic(BaseModel):
    """One page of the lines behind a figure; `next_offset` is null on the last page."""

    lines: list[JournalLinePublic]
    offset: int
    limit: int
    next_offset: int | None
    page_total: int  # the sum of this page's amounts (raw)


class ClassCountPublic(BaseModel):
    currency: str
    class_code: str
    loans: int


class ClassChangePublic(BaseModel):
    loan_id: str
    business_date: date
    from_class: str
    to_class: str
    days_past_due: int
    restructured: bool

    @classmethod
    def of(cls, c: ClassChange) -> ClassChangePublic:
        return cls(
            loan_id=c.loan_id,
            business_date=c.business_date,
            from_class=c.from_class,
            to_class=c.to_class,
            days_past_due=c.days_past_due,
            restructured=c.restructured,
        )


class ClassificationPublic(BaseModel):
    """Loans held outside the first class now, and the month's moves between classes."""

    classes: list[str]  # the profile's classes, best first
    current: list[ClassCountPublic]
    changes: list[ClassChangePublic]


class SegmentPublic(BaseModel):
    """A segment's allowance at a month-end: opening + charge - write_offs + recoveries = closing."""

    month_end: date
    currency: str
    segment: str
    loans: int
    ead: int
    opening: int
    charge: int
    write_offs: int
    recoveries: int
    closing: int
    entry_id: str

    @classmethod
    def of(cls, v: SegmentView) -> SegmentPublic:
        return cls(
            month_end=v.month_end,
            currency=v.currency,
            segment=v.segment,
            loans=v.loans,
            ead=v.ead,
            opening=v.opening,
            charge=v.charge,
            write_offs=v.write_offs,
            recoveries=v.recoveries,
            closing=v.closing,
            entry_id=v.entry_id,
        )


class LoanProvisionPublic(BaseModel):
    """Why one loan carries its allowance. PD in millionths, LGD in ten-thousandths, the rate in 10^-8."""

    loan_id: str
    month_end: date
    currency: str
    class_code: str
    grade: str
    days_past_due: int
    remaining_months: int
    pd_e6: int
    lgd_e4: int
    rate_e8: int
    ead: int
    ecl: int

    @classmethod
    def of(cls, p: LoanProvision) -> LoanProvisionPublic:
        return cls(
            loan_id=p.loan_id,
            month_end=p.month_end,
            currency=p.currency,
            class_code=p.class_code,
            grade=p.grade,
            days_past_due=p.days_past_due,
            remaining_months=p.remaining_months,
            pd_e6=p.pd_e6,
            lgd_e4=p.lgd_e4,
            rate_e8=p.rate_e8,
            ead=p.ead,
            ecl=p.ecl,
        )


class ChecklistItemPublic(BaseModel):
    code: str  # eod_done, provisioned, balanced, locked
    done: bool

    @classmethod
    def of(cls, c: ChecklistItem) -> ChecklistItemPublic:
        return cls(code=c.code, done=c.done)


class ClosedMonthPublic(BaseModel):
    month: str
    month_end: date
    status: str  # closed | reopened
    closed_by: str
    reopened_by: str
    summary: dict[str, dict[str, int]]

    @classmethod
    def of(cls, m: ClosedMonth) -> ClosedMonthPublic:
        return cls(
            month=m.month,
            month_end=m.month_end,
            status=m.status,
            closed_by=m.closed_by,
            reopened_by=m.reopened_by,
            summary=m.summary,
        )


class CloseStatusPublic(BaseModel):
    """A month's close checklist, and what was recorded if it was ever closed."""

    month: str
    checklist: list[ChecklistItemPublic]
    record: ClosedMonthPublic | None


class CloseResultPublic(BaseModel):
    month: ClosedMonthPublic
    already_closed: bool  # true: the month was closed before this call, and nothing changed

    @classmethod
    def of(cls, r: CloseResult) -> CloseResultPublic:
        return cls(month=ClosedMonthPublic.of(r.month), already_closed=r.already_closed)


class ReopenCreate(BaseModel):
    """Ask to reopen the latest closed month; another finance operator approves."""

    month: str = Field(max_length=7, description="YYYY-MM")
    reason: str = Field(max_length=200)


class ReopenRequestPublic(BaseModel):
    id: str
    month: str
    requested_by: str
    reason: str
    status: str  # pending | approved | refused
    decided_by: str

    @classmethod
    def of(cls, r: ReopenRequest) -> ReopenRequestPublic:
        return cls(
            id=r.id,
            month=r.month,
            requested_by=r.requested_by,
            reason=r.reason,
            status=r.status,
            decided_by=r.decided_by,
        )
