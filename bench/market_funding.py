"""Funding under load (issue #13): concurrent clients investing into open listings.

N client threads (default 8) invest into L listings (default 1,000) on behalf of
a pool of investors, each picking a random open listing and investor and
investing one to eight notes (capped at what the listing still needs), through
`Commitments.invest` — the conditional UPDATEs of the real path, and the
funding (loan, notes, ledger) of each listing the last investment completes.
Prints investments/s and listings funded per second, then checks what the
issue asks: 0 over-funded listings, 0 wallets with negative or over-committed
cash, and `MarketService.verify` clean.

    .venv/bin/python -m bench.market_funding                        # PostgreSQL, 8 clients, 1,000 listings
    .venv/bin/python -m bench.market_funding --listings 20 --backends sqlite

PostgreSQL: 127.0.0.1, user postgres, scratch database `fairlend_bench_funding`
(dropped and created by this script).
"""

from __future__ import annotations

import argparse
import random
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from bench.scratch import fresh_database
from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.db.migrate import upgrade
from fairlend.errors import DomainError
from fairlend.market.adapters import OriginationOffers
from fairlend.market.model import deadline_of
from fairlend.market.ports import DevRail
from fairlend.market.service import MarketService
from fairlend.market.tables import market_listing, market_wallet
from fairlend.money import Money
from fairlend.origination.lending_adapter import PERSONAL_LOAN, personal_loan_product
from fairlend.origination.model import Quote
from fairlend.origination.ports import FundingRequest

PG_DB = "fairlend_bench_funding"
BUSINESS_DATE = date(2026, 6, 15)


class _AllVerified:
    """Every investor is verified and nobody invests in their own loan: the bench measures funding."""

    def verified(self, person_id: str) -> bool:
        return True

    def same_person(self, a: str, b: str) -> bool:
        return a == b


@dataclass
class Outcome:
    investments: int = 0
    refused: int = 0
    took: float = 0.0
    funded: int = 0
    overfunded: int = 0
    bad_wallets: int = 0
    discrepancies: int = 0


def _market(container: Container) -> MarketService:
    container.lending.products.define(personal_loan_product(container.profile.currency))
    return MarketService(
        container.uow,
        container.ledger,
        container.profile,
        container.lending,
        DevRail(),
        _AllVerified(),
        OriginationOffers(),
        PERSONAL_LOAN,
    )


def _listings(container: Container, market: MarketService, count: int, rng: random.Random) -> list[str]:
    currency = container.profile.currency
    note = container.profile.marketplace.note_minimum_minor
    ids: list[str] = []
    with container.uow() as uow:
        deadline = deadline_of(BUSINESS_DATE, container.profile.marketplace)
        for k in range(count):
            amount = Money(note * rng.randint(40, 400), currency)  # $1,000 to $10,000
            quote = Quote(amount, 12, Decimal("0.12"), Decimal("0.1268"), Money.zero(currency), ())
            request = FundingRequest(f"brw_{k:06d}", f"offer_{k:06d}", f"contract_{k:06d}", quote, "B1", None, False)
            ids.append(market.listings.insert(uow, request, deadline))
        uow.commit()
    return ids


def run_backend(backend: str, clients: int, listings: int, investors: int, workdir: Path) -> Outcome:
    url = fresh_database(backend, workdir, PG_DB)
    clock = FixedClock(datetime(2026, 6, 15, 14, 0, tzinfo=UTC), BUSINESS_DATE)
    container = bootstrap(
        Settings(environment="test", database_url=url, data_dir=workdir, jurisdiction="us"), clock=clock
    )
    upgrade(container.engine)
    try:
        market = _market(container)
        rng = random.Random(13)
        currency = container.profile.currency
        pool = [f"inv_{n:05d}" for n in range(investors)]
        for investor in pool:
            market.wallets.register(investor, agreement_version="bench", net_worth=Money.of(100_000_000, currency))
            market.wallets.deposit(investor, Money.of(1_000_000, currency))
        open_ids = _listings(container, market, listings, rng)
        note = container.profile.marketplace.note_minimum_minor
        outcome = Outcome()
        lock = threading.Lock()
        still_open = set(open_ids)

        def client(seed: int) -> None:
            local = random.Random(seed)
            while True:
                with lock:
                    if not still_open:
                        return
                    listing_id = local.choice(sorted(still_open)) if len(still_open) < 64 else local.choice(open_ids)
                view = market.listings.get(listing_id)
                if view.loan_id is not None or view.remaining.minor <= 0:
                    with lock:
                        still_open.discard(listing_id)
                    continue
                steps = min(view.remaining.minor // note, local.randint(1, 8))
                try:
                    market.commitments.invest(local.choice(pool), listing_id, Money(note * steps, currency))
                    with lock:
                        outcome.investments += 1
                except DomainError:
                    with lock:  # another client took the remainder first: the guard held
                        outcome.refused += 1

        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        outcome.took = time.perf_counter() - started
        with container.uow(read_only=True) as uow:
            conn = uow.conn
            outcome.funded = conn.execute(
                sa.select(sa.func.count()).where(market_listing.c.status == "funded")
            ).scalar_one()
            outcome.overfunded = conn.execute(
                sa.select(sa.func.count()).where(market_listing.c.funded_minor > market_listing.c.amount_minor)
            ).scalar_one()
            outcome.bad_wallets = conn.execute(
                sa.select(sa.func.count()).where(
                    (market_wallet.c.cash_minor < 0) | (market_wallet.c.committed_minor > market_wallet.c.cash_minor)
                )
            ).scalar_one()
        outcome.discrepancies = len(market.verify())
        return outcome
    finally:
        container.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--listings", type=int, default=1_000)
    parser.add_argument("--investors", type=int, default=200)
    parser.add_argument("--backends", default="postgresql")
    args = parser.parse_args(argv)
    results: dict[str, Outcome] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in args.backends.split(","):
            results[backend] = run_backend(backend, args.clients, args.listings, args.investors, Path(tmp))
    print(f"funding: {args.clients} clients investing into {args.listings:,} listings, {args.investors} investors")
    print(
        f"{'backend':<12}{'investments':>12}{'refused':>9}{'s':>8}{'invest/s':>10}{'funded':>8}"
        f"{'over-funded':>12}{'bad wallets':>12}{'verify':>8}"
    )
    for backend, r in results.items():
        rate = r.investments / r.took if r.took else 0.0
        print(
            f"{backend:<12}{r.investments:>12,}{r.refused:>9,}{r.took:>8.2f}{rate:>10,.0f}{r.funded:>8,}"
            f"{r.overfunded:>12}{r.bad_wallets:>12}{r.discrepancies:>8}"
        )
    print("the issue asks: investments/s printed, 0 over-funded listings, 0 negative cash")


if __name__ == "__main__":
    main()
