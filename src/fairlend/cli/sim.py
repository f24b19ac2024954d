"""`fairlend demo` (and `serve --demo`): migrate an embedded database if needed, seed it with a simulated market, say how to log in."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fairlend.bootstrap import bootstrap
from fairlend.cli import UsageError, err, load_settings, out
from fairlend.cli.simulate import prepare_database, summary_tables
from fairlend.clock import FixedClock, SystemClock
from fairlend.config import Settings
from fairlend.jurisdiction.loader import load_profile
from fairlend.sim.market_demo import DEMO_SIZE, MarketDemo, seed_market_demo
from fairlend.sim.simulate import SimConfig
from fairlend.sim.world import local_instant

app: typer.Typer = typer.Typer()

# How many borrowers' phone numbers the table lists (every phone follows on one line).
SHOWN_BORROWERS = 8


def database_has_people(settings: Settings) -> bool:
    prepare_database(settings)
    container = bootstrap(settings)
    try:
        return container.identity.accounts.has_people()
    finally:
        container.close()


def seed_database(settings: Settings, config: SimConfig = DEMO_SIZE) -> MarketDemo:
    """Seed on a clock of its own: the simulated days end today, each at 10:00 in the profile's time zone (contact hours)."""
    prepare_database(settings)
    today = SystemClock().business_date()
    clock = FixedClock(local_instant(today, load_profile(settings.jurisdiction).timezone), today)
    container = bootstrap(settings, clock=clock)
    try:
        if container.identity.accounts.has_people():
            raise UsageError(
                "demo_database_not_empty", "the database already holds people; the demo seeds only an empty one"
            )
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
        ) as progress:
            daily = progress.add_task("business days", total=config.days)

            def advance(_stage: str, done: int, _total: int) -> None:
                progress.update(daily, completed=done)

            return seed_market_demo(container, config, progress=advance)
    finally:
        container.close()


def _plain(line: str) -> None:
    # Plain lines, not a table: a narrow terminal must never cut a secret or a phone someone has to type.
    out.print(line, markup=False, highlight=False)


def print_report(demo: MarketDemo) -> None:
    sim = demo.sim
    out.print(
        f"demo seeded: {len(demo.borrowers)} borrowers, {len(demo.investors)} investors, {sim.eod_days} business days "
        f"({sim.start} to {sim.end}), seed {sim.seed}"
    )
    for table in summary_tables(sim):
        out.print(table)

    out.print("operators: log in at /operator/login with the password and a code from the TOTP secret")
    for o in demo.operators:
        _plain(f"  {o.username:<12} role {o.role:<12} password {o.password}  TOTP secret {o.totp_secret}")

    people = Table(title="borrowers: log in at /login with the phone; read the one-time code at /dev/codes")
    for column in ("phone", "name", "loan", "days past due"):
        people.add_column(column)
    # One of each story first: the borrower who repaid early and was still called, the most overdue, then the rest.
    behind = sorted((b for b in demo.borrowers if b.days_past_due > 0), key=lambda b: -b.days_past_due)
    shown = [b for b in demo.borrowers if b.person_id == demo.settled_borrower_id] + behind[:2]
    shown += [b for b in demo.borrowers if b not in shown]
    for b in shown[:SHOWN_BORROWERS]:
        people.add_row(b.phone, b.name, b.state, str(b.days_past_due))
    out.print(people)
    phones = sorted(b.phone for b in demo.borrowers)
    if len(phones) > SHOWN_BORROWERS:
        _plain(f"every borrower's phone: {', '.join(phones)}")
    if demo.investors:
        out.print("investors: log in at /login with the phone (code at /dev/codes), then open /investor/portfolio")
        for i in demo.investors:
            how = "by an auto-invest rule" if i.auto else "by hand"
            _plain(f"  {i.phone:<14} {i.name:<18} deposited {i.deposited.to_decimal()}  invests {how}")
    if demo.settled_borrower_id:
        phone = next(b.phone for b in demo.borrowers if b.person_id == demo.settled_borrower_id)
        rules = ", ".join(demo.blocked_rules) or "-"
        _plain(
            f"the motivating case: {phone} repaid early, a collector still called (blocked: {rules}) and they "
            "complained; log in as that borrower and open /borrower/contacts"
        )


@app.command()
def demo(
    borrowers: Annotated[
        int, typer.Option(min=1, max=2000, help="How many simulated borrowers sign up.")
    ] = DEMO_SIZE.borrowers,
    investors: Annotated[
        int, typer.Option(min=0, max=2000, help="Simulated investors (profiles with retail investors on).")
    ] = DEMO_SIZE.investors,
    days: Annotated[
        int, typer.Option(min=1, max=730, help="Business days of end-of-day to simulate.")
    ] = DEMO_SIZE.days,
    seed: Annotated[
        int, typer.Option(min=0, help="Seed: the same seed makes the same people and events.")
    ] = DEMO_SIZE.seed,
) -> None:
    """Seed an EMPTY database with a simulated market (migrating SQLite first) and print how to log in."""
    report = seed_database(load_settings(), SimConfig(borrowers, investors, days, seed))
    print_report(report)
