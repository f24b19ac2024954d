"""`fairlend analytics snapshot [--through D]`: write (or rewrite) the month-end snapshot of a book that predates it.

End-of-day writes each month's snapshot on its last day; a book built before
the snapshot existed (or whose snapshot should be rebuilt) gets every past
month-end here, in one transaction (analytics/snapshot.py). Re-running writes
the same rows.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.table import Table

from fairlend.cli import UsageError, open_container, out

app: typer.Typer = typer.Typer()
analytics_app = typer.Typer(help="Portfolio analytics' month-end snapshot.", no_args_is_help=True)
app.add_typer(analytics_app, name="analytics")


@analytics_app.command("snapshot")
def snapshot(
    through: Annotated[
        str | None,
        typer.Option("--through", help="The last month-end to write, YYYY-MM-DD (default: the last closed)."),
    ] = None,
) -> None:
    """Write the month-end snapshot of every closed month of the book (each month-end replaced)."""
    try:
        last = date.fromisoformat(through) if through is not None else None
    except ValueError:
        raise UsageError("analytics_date_invalid", "--through must be a date, YYYY-MM-DD") from None
    written = open_container().analytics.backfill(last)
    table = Table(title="month-end snapshot")
    table.add_column("month end")
    table.add_column("loans", justify="right")
    for month in written:
        table.add_row(month.month_end.isoformat(), str(month.loans))
    out.print(table)
    out.print(f"{len(written)} month-ends written", highlight=False)
