"""The `fairlend` command line: thin commands over the services.

Every command parses its input, calls one service and renders the result.
A domain error prints one line on stderr and exits with status 2.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from fairlend import __version__
from fairlend.bootstrap import Container, bootstrap
from fairlend.cli import identity as identity_cli
from fairlend.config import Settings
from fairlend.errors import DomainError

if TYPE_CHECKING:
    from fastapi import FastAPI

app = typer.Typer(
    name="fairlend", help="fairlend: online lending that cannot harass.", no_args_is_help=True, add_completion=False
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(identity_cli.app, name="users")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class UsageError(DomainError):
    """Bad input on the command line (one line, exit 2)."""


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise UsageError(
            "invalid_settings", f"{where + ': ' if where else ''}{first.get('msg', 'invalid settings')}"
        ) from None


def open_container(*, upgrade: bool = False) -> Container:
    container = bootstrap(load_settings())
    if upgrade:
        from fairlend.db.migrate import upgrade as run_upgrade

        run_upgrade(container.engine)
    return container


def freeze_long_lived() -> None:
    """Move what the process holds now (modules, the container, the app) out of the cyclic collector's reach.

    The platform's imports leave ~170,000 objects that live until the process
    exits, and every full collection rescans them all. In `fairlend eod` that was
    0.27–0.65 s of wall time at load 10 every few dates (a 50,000-loan date takes
    1–4 s; docs/performance.md, "End-of-day: where the day goes"); in `fairlend
    serve` it was the p99 of `GET /loans/{id}`: ~100 ms against a p50 of 4 ms,
    the request that met a full collection waiting for it (docs/performance.md,
    "Eighth pass"). Frozen, they are never scanned; what requests and dates
    allocate is collected as before. The garbage of start-up is collected first
    so that it is not kept for ever, and the freeze happens once a process: a
    second would also keep whatever garbage awaits collection then.
    """
    if gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()


def served_app() -> FastAPI:
    """One server process's app, built from the settings and then frozen (uvicorn's factory for each worker)."""
    from fairlend.api.app import create_app

    api = create_app(load_settings())
    freeze_long_lived()
    return api


def _version(value: bool) -> None:
    if value:
        out.print(f"fairlend {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """fairlend's command line."""


# How long a stopping worker lets requests in flight finish before it closes their connections.
GRACEFUL_SHUTDOWN_SECONDS = 30


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    demo: Annotated[bool, typer.Option("--demo", help="Seed demo data first when the database is empty.")] = False,
    workers: Annotated[
        int | None,
        typer.Option(help="Server processes (default: 1 on SQLite, one per core on PostgreSQL).", min=1, max=256),
    ] = None,
) -> None:
    """Run the web portals and the HTTP API (upgrades an embedded SQLite database first).

    With more than one worker, uvicorn's supervisor runs the processes on one socket, replaces a
    worker that dies, and on SIGTERM or SIGINT lets each finish its requests in flight (at most
    GRACEFUL_SHUTDOWN_SECONDS) before it exits. Processes share nothing in memory: sessions,
    one-time-code limits, idempotency records and the business date live in the database.
    """
    import uvicorn

    from fairlend.api.app import create_app
    from fairlend.db.migrate import is_current

    settings = load_settings()
    if demo:
        from fairlend.cli.sim import database_has_people, print_report, seed_database

        if database_has_people(settings):
            err.print("the database already holds people: starting without seeding the demo")
        else:
            print_report(seed_database(settings))
    container = bootstrap(settings)
    if settings.is_sqlite:
        from fairlend.db.migrate import upgrade

        upgrade(container.engine)
    elif not is_current(container.engine):
        raise UsageError("schema_out_of_date", "the database schema is not current; run `fairlend db upgrade` first")
    processes = workers or default_workers(settings.is_sqlite)
    where = f"http://{host or settings.host}:{port or settings.port}"
    err.print(
        f"fairlend {__version__} on {where} ({container.engine.dialect.name}, profile {container.profile.code},"
        f" {processes} worker{'s' if processes > 1 else ''})"
    )
    common = uvicorn_options(host or settings.host, port or settings.port)
    if processes == 1:
        api = create_app(container=container)
        freeze_long_lived()
        uvicorn.run(api, **common)  # type: ignore[arg-type]
        return
    container.close()
    # Each worker builds its own app from the same settings (the environment and .env it inherits).
    uvicorn.run("fairlend.cli:served_app", factory=True, workers=processes, **common)  # type: ignore[arg-type]


