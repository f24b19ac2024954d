"""Collections benchmarks: gateway decisions per second and planning the day's tasks.

    .venv/bin/python -m bench.collections                 # defaults: a few minutes at most
    .venv/bin/python -m bench.collections --loans 100000 --decisions 500000
    .venv/bin/python -m bench.collections --database postgresql+psycopg://postgres@127.0.0.1:5432/bench
    .venv/bin/python -m bench.collections --fuzz 1000000                       # the oracle fuzz only, pure policy
    .venv/bin/python -m bench.collections --fuzz 20000 --through storage [--database URL] [--seed S]

`--fuzz N` plays N random attempts (half under cn, half under us) against the
independent oracle (tests/collections/oracle.py) and prints the disagreements
(goal 0), the first few with their world seed, and decisions per second.

Targets (issue #7): at least 50,000 gateway decisions a second; planning 100,000
overdue loans in under 10 s, set-based.
"""

from __future__ import annotations

import sys

# This file is named like the standard library's `collections`; running it puts
# bench/ first on sys.path, which would shadow it. Drop that entry before importing anything.
if sys.path and sys.path[0].rstrip("/").endswith("bench"):
    del sys.path[0]

import argparse
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fairlend.bootstrap import bootstrap
from fairlend.clock import FixedClock
from fairlend.collections.fakes import InMemoryContactPoints, InMemoryLending, InMemoryOtp
from fairlend.collections.gateway import ContactRequest
from fairlend.collections.model import (
    Attempt,
    CeaseRequest,
    LoanFacts,
    LoanState,
    Medium,
    PriorAttempt,
    RecipientKind,
    Situation,
)
from fairlend.collections.policy import evaluate
from fairlend.collections.wiring import wire_collections
from fairlend.config import Settings
from fairlend.db.migrate import upgrade
from fairlend.jurisdiction.loader import load_profile
from fairlend.money import Money

TARGET_DECISIONS = 50_000
TARGET_PLAN_SECONDS = 10.0


def decisions(n: int, profile_code: str) -> tuple[float, float]:
    """Pure policy decisions a second, over attempts with realistic histories.

    Every text is distinct (as rendered amounts make them), so no cache flatters the figure.
    """
    profile = load_profile(profile_code)
    rng = random.Random(1)
    tz = profile.timezone
    base = datetime(2026, 3, 2, 2, tzinfo=UTC)
    cases: list[tuple[Attempt, Situation]] = []
    texts = ("您好，您的借款已逾期，请尽快还款。回复TD退订", "Your payment is overdue. Reply STOP to opt out.", "老赖")
    for i in range(min(n, 50_000)):
        at = base + timedelta(minutes=rng.randrange(0, 24 * 60))
        kind = RecipientKind.DEBTOR if rng.random() < 0.85 else RecipientKind.CONTACT_PERSON
        attempt = Attempt(
            f"loan_{i}", f"brw_{i}", kind, f"brw_{i}" if kind is RecipientKind.DEBTOR else f"cp_{i}",
            rng.choice((Medium.CALL, Medium.CALL, Medium.SMS)), f"n{i}", "collection", f"{rng.choice(texts)} #{i}", at, tz, "op_1",
        )  # fmt: skip
        history = tuple(
            PriorAttempt(
                attempt.loan_id,
                RecipientKind.DEBTOR,
                attempt.borrower_id,
                Medium.CALL,
                f"n{i}",
                at - timedelta(hours=rng.randrange(1, 24 * 7)),
                True,
                rng.random() < 0.3,
                rng.random() < 0.1,
            )
            for _ in range(rng.randrange(0, 15))
        )
        situation = Situation(
            LoanState.SETTLED if rng.random() < 0.05 else LoanState.ACTIVE,
            history=history,
            cease_requests=(CeaseRequest("medium", medium=Medium.SMS),) if rng.random() < 0.05 else (),
            prior_sent_to_person=0,
        )
        cases.append((attempt, situation))
    started, cpu = time.perf_counter(), time.process_time()
    done = 0
    while done < n:
        for attempt, situation in cases:
            evaluate(attempt, situation, profile)
        done += len(cases)
    # Wall clock and this process's CPU time: on a shared machine the second is the fair figure.
    return done / (time.perf_counter() - started), done / (time.process_time() - cpu)


def _container(url: str, on: date):  # type: ignore[no-untyped-def]
    clock = FixedClock(datetime(on.year, on.month, on.day, 2, tzinfo=UTC), on)
    container = bootstrap(Settings(environment="test", database_url=url), clock=clock)
    upgrade(container.engine)
    # A database given with --database may hold an earlier run: start collections from empty.
    from sqlalchemy import delete

    from fairlend.collections import tables

    with container.engine.begin() as conn:
        for table in (tables.collection_task, tables.collection_plan_run, tables.contact_log, tables.contact_log_head):
            conn.execute(delete(table))
    return container


def planning(url: str, loans: int) -> tuple[int, float, float]:
    on = date(2026, 3, 2)
    container = _container(url, on)
    # bootstrap wires lending's real adapter; the benchmark plans over an overdue book it makes itself.
    lending = InMemoryLending()
    wire_collections(container, lending=lending, contact_points=InMemoryContactPoints(), otp=InMemoryOtp())
    assert container.collections is not None
    rng = random.Random(2)
    profile = container.profile
    for i in range(loans):
        dpd = rng.randrange(1, 200)
        lending.add(
            LoanFacts(f"loan_{i:07d}", f"brw_{i:07d}", LoanState.ACTIVE, "CNY",
                      Money(rng.randrange(10_000, 5_000_000), "CNY"), dpd, profile.bucket_for(dpd).name)
        )  # fmt: skip
    started, cpu = time.perf_counter(), time.process_time()
    with container.uow() as uow:
        count = container.collections.planner.run(uow, on)
        uow.commit()
    elapsed, cpu_used = time.perf_counter() - started, time.process_time() - cpu
    container.close()
    return count, elapsed, cpu_used


