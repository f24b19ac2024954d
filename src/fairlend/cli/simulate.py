"""`fairlend simulate`: run the market simulator on an empty database and print what the book became."""

from __future__ import annotations

from typing import Annotated

import typer
from pydantic import ValidationError
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from fairlend.bootstrap import bootstrap
from fairlend.cli import UsageError, err, load_settings, out
from fairlend.clock import FixedClock, SystemClock
from fairlend.config import Settings
from fairlend.jurisdiction.loader import load_profile
from fairlend.sim.simulate import SimConfig, simulate
from fairlend.sim.timing import Timer
from fairlend.sim.world import SimReport, local_instant

app: typer.Typer = typer.Typer()


def prepare_database(settings: Settings) -> None:
    """Migrate SQLite as `serve` does; PostgreSQL must be upgraded by an operator first."""
    from fairlend.db.migrate import is_current, upgrade

    container = bootstrap(settings)
    try:
        if settings.is_sqlite:
            upgrade(container.engine)
        elif not is_current(container.engine):
            raise UsageError(
                "schema_out_of_date", "the database schema is not current; run `fairlend db upgrade` first"
            )
    finally:
        container.close()


def settings_for(database: str | None, jurisdiction: str | None) -> Settings:
    base = load_settings()
    if database is None and jurisdiction is None:
        return base
    update = {"database_url": database or base.database_url, "jurisdiction": jurisdiction or base.jurisdiction}
    try:
        return Settings(**(base.model_dump() | update))
    except ValidationError as exc:
        raise UsageError("invalid_settings", str(exc.errors()[0].get("msg", "invalid settings"))) from None


def run(settings: Settings, config: SimConfig, timer: Timer) -> SimReport:
    """Migrate SQLite if needed, then simulate on a clock of its own ending today (10:00 local)."""
    prepare_database(settings)
    today = SystemClock().business_date()
    clock = FixedClock(local_instant(today, load_profile(settings.jurisdiction).timezone), today)
    container = bootstrap(settings, clock=clock)
    try:
        if container.identity.accounts.has_people():
            raise UsageError(
                "demo_database_not_empty", "the database already holds people; the simulator needs an empty one"
            )
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, TimeRemainingColumn(), console=err) as progress:
            days = progress.add_task("business days", total=config.days)

            def advance(_stage: str, done: int, _total: int) -> None:
                progress.update(days, completed=done)

            return simulate(container, config, progress=advance, timer=timer)
    finally:
        container.close()


def summary_tables(report: SimReport, timer: Timer | None = None) -> list[Table]:
    grades = Table(title=f"originations and defaults by grade ({report.start} to {report.end}, seed {report.seed})")
    for column in ("grade", "loans", "amount", "charged off", "default rate"):
        grades.add_column(column, justify="right")
    for grade in sorted(report.originations):
        n, defaults = report.originations[grade], report.defaults[grade]
        amount = report.originated_minor[grade] / 100
        grades.add_row(grade, str(n), f"{amount:,.2f}", str(defaults), f"{defaults / n:.1%}" if n else "-")
    book = Table(title="the book at the end")
    book.add_column("what")
    book.add_column("count", justify="right")
    rows: list[tuple[str, object]] = [(f"loans {s}", n) for s, n in sorted(report.loan_states.items())]
    rows += [(f"delinquent {b} days", n) for b, n in sorted(report.delinquency.items())]
    rows += [(f"contacts {o}", n) for o, n in sorted(report.contacts.items())]
    rows += [(f"attempts blocked by {r}", n) for r, n in sorted(report.blocked_by_rule.items())]
    careless = sum(1 for a in report.careless if a.outcome == "blocked")
    rows.append(("careless collector's attempts blocked", f"{careless} of {len(report.careless)}"))
    rows += [(f"complaints {k}", n) for k, n in sorted(report.complaints.items())]
    rows += [(f"hardship {k}", n) for k, n in sorted(report.hardship.items())]
    rows += [(f"applications {k}", n) for k, n in sorted(report.applications.items())]
    rows += [
        ("offers not funded", report.not_funded),
        ("repayments", report.repayments),
        ("cured", report.cures),
        ("settled early", report.settled_early),
        ("jobs lost", report.job_losses),
    ]
    rows += [(f"inquiries {k}", n) for k, n in sorted(report.inquiries.items())]
    rows += [(f"bureau records {k}", n) for k, n in sorted(report.bureau.items())]
    rows += [(f"secondary market {k}", n) for k, n in sorted(report.trades.items())]
    rows += [(f"investor NAR {k}", f"{float(v):.2%}") for k, v in report.nar_percentiles.items()]
    for what, value in rows:
        book.add_row(what, str(value))
    tables = [grades, book]
    if timer is not None and timer.total > 0:
        shares = Table(title=f"time per service ({timer.total:.1f} s in service calls)")
        for column in ("service", "seconds", "share"):
            shares.add_column(column, justify="right")
        for service, seconds in timer.by_service().items():
            shares.add_row(service, f"{seconds:.1f}", f"{seconds / timer.total:.1%}")
        tables.append(shares)
    return tables


@app.command("simulate")
def simulate_command(
    borrowers: Annotated[int, typer.Option(min=1, max=100_000, help="Borrowers who sign up over the run.")] = 1_000,
    investors: Annotated[int, typer.Option(min=0, max=100_000, help="Investors (profiles with retail on).")] = 50,
    days: Annotated[int, typer.Option(min=1, max=3_650, help="Business days, each closed by end-of-day.")] = 90,
    seed: Annotated[int, typer.Option(min=0, help="The same seed makes the same market and totals.")] = 7,
    database: Annotated[str | None, typer.Option(help="Database URL (default: the settings').")] = None,
    jurisdiction: Annotated[str | None, typer.Option(help="Profile code, e.g. us or cn (default: settings').")] = None,
    timings: Annotated[bool, typer.Option("--timings", help="Also print the time spent in each service.")] = False,
) -> None:
    """Simulate a lending market on an EMPTY database, one business day at a time, and summarise it."""
    timer = Timer()
    report = run(settings_for(database, jurisdiction), SimConfig(borrowers, investors, days, seed), timer)
    for table in summary_tables(report, timer if timings else None):
        out.print(table)