def uvicorn_options(host: str, port: int) -> dict[str, object]:
    """The server's settings, one place: bench/http.py runs its bare hello app on exactly these."""
    return {"host": host, "port": port, "log_level": "info", "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS}


def default_workers(is_sqlite: bool) -> int:
    """SQLite has one writer at a time, so more processes only queue on its lock; PostgreSQL uses every core."""
    return 1 if is_sqlite else max(1, os.cpu_count() or 1)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    container = open_container(upgrade=True)
    out.print(f"database schema is current ({container.engine.dialect.name})")


@app.command()
def verify() -> None:
    """Recompute every cached balance from the journal and check every invariant."""
    container = open_container()
    found = container.verify()
    if not found:
        out.print(f"verified: {', '.join(container.verifiers)}; no discrepancies")
        return
    for discrepancy in found:
        out.print(str(discrepancy), markup=False, highlight=False)
    err.print(f"{len(found)} discrepancies")
    raise typer.Exit(1)


from fairlend.cli.bureau import app as bureau_app  # noqa: E402  (needs open_container above)

app.add_typer(bureau_app, name="bureau")

from fairlend.cli import scoring as _scoring_cli  # noqa: E402  (registered after `app` exists)

app.add_typer(_scoring_cli.app, name="score")

from fairlend.cli.collections import app as collections_app  # noqa: E402  (needs open_container above)

app.add_typer(collections_app, name="collections")

from fairlend.cli import lending as _lending  # noqa: E402 - its commands import the helpers above

app.add_typer(_lending.app)

from fairlend.cli import eod as _eod  # noqa: E402 - `fairlend eod`, `eod-runs`, `worker`; needs the helpers above

app.add_typer(_eod.app)

from fairlend.cli.hardship import app as hardship_app  # noqa: E402  (`fairlend loan modify ...`)

_lending.loan_app.add_typer(hardship_app, name="modify")

from fairlend.cli.loan_changes import app as loan_changes_app  # noqa: E402  (`fairlend loan change ...`)

_lending.loan_app.add_typer(loan_changes_app, name="change")
from fairlend.cli.loan_booking import book as _book_loan  # noqa: E402  (`fairlend loan book`)

_lending.loan_app.command("book")(_book_loan)

from fairlend.cli.repayments import app as repayments_app  # noqa: E402  (needs open_container above)

app.add_typer(repayments_app, name="repayments")

from fairlend.cli import sim as _sim  # noqa: E402  (`fairlend demo`; needs the helpers above)

app.add_typer(_sim.app)


def main() -> None:
    try:
        app()
    except DomainError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(2)


from fairlend.cli import finance as _finance_cli  # noqa: E402  (`fairlend close`, `fairlend finance ...`)
from fairlend.cli.market import app as market_app  # noqa: E402  (needs open_container above)

app.add_typer(market_app, name="market")
app.add_typer(_finance_cli.app)

from fairlend.cli import report as _report_cli  # noqa: E402  (`fairlend report`; needs open_container above)

app.add_typer(_report_cli.app)

from fairlend.cli import simulate as _simulate  # noqa: E402  (`fairlend simulate`; needs the helpers above)

app.add_typer(_simulate.app)

from fairlend.cli import analytics as _analytics_cli  # noqa: E402  (`fairlend analytics snapshot`; needs the helpers above)

app.add_typer(_analytics_cli.app)