def gateway(url: str, attempts: int) -> tuple[float, float]:
    """Attempts a second through the whole gateway: reads, policy, channel, chained log append, outbox."""
    on = date(2026, 3, 3)
    container = _container(url, on)
    lending, points = InMemoryLending(), InMemoryContactPoints()
    wire_collections(container, lending=lending, contact_points=points, otp=InMemoryOtp())
    assert container.collections is not None
    borrowers = max(attempts // 5, 1)
    for i in range(borrowers):
        lending.add(LoanFacts(f"gl_{i}", f"gb_{i}", LoanState.ACTIVE, "CNY", Money(10_000, "CNY"), 10, "M1"))
        points.add(f"gb_{i}", f"+86138{i:08d}")
    started, cpu = time.perf_counter(), time.process_time()
    for n in range(attempts):
        container.collections.gateway.attempt(ContactRequest(f"gl_{n % borrowers}", Medium.CALL, collector_id="op_b"))
    rate = attempts / (time.perf_counter() - started)
    cpu_ms = (time.process_time() - cpu) * 1000 / attempts
    container.close()
    return rate, cpu_ms


def fuzz(n: int, through: str, seed: str, url: str, show: int) -> int:
    """The oracle fuzz: N attempts, half per profile. Returns the number of disagreeing attempts."""
    from tests.collections.oracle_pure import PureDriver
    from tests.collections.oracle_tally import Tally

    total = Tally()
    for code in ("cn", "us"):
        profile = load_profile(code)
        started, cpu = time.perf_counter(), time.process_time()
        if through == "pure":
            tally = PureDriver(profile, keep=show).run(seed, n // 2)
        else:
            tally = _fuzz_storage(url, code, n // 2, seed, show)
        wall, used = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"fuzz ({code}, {through}): {tally.attempts:,} attempts, {tally.allowed:,} allowed, "
            f"{tally.attempts - tally.allowed:,} blocked, {tally.disagreeing:,} disagree with the oracle; "
            f"{tally.attempts / wall:,.0f} decisions/s wall, {tally.attempts / max(used, 1e-9):,.0f}/s per CPU-second "
            f"(generating the worlds and the oracle's own work included)"
        )
        total.merge(tally)
    print(total.summary(show))
    return total.disagreeing


def _fuzz_storage(url: str, code: str, n: int, seed: str, show: int):  # type: ignore[no-untyped-def]
    from tests.collections.oracle_storage import StorageDriver, storage_clock

    clock = storage_clock()
    container = bootstrap(Settings(environment="test", database_url=url, jurisdiction=code), clock=clock)
    upgrade(container.engine)
    try:
        driver = StorageDriver(container, clock, keep=show)
        # Worlds of 60 attempts, 100 at a time on one database (their ids never collide: each batch its own).
        from tests.collections.oracle_tally import Tally

        tally, first = Tally(), 0
        while tally.attempts < n:
            worlds = min(100, max((n - tally.attempts) // 60, 1))
            tally.merge(driver.run(seed, worlds, 60, first_world=first))
            first += worlds
        unlogged = driver.unlogged()
        if unlogged:
            print(f"attempts missing from the log (P-4): {unlogged[:show]}")
        return tally
    finally:
        container.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--decisions", type=int, default=200_000)
    parser.add_argument("--loans", type=int, default=100_000)
    parser.add_argument("--gateway", type=int, default=2_000, help="attempts through the full gateway with storage")
    parser.add_argument("--database", default="", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--fuzz", type=int, default=0, help="only the oracle fuzz, over N attempts (half cn, half us)")
    parser.add_argument("--through", choices=("pure", "storage"), default="pure", help="the fuzz's driver")
    parser.add_argument("--seed", default="20260", help="the fuzz's seed (every world is replayable from it)")
    parser.add_argument("--show", type=int, default=5, help="how many disagreements to print in full")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database or f"sqlite:///{tmp}/bench.db"
        if args.fuzz:
            disagreeing = fuzz(args.fuzz, args.through, args.seed, url, args.show)
            return 1 if disagreeing else 0
        for code in ("cn", "us"):
            wall, cpu = decisions(args.decisions, code)
            print(
                f"policy decisions ({code}): {wall:,.0f}/s wall, {cpu:,.0f}/s per CPU-second "
                f"(target {TARGET_DECISIONS:,}/s: {wall / TARGET_DECISIONS:.1f}x wall, {cpu / TARGET_DECISIONS:.1f}x CPU)"
            )
        count, elapsed, cpu_used = planning(url, args.loans)
        print(
            f"planning {args.loans:,} overdue loans: {count:,} tasks in {elapsed:.2f} s ({cpu_used:.2f} s client CPU) "
            f"({args.loans / elapsed:,.0f} loans/s; target < {TARGET_PLAN_SECONDS:.0f} s: "
            f"{TARGET_PLAN_SECONDS / elapsed:.1f}x headroom)"
        )
        rate, cpu_ms = gateway(url, args.gateway)
        print(
            f"full gateway with storage ({url.split(':')[0]}): {rate:,.0f} attempts/s "
            f"({cpu_ms:.2f} ms client CPU each; one transaction per attempt)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
