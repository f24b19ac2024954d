"""The market simulator's wall time for N borrowers over D business days, and the share of each service.

Runs `fairlend.sim.simulate` on a fresh database (SQLite by default) under a
profile with investors (`us`), every service call timed (sim/timing.py), and
prints: the wall time, borrower-days per second, the seconds and share of
each context and of the slowest calls, and a linear projection to the
issue's size (10,000 borrowers, 500 investors, 365 days) against its target
of 5 minutes. The projection counts what each borrower does once (sign-up,
KYC, applying, funding) by borrowers and the rest (repayments, contacts,
end-of-day) by borrower-days: it is an estimate, printed as such.

    .venv/bin/python -m bench.simulate                         # 1,000 borrowers x 60 days
    .venv/bin/python -m bench.simulate --borrowers 10000 --investors 500 --days 365
    .venv/bin/python -m bench.simulate --backend postgresql    # scratch database fairlend_bench_sim
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.scratch import drop_pg, fresh_database
from fairlend.bootstrap import bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.db.migrate import upgrade
from fairlend.jurisdiction.loader import load_profile
from fairlend.sim.simulate import SimConfig, simulate
from fairlend.sim.timing import Timer
from fairlend.sim.world import local_instant

PG_DB = "fairlend_bench_sim"
TODAY = date(2026, 3, 2)
TARGET = (10_000, 500, 365)  # the size
TARGET_SECONDS = 300.0  # ... under 5 minutes on SQLite
# Calls a borrower or an investor makes once (signing up, applying, funding), not every day.
ONCE = ("identity.", "origination.", "market.commitments", "market.listings", "market.wallets", "market.autoinvest")
ONCE += ("bureau.inquire", "collections.service.name_contact_person", "collections.service.confirm_contact_person")


def run(borrowers: int, investors: int, days: int, seed: int, backend: str, jurisdiction: str) -> tuple[float, Timer]:
    with tempfile.TemporaryDirectory() as tmp:
        url = fresh_database(backend, Path(tmp), PG_DB)
        settings = Settings(environment="test", database_url=url, data_dir=Path(tmp), jurisdiction=jurisdiction)
        zone = load_profile(jurisdiction).timezone
        container = bootstrap(settings, clock=FixedClock(local_instant(TODAY, zone), TODAY))
        try:
            upgrade(container.engine)
            timer = Timer()
            began = time.perf_counter()
            report = simulate(container, SimConfig(borrowers, investors, days, seed), timer=timer)
            wall = time.perf_counter() - began
            found = container.verify()
            print(
                f"{backend}: {borrowers} borrowers, {investors} investors, {days} days: {wall:.1f} s wall; "
                f"{len(report.loans)} loans, {report.repayments} repayments, {sum(report.contacts.values())} "
                f"contact attempts; fairlend verify: {len(found)} discrepancies"
            )
        finally:
            container.close()
            if backend != "sqlite":
                drop_pg(PG_DB)
    return wall, timer


def project(wall: float, timer: Timer, borrowers: int, days: int) -> float:
    once = sum(s for label, s in timer.seconds.items() if label.startswith(ONCE))
    daily = sum(s for label, s in timer.seconds.items() if not label.startswith(ONCE))
    rest = max(0.0, wall - once - daily)  # the simulator's own Python between calls
    size, _, target_days = TARGET
    return (once * size / borrowers) + (daily + rest) * (size * target_days) / (borrowers * days)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--borrowers", type=int, default=1_000)
    parser.add_argument("--investors", type=int, default=50)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--jurisdiction", default="us")
    parser.add_argument("--top", type=int, default=12, help="slowest calls to list")
    args = parser.parse_args(argv)
    wall, timer = run(args.borrowers, args.investors, args.days, args.seed, args.backend, args.jurisdiction)
    print(f"borrower-days/s: {args.borrowers * args.days / wall:,.0f}")
    print(f"{'service':<28}{'seconds':>10}{'share':>8}")
    for service, seconds in timer.by_service().items():
        print(f"{service:<28}{seconds:>10.2f}{seconds / wall:>8.1%}")
    other = wall - timer.total
    print(f"{'(simulator, between calls)':<28}{other:>10.2f}{other / wall:>8.1%}")
    print(f"{'slowest calls':<44}{'seconds':>10}{'calls':>8}{'ms/call':>9}{'share':>8}")
    for label, seconds, calls in timer.slowest(args.top):
        print(f"{label:<44}{seconds:>10.2f}{calls:>8}{1000 * seconds / calls:>9.1f}{seconds / wall:>8.1%}")
    projected = project(wall, timer, args.borrowers, args.days)
    size, investors, days = TARGET
    print(
        f"projected for {size:,} borrowers x {days} days ({investors} investors): {projected:,.0f} s "
        f"= {projected / TARGET_SECONDS:.1f} x the {TARGET_SECONDS:.0f} s target (linear estimate)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
