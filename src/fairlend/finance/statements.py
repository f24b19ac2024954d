"""Statements from the journal, for any period and currency, and the journal lines behind each figure.

Each read is one read-only transaction over the postings (never the cached
balances), so a statement and its drill-down always agree with each other and
with `fairlend verify`'s recomputation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection

from fairlend.db.uow import UnitOfWorkFactory
from fairlend.errors import Invalid
from fairlend.finance.model import (
    CASH_ACCOUNTS,
    Activity,
    BalanceSheet,
    CashFlow,
    FundingSource,
    IncomeStatement,
    Period,
    TrialBalance,
    balance_sheet,
    cash_flow,
    funding_source_of,
    income_statement,
    trial_balance,
)
from fairlend.ledger import reports
from fairlend.ledger.model import AccountType
from fairlend.ledger.reports import JournalLine

MAX_LINES = 1_000


@dataclass(frozen=True, slots=True)
class Statements:
    currency: str
    period: Period
    trial_balance: TrialBalance
    balance_sheet: BalanceSheet
    income: IncomeStatement
    cash_flow: CashFlow


class FinancialStatements:
    def __init__(self, uow: UnitOfWorkFactory, partner_ids: frozenset[str]) -> None:
        self._uow = uow
        self._partners = partner_ids

    def currencies(self, end: date) -> list[str]:
        with self._uow(read_only=True) as uow:
            return sorted({a.key.currency for a in reports.activity(uow.conn, None, end)})

    def for_period(self, period: Period, currency: str | None = None) -> list[Statements]:
        """The four statements per currency (one currency if asked), from one snapshot of the journal."""
        with self._uow(read_only=True) as uow:
            return self.build(uow.conn, period, currency)

    def build(self, conn: Connection, period: Period, currency: str | None = None) -> list[Statements]:
        """`for_period` inside the caller's transaction (the close builds them under its lock)."""
        activity = [
            Activity(a.key, a.opening, a.debits, a.credits) for a in reports.activity(conn, period.start, period.end)
        ]
        cash = reports.kind_movements(conn, CASH_ACCOUNTS, period.start, period.end)
        found = sorted({a.key.currency for a in activity})
        if currency is not None:
            if currency not in found and found:
                raise Invalid("unknown_currency", f"the journal has no {currency} accounts through {period.end}")
            found = [currency]
        result = []
        for cur in found:
            tb = trial_balance(cur, period, activity, self._partners)
            by_kind: dict[str, int] = {}
            for c, kind, amount in cash:
                if c == cur:
                    by_kind[kind] = by_kind.get(kind, 0) + amount
            result.append(
                Statements(
                    cur,
                    period,
                    tb,
                    balance_sheet(tb),
                    income_statement(tb),
                    cash_flow(cur, period, activity, by_kind),
                )
            )
        return result

    def lines(
        self,
        types: Sequence[AccountType],
        currency: str,
        start: date | None,
        end: date,
        *,
        source: FundingSource | None = None,
        kinds: Sequence[str] | None = None,
        limit: int | None = MAX_LINES,
        offset: int = 0,
    ) -> list[JournalLine]:
        """The journal lines a figure sums: its accounts (and funding source, entry kinds) in the period."""
        with self._uow(read_only=True) as uow:
            found = reports.lines(uow.conn, types, currency, start, end, kinds=kinds, limit=None, offset=0)
        if source is not None:
            found = [ln for ln in found if funding_source_of(ln.account, self._partners) is source]
        if limit is None:
            return found[offset:]
        return found[offset : offset + limit]
