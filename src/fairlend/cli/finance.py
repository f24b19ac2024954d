"""`fairlend close --month 2026-11` and `fairlend finance ...`: statements, reopening, corrections, export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fairlend.cli import UsageError, open_container, out
from fairlend.finance.model import Period, parse_month
from fairlend.money import Money

app: typer.Typer = typer.Typer()
finance_app = typer.Typer(help="The books: statements, period close, export.", no_args_is_help=True)
app.add_typer(finance_app, name="finance")

Operator = Annotated[str, typer.Option("--operator", help="The operator's id (op_…), recorded with the action.")]


def _money(minor: int, currency: str) -> str:
    return str(Money(minor, currency).to_decimal())


@app.command("close")
def close(
    month: Annotated[str, typer.Option("--month", help="The month to close, YYYY-MM.")],
    operator: Operator = "op_cli",
) -> None:
    """Run the month-end steps, produce the statements and lock the month (a closed month: nothing changes)."""
    result = open_container().finance.closing.close(month, operator)
    verb = "was already closed" if result.already_closed else "closed"
    out.print(f"{result.month.month} {verb} through {result.month.month_end}", highlight=False)
    for currency, figures in sorted(result.month.summary.items()):
        shown = ", ".join(f"{k} {_money(v, currency)}" for k, v in figures.items())
        out.print(f"  {currency}: {shown}", highlight=False)


@finance_app.command("statements")
def statements(month: Annotated[str, typer.Option("--month", help="YYYY-MM.")]) -> None:
    """The trial balance and income statement of a month, per currency."""
    period = parse_month(month)
    for st in open_container().finance.statements.for_period(period):
        table = Table(title=f"{st.currency} {period.label}")
        for column in ("account", "source", "opening", "debits", "credits", "closing"):
            table.add_column(column)
        for row in st.trial_balance.rows:
            table.add_row(
                row.type.value,
                row.source.value,
                *(_money(v, st.currency) for v in (row.opening, row.debits, row.credits, row.closing)),
            )
        out.print(table)
        out.print(f"net income {_money(st.income.net_income, st.currency)}", highlight=False)


@finance_app.command("reopen")
def reopen(
    month: Annotated[str, typer.Option("--month", help="YYYY-MM: the latest closed month.")],
    reason: Annotated[str, typer.Option("--reason", help="Why it must be reopened.")],
    operator: Operator = "op_cli",
) -> None:
    """Ask to reopen a closed month; another operator approves (`fairlend finance approve-reopen`)."""
    request = open_container().finance.closing.request_reopen(month, operator, reason)
    out.print(f"{request.id}: reopening {request.month} waits for a second operator", highlight=False)


@finance_app.command("approve-reopen")
def approve_reopen(request_id: str, operator: Operator = "op_cli") -> None:
    """Approve another operator's request to reopen a month."""
    request = open_container().finance.closing.decide_reopen(request_id, operator, approve=True)
    out.print(
        f"{request.month} reopened ({request.requested_by} asked, {request.decided_by} approved)", highlight=False
    )


@finance_app.command("refuse-reopen")
def refuse_reopen(request_id: str, operator: Operator = "op_cli") -> None:
    """Refuse another operator's request to reopen a month: it stays closed."""
    request = open_container().finance.closing.decide_reopen(request_id, operator, approve=False)
    out.print(
        f"{request.month} stays closed ({request.requested_by} asked, {request.decided_by} refused)", highlight=False
    )


@finance_app.command("correct")
def correct(
    entry_id: str,
    reason: Annotated[str, typer.Option("--reason", help="Why the entry is reversed.")],
    operator: Operator = "op_cli",
) -> None:
    """Reverse a journal entry in the open period; the reversal references the original."""
    new = open_container().finance.closing.correct(entry_id, operator, reason)
    out.print(f"{new} reverses {entry_id}", highlight=False)


def _period(start: str | None, through: str) -> Period:
    from datetime import date

    try:
        end = date.fromisoformat(through)
        first = date.fromisoformat(start) if start else None
    except ValueError:
        raise UsageError("invalid_date", "dates are YYYY-MM-DD") from None
    return Period(first or end.replace(day=1), end)


@finance_app.command("export")
def export(
    through: Annotated[str, typer.Option("--through", help="The last business date exported, YYYY-MM-DD.")],
    beancount: Annotated[Path | None, typer.Option("--beancount", help="Write a Beancount ledger here.")] = None,
    journal_csv: Annotated[Path | None, typer.Option("--journal-csv", help="Write the journal as CSV here.")] = None,
    statements_csv: Annotated[
        Path | None, typer.Option("--statements-csv", help="Write the statements of the --through month as CSV.")
    ] = None,
) -> None:
    """Export the books: Beancount (bean-check clean, balance assertions at each month-end) and CSV."""
    if beancount is None and journal_csv is None and statements_csv is None:
        raise UsageError("nothing_to_export", "name at least one of --beancount, --journal-csv, --statements-csv")
    period = _period(None, through)
    finance = open_container().finance
    if beancount is not None:
        with beancount.open("w", encoding="utf-8") as sink:
            count = finance.exports.beancount(sink, period.end)
        out.print(f"{beancount}: {count} transactions", highlight=False)
    if journal_csv is not None:
        with journal_csv.open("w", encoding="utf-8", newline="") as sink:
            count = finance.exports.journal_csv(sink, period.end)
        out.print(f"{journal_csv}: {count} postings", highlight=False)
    if statements_csv is not None:
        with statements_csv.open("w", encoding="utf-8", newline="") as sink:
            count = finance.exports.statements_csv(sink, period)
        out.print(f"{statements_csv}: {count} figures", highlight=False)
