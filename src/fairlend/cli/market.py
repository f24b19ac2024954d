"""`fairlend market ...`: the marketplace for operators (listings, the deadline, auto-invest, distribution, reconcile).

Thin: each command calls `container.market`. Bad input (an unknown status, a
listing that is not open) prints one line and exits 2; `reconcile` exits 1
when it finds a discrepancy, like `fairlend verify`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from fairlend.cli import UsageError, err, open_container, out
from fairlend.market.model import ListingFilter, ListingStatus
from fairlend.market.service import MarketService
from fairlend.money import Money

app = typer.Typer(help="The marketplace: listings, the funding deadline, distribution to notes.", no_args_is_help=True)


def _market() -> MarketService:
    return open_container().market


@app.command("listings")
def listings(
    status: Annotated[str, typer.Option(help="open, funded or cancelled.")] = "open",
    limit: Annotated[int, typer.Option(min=1, max=1000, help="At most this many.")] = 50,
) -> None:
    """List listings: id, status, funded of amount, grade, term, rate, deadline."""
    if status not in {s.value for s in ListingStatus}:
        raise UsageError("listing_status_unknown", f"no listing status {status!r}; use open, funded or cancelled")
    found = _market().listings.browse(ListingFilter(status=status), limit=limit)
    for v in found:
        out.print(
            f"{v.id}  {v.status.value:<9} {v.funded} of {v.amount} ({v.funded_share:.0%})  grade {v.grade}  "
            f"{v.term_months} months  {v.nominal_rate:.2%}  deadline {v.deadline}  {v.loan_id or ''}",
            markup=False,
            highlight=False,
        )
    out.print(f"{len(found)} {status} listings")


@app.command("close")
def close(listing_id: Annotated[str, typer.Argument(help="An open listing's id.")]) -> None:
    """Withdraw an open listing: cancelled, every investor's cash released, the offer not funded."""
    _market().funding.close(listing_id)
    out.print(f"{listing_id} cancelled; commitments released")


@app.command("deadline")
def deadline() -> None:
    """Originate or cancel every open listing whose deadline is today or before (end-of-day does this too)."""
    report = _market().funding.deadline()
    out.print(
        f"{len(report.originated)} originated in full, {len(report.partial)} in part, {len(report.cancelled)} cancelled"
    )


@app.command("autoinvest")
def autoinvest(
    listing: Annotated[str | None, typer.Option(help="Serve this open listing only.")] = None,
) -> None:
    """Serve open listings' matching auto-invest rules in rotation now (after end-of-day this runs too)."""
    market = _market()
    auto = market.autoinvest
    passes = [auto.serve(listing)] if listing else list(auto.sweep().passes)
    for p in passes:
        if p.turns or p.refused:
            state = f"refused ({p.refused})" if p.refused else (f"funded, loan {p.loan_id}" if p.loan_id else "open")
            out.print(
                f"{p.listing_id}  {len(p.turns)} turns  {Money(p.invested, market.profile.currency)}  {state}",
                markup=False,
                highlight=False,
            )
    turns = sum(len(p.turns) for p in passes)
    funded = sum(1 for p in passes if p.loan_id)
    out.print(f"{len(passes)} listings served: {turns} turns, {funded} funded")


@app.command("distribute")
def distribute() -> None:
    """Share every receipt not yet distributed (through today) among the notes now (end-of-day does this too)."""
    container = open_container()
    with container.uow() as uow:
        report = container.market.distribution.run(uow, uow.clock.business_date())
        uow.commit()
    out.print(f"{report.receipts} receipts shared over {report.shares} loans ({report.batch_id or 'nothing to do'})")


@app.command("reconcile")
def reconcile() -> None:
    """The market's checks of `fairlend verify`: wallets, commitments, notes and distributions against the ledger."""
    found = _market().verify()
    if not found:
        out.print("market reconciled: wallets, commitments, notes and distributions agree with the ledger")
        return
    for discrepancy in found:
        out.print(str(discrepancy), markup=False, highlight=False)
    err.print(f"{len(found)} discrepancies")
    raise typer.Exit(1)
