"""The market simulator's wall time for N borrowers over D business days, and the share of each service.

Runs `fairlend.sim.simulate` on a fresh database (SQLite by default) under a
profile with investors (`us`), every service call timed (sim/timing.py), and
prints: the wall time, borrower-days per second, the seconds and share of
each context and of the slowest calls, and a linear projection to the
issue's size (10,000 borrowers, 500 investors, 365 days) against its target
of 5 minutes. The projection counts what each borrower does once (sign-up,
KYC, applying, funding) by borrowers, the investors' NAR at the end by
investors, the operators' sign-up once, and the rest (repayments, contacts,
end-of-day) by borrower-days: it is an estimate, printed as such. With
each timed call, the SQL statements it sent (a count that, unlike seconds,
the shared machine's load does not blur).

    .venv/bin/python -m bench.simulate                         # 1,000 borrowers x 60 days
    .venv/bin/python -m bench.simulate --borrowers 10000 --investors 500 --days 365
    .venv/bin/python -m bench.simulate --backend postgresql    # scratch database fairlend_bench_sim
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import event

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
# Calls a run makes a fixed number of times (the operators) or once per investor at the end (their NAR).
FIXED = ("identity.accounts.create_operator",)
PER_INVESTOR = ("market.portfolios.portfolio",)


class CountingTimer(Timer):
    """A timer that also counts the SQL statements each timed call sent (the database's round trips)."""

    def __init__(self) -> None:
        super().__init__()
        self.statements: dict[str, int] = defaultdict(int)
        self._pending = 0

    def statement(self, *_: Any) -> None:
        self._pending += 1

    def add(self, label: str, seconds: float) -> None:
        super().add(label, seconds)
        self.statements[label] += self._pending  # calls do not nest: what ran since the last call ended
        self._pending = 0


def run(
    borrowers: int, investors: int, days: int, seed: int, backend: str, jurisdiction: str
) -> tuple[float, CountingTimer]:
    with tempfile.TemporaryDirectory() as tmp:
        url = fresh_database(backend, Path(tmp), PG_DB)
        settings = Settings(environment="test", database_url=url, data_dir=Path(tmp), jurisdiction=jurisdiction)
        zone = load_profile(jurisdiction).timezone
        container = bootstrap(settings, clock=FixedClock(local_instant(TODAY, zone), TODAY))
        try:
            upgrade(container.engine)
            timer = CountingTimer()
            event.listen(container.engine, "before_cursor_execute", timer.statement)
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


def project(wall: float, timer: Timer, borrowers: int, investors: int, days: int) -> float:
    fixed = sum(s for label, s in timer.seconds.items() if label.startswith(FIXED))
    per_investor = sum(s for label, s in timer.seconds.items() if label.startswith(PER_INVESTOR))
    once = sum(s for label, s in timer.seconds.items() if label.startswith(ONCE) and not label.startswith(FIXED))
    daily = timer.total - fixed - per_investor - once
    rest = max(0.0, wall - timer.total)  # the simulator's own Python between calls
    size, target_investors, target_days = TARGET
    return (
        fixed
        + per_investor * target_investors / max(1, investors)
        + once * size / borrowers
        + (daily + rest) * (size * target_days) / (borrowers * days)
    )


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
    print(f"{'slowest calls':<44}{'seconds':>10}{'calls':>8}{'ms/call':>9}{'share':>8}{'SQL/call':>10}")
    for label, seconds, calls in timer.slowest(args.top):
        per = timer.statements[label] / calls
        print(f"{label:<44}{seconds:>10.2f}{calls:>8}{1000 * seconds / calls:>9.1f}{seconds / wall:>8.1%}{per:>10.1f}")
    print(f"SQL statements: {sum(timer.statements.values()):,} in timed calls")
    projected = project(wall, timer, args.borrowers, args.investors, args.days)
    size, investors, days = TARGET
    print(
        f"projected for {size:,} borrowers x {days} days ({investors} investors): {projected:,.0f} s "
        f"= {projected / TARGET_SECONDS:.1f} x the {TARGET_SECONDS:.0f} s target (linear estimate)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
