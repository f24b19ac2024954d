"""`fairlend collections ...`: plan the day, read the queue, the log, and evidence packages."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from fairlend.bootstrap import Container
from fairlend.collections.wiring import Collections
from fairlend.money import Money

app = typer.Typer(help="Collections: planning, the queue, the contact log, evidence packages.", no_args_is_help=True)


def _open() -> tuple[Container, Collections]:
    from fairlend.cli import open_container

    container = open_container()
    assert container.collections is not None
    return container, container.collections


def _date(value: str | None, container: Container) -> date:
    from fairlend.cli import UsageError

    if value is None:
        return container.clock.business_date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError("bad_date", f"expected YYYY-MM-DD, got {value!r}") from None


@app.command()
def plan(on: Annotated[str | None, typer.Option("--date", help="Business date (default: today's).")] = None) -> None:
    """Plan the day's collection tasks (the end-of-day step, run by hand)."""
    from fairlend.cli import out

    container, collections = _open()
    business_date = _date(on, container)
    with out.status(f"planning collections for {business_date}"), container.uow() as uow:
        count = collections.planner.run(uow, business_date)
        uow.commit()
    out.print(
        f"planned {count} tasks for {business_date}"
        if count
        else f"{business_date} was already planned (or nothing is due)"
    )


@app.command()
def dispatch(
    on: Annotated[str | None, typer.Option("--date", help="Business date (default: today's).")] = None,
) -> None:
    """Send the day's automated reminders and letters through the contact gateway, after finishing any
    message a crash left between its record and its outcome."""
    from fairlend.cli import out

    container, collections = _open()
    business_date = _date(on, container)
    with out.status(f"dispatching automated tasks for {business_date}"):
        counts = collections.service.dispatch_automated(business_date)
    out.print(", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "nothing to send")


@app.command()
def queue(
    on: Annotated[str | None, typer.Option("--date", help="Business date (default: today's).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
) -> None:
    """The collectors' queue: pending tasks, oldest and largest debts first."""
    from fairlend.cli import out

    container, collections = _open()
    table = Table("task", "loan", "step", "medium", "dpd", "overdue")
    for task in collections.service.queue(_date(on, container), limit=limit):
        table.add_row(
            task.id, task.loan_id, task.step, task.medium, str(task.days_past_due),
            str(Money(task.overdue_minor, task.currency)),
        )  # fmt: skip
    out.print(table)


@app.command()
def contacts(borrower: Annotated[str, typer.Option(help="Borrower id (brw_...).")]) -> None:
    """Every attempt about a borrower's loans, blocked ones included, with the rule that stopped each."""
    from fairlend.cli import out

    _container, collections = _open()
    table = Table("#", "time (UTC)", "loan", "medium", "to", "outcome", "rules")
    for view in collections.service.contacts_about(borrower):
        table.add_row(
            str(view.seq), f"{view.at:%Y-%m-%d %H:%M}", view.loan_id, view.medium,
            f"{view.recipient_kind} {view.recipient_masked}", view.outcome, ", ".join(r.rule for r in view.rules),
        )  # fmt: skip
    out.print(table)
    problem = collections.service.verify_borrower(borrower)
    out.print("hash chain: intact" if problem is None else f"hash chain BROKEN at {problem}")


@app.command()
def evidence(
    loan: Annotated[str, typer.Option(help="Loan id.")],
    out_file: Annotated[Path, typer.Option("--out", help="Where to write the PDF.")],
    lang: Annotated[str, typer.Option(help="zh-CN or en.")] = "zh-CN",
) -> None:
    """Write a loan's evidence package (PDF) for its borrower."""
    from fairlend.cli import out

    _container, collections = _open()
    borrower = collections.service.loan_owner(loan)
    pdf = collections.service.evidence_pdf(borrower, loan, lang)
    out_file.write_bytes(pdf)
    out.print(f"wrote {out_file} ({len(pdf)} bytes, {lang})")
