"""Exporting the books: the journal and the statements as CSV, and the journal as a Beancount ledger.

The Beancount file is for a finance team's own tools (`bean-check`, Fava): an
`open` directive per account at its first posting, one transaction per
journal entry with metadata back to fairlend (entry id, kind, reference, the
loan when the reference is one), and a `balance` assertion for every account
at each month-end, equal to the trial balance's closing figure (Beancount
checks a balance at the start of its date, so a month ending on the 30th is
asserted on the 1st). The journal is read a batch at a time: memory stays
flat in the journal's size.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import TextIO

from sqlalchemy import Connection

from fairlend.db.uow import UnitOfWorkFactory
from fairlend.finance.model import Period, months_between
from fairlend.finance.statements import FinancialStatements
from fairlend.ledger import reports
from fairlend.ledger.model import AccountKey, Category
from fairlend.ledger.reports import JournalLine
from fairlend.money import Money

_ROOTS = {
    Category.ASSET: "Assets",
    Category.LIABILITY: "Liabilities",
    Category.EQUITY: "Equity",
    Category.INCOME: "Income",
    Category.EXPENSE: "Expenses",
}
_NOT_NAME = re.compile(r"[^A-Za-z0-9-]")


def beancount_account(key: AccountKey) -> str:
    """`Assets:LoanPrincipal`, `Liabilities:NotesPayable:Inv-partner-bank`: Beancount's account grammar."""
    name = "".join(part.capitalize() for part in key.type.value.split("_"))
    parts = [_ROOTS[key.type.category], name]
    if key.owner_id:
        owner = _NOT_NAME.sub("-", key.owner_id)
        parts.append(owner[0].upper() + owner[1:] if owner[0].isalpha() else f"X{owner}")
    return ":".join(parts)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _amount(minor: int, currency: str) -> str:
    return f"{Money(minor, currency).to_decimal()} {currency}"


def _entries(batches: Iterator[list[JournalLine]]) -> Iterator[list[JournalLine]]:
    """Group the journal's lines by entry (an entry may straddle two batches)."""
    current: list[JournalLine] = []
    for batch in batches:
        for line in batch:
            if current and line.entry_id != current[0].entry_id:
                yield current
                current = []
            current.append(line)
    if current:
        yield current


class FinanceExports:
    def __init__(self, uow: UnitOfWorkFactory, statements: FinancialStatements) -> None:
        self._uow = uow
        self._statements = statements

    def beancount(self, sink: TextIO, through: date) -> int:
        """Write the ledger through `through`; returns how many transactions it holds."""
        with self._uow(read_only=True) as uow:
            conn = uow.conn
            accounts = reports.activity(conn, None, through)
            if not accounts:
                return 0
            first_day = _first_posting(conn, through)
            currencies = sorted({a.key.currency for a in accounts})
            sink.write('option "title" "fairlend books"\n')
            for currency in currencies:
                sink.write(f'option "operating_currency" "{currency}"\n')
            sink.write("\n")
            opened: dict[AccountKey, date] = {}
            lines: list[str] = []
            count = 0
            for postings in _entries(reports.journal(conn, through)):
                head = postings[0]
                meta = [("entry", head.entry_id), ("kind", head.kind)]
                if head.reference:
                    meta.append(("reference", head.reference))
                    if head.reference.startswith("loan_"):
                        meta.append(("loan", head.reference))
                lines.append(f"{head.business_date.isoformat()} * {_quote(head.kind)} {_quote(head.description)}\n")
                lines.extend(f"  {k}: {_quote(v)}\n" for k, v in meta)
                for p in postings:
                    opened.setdefault(p.account, p.business_date)
                    lines.append(f"  {beancount_account(p.account)}  {_amount(p.amount, p.account.currency)}\n")
                lines.append("\n")
                count += 1
                if len(lines) > 10_000:
                    sink.writelines(lines)
                    lines = []
            for key, day in sorted(opened.items(), key=lambda kv: (kv[1], beancount_account(kv[0]))):
                sink.write(f"{day.isoformat()} open {beancount_account(key)} {key.currency}\n")
            sink.write("\n")
            sink.writelines(lines)
            for period in months_between(first_day, through):
                end = min(period.end, through)
                asserted_on = end + timedelta(days=1)
                for a in reports.activity(conn, None, end):
                    if a.key in opened and opened[a.key] <= end:
                        sink.write(
                            f"{asserted_on.isoformat()} balance {beancount_account(a.key)}"
                            f"  {_amount(a.closing, a.key.currency)}\n"
                        )
        return count

    def journal_csv(self, sink: TextIO, through: date) -> int:
        writer = csv.writer(sink)
        writer.writerow(
            [
                "entry_id",
                "business_date",
                "kind",
                "reference",
                "description",
                "account_type",
                "currency",
                "owner_id",
                "amount",
                "amount_minor",
            ]
        )
        count = 0
        with self._uow(read_only=True) as uow:
            for batch in reports.journal(uow.conn, through):
                for p in batch:
                    writer.writerow(
                        [
                            p.entry_id,
                            p.business_date.isoformat(),
                            p.kind,
                            p.reference,
                            p.description,
                            p.account.type.value,
                            p.account.currency,
                            p.account.owner_id,
                            str(Money(p.amount, p.account.currency).to_decimal()),
                            p.amount,
                        ]
                    )
                    count += 1
        return count

    def statements_csv(self, sink: TextIO, period: Period) -> int:
        writer = csv.writer(sink)
        writer.writerow(["statement", "currency", "period", "code", "source", "amount", "amount_minor"])
        count = 0
        for st in self._statements.for_period(period):
            cur = st.currency

            def row(statement: str, code: str, source: str, minor: int, cur: str = cur) -> None:
                nonlocal count
                writer.writerow(
                    [statement, cur, period.label, code, source, str(Money(minor, cur).to_decimal()), minor]
                )
                count += 1

            for r in st.trial_balance.rows:
                row("trial_balance", r.type.value, r.source.value, r.closing)
            for section, figures in (
                ("assets", st.balance_sheet.assets),
                ("liabilities", st.balance_sheet.liabilities),
                ("equity", st.balance_sheet.equity),
            ):
                for f in figures:
                    row(f"balance_sheet.{section}", f.code, f.source.value if f.source else "", f.amount)
            for f in (*st.income.income, *st.income.expenses):
                row("income_statement", f.code, "", f.amount)
            row("income_statement", "net_income", "", st.income.net_income)
            row("cash_flow", "opening", "", st.cash_flow.opening)
            for line in st.cash_flow.lines:
                row("cash_flow", line.kind, line.section, line.amount)
            row("cash_flow", "closing", "", st.cash_flow.closing)
        return count


def _first_posting(conn: Connection, through: date) -> date:
    for batch in reports.journal(conn, through, batch=1):
        return batch[0].business_date
    return through
