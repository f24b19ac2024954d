"""`fairlend demo`: migrate an embedded database if needed, seed it with the market simulator, say how to log in."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from fairlend.bootstrap import bootstrap
from fairlend.cli import UsageError, err, load_settings, out
from fairlend.clock import FixedClock, SystemClock
from fairlend.config import Settings
from fairlend.jurisdiction.loader import load_profile
from fairlend.sim.demo import contact_instant, seed_demo
from fairlend.sim.report import DemoReport

app: typer.Typer = typer.Typer()

# How many borrowers' phone numbers the summary lists (the rest are in the operator console).
SHOWN_BORROWERS = 8


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


def database_has_people(settings: Settings) -> bool:
    prepare_database(settings)
    container = bootstrap(settings)
    try:
        return container.identity.accounts.has_people()
    finally:
        container.close()


def seed_database(settings: Settings, *, borrowers: int, days: int, seed: int) -> DemoReport:
    """Seed on a clock of its own: the simulated days end today, each at 10:00 in the profile's time zone (contact hours)."""
    prepare_database(settings)
    today = SystemClock().business_date()
    clock = FixedClock(contact_instant(today, load_profile(settings.jurisdiction).timezone), today)
    container = bootstrap(settings, clock=clock)
    try:
        if container.identity.accounts.has_people():
            raise UsageError(
                "demo_database_not_empty", "the database already holds people; the demo seeds only an empty one"
            )
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err
        ) as progress:
            people = progress.add_task("borrowers", total=borrowers)
            daily = progress.add_task("business days", total=days)

            def advance(stage: str, done: int, _total: int) -> None:
                progress.update(people if stage == "borrowers" else daily, completed=done)

            return seed_demo(container, borrowers=borrowers, days=days, seed=seed, progress=advance)
    finally:
        container.close()


def print_report(report: DemoReport) -> None:
    out.print(
        f"demo seeded: {len(report.borrowers)} borrowers, {report.eod_days} business days "
        f"({report.start} to {report.end}), seed {report.seed}"
    )
    states = ", ".join(f"{n} {state}" for state, n in sorted(report.loan_states.items()))
    out.print(f"loans: {states}; {report.delinquent} delinquent; {report.repayments} repayments")
    certs = ", ".join(f"{n} {s}" for s, n in sorted(report.certificates.items())) or "none"
    contacts = ", ".join(f"{n} {o}" for o, n in sorted(report.contacts.items())) or "none"
    out.print(f"asset certificates reviewed: {certs}; collection contacts: {contacts}")
    if report.other_lender:
        out.print(
            f"another lender at the bureau: {report.other_lender}, {report.bureau_records} records applied, "
            f"about the borrowers {', '.join(report.reported_by_other_lender)}"
        )
    for note in report.notes:
        out.print(f"note: {note}", markup=False, highlight=False)

    # Plain lines, not a table: a narrow terminal must never cut a secret someone has to type.
    out.print("operators: log in at /operator/login with the password and a code from the TOTP secret")
    for o in report.operators:
        out.print(
            f"  {o.username:<12} role {o.role:<12} password {o.password}  TOTP secret {o.totp_secret}",
            markup=False,
            highlight=False,
        )

    people = Table(title="borrowers: log in at /login with the phone; read the one-time code at /dev/codes")
    for column in ("phone", "name", "loan", "behaviour"):
        people.add_column(column)
    settled = [b for b in report.borrowers if b.person_id == report.settled_borrower_id]
    # One of each story first (late, never paid), so a person can look at every case.
    firsts = {b.behaviour: b for b in reversed(report.borrowers) if b.behaviour in ("late", "never")}
    shown = settled + [firsts[k] for k in ("late", "never") if k in firsts]
    shown += [b for b in report.borrowers if b not in shown]
    for b in shown[:SHOWN_BORROWERS]:
        people.add_row(b.phone, b.name, f"{b.amount.to_decimal()} x {b.term}m", b.behaviour)
    out.print(people)
    phones = sorted(b.phone for b in report.borrowers)
    if len(phones) > SHOWN_BORROWERS:
        out.print(f"every borrower's phone: {', '.join(phones)}", markup=False, highlight=False)
    funded = ", ".join(f"{n} by {who}" for who, n in sorted(report.funded_by.items())) or "none"
    out.print(f"loans funded: {funded}; offers still listed: {report.not_funded}")
    if report.charged_off:
        out.print(f"charged off: {len(report.charged_off)} loans; {report.recoveries} recoveries received since")
    if report.investors:
        out.print("investors: log in at /login with the phone (code at /dev/codes), then open /investor/portfolio")
        for i in report.investors:
            out.print(
                f"  {i.phone:<14} {i.name:<18} deposited {i.deposited.to_decimal()}", markup=False, highlight=False
            )
    if report.orders:
        orders = report.orders
        still_open = orders["placed"] - orders["bought"] - orders["cancelled"]
        out.print(
            f"secondary market: {orders['placed']} notes offered, {orders['bought']} bought, {still_open} still offered "
            "(/investor/market, /investor/market/trades)"
        )
    if settled:
        rules = ", ".join(report.blocked_rules) or "-"
        out.print(
            f"the motivating case: {settled[0].phone} repaid early, a collector still called "
            f"(blocked: {rules}); log in as that borrower and open /borrower/contacts"
        )


@app.command()
def demo(
    borrowers: Annotated[int, typer.Option(min=1, max=2000, help="How many borrowers to sign up.")] = 40,
    days: Annotated[int, typer.Option(min=1, max=730, help="Business days of end-of-day to simulate.")] = 90,
    seed: Annotated[int, typer.Option(min=0, help="Seed: the same seed makes the same people and events.")] = 7,
) -> None:
    """Seed an EMPTY database with demo data (migrating SQLite first) and print how to log in."""
    report = seed_database(load_settings(), borrowers=borrowers, days=days, seed=seed)
    print_report(report)
