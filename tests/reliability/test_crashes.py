"""Processes killed with SIGKILL at unlucky moments, on SQLite and PostgreSQL: the ledger keeps its word.

A server is killed twice while eight threads post repayments through it (at
moments drawn from one seed) and started again; the client sends every key it
never heard back about again, as an idempotent client must. Then every
success the client was told of is in the ledger exactly once, nothing is
posted twice, and `fairlend verify` passes. (The idempotency steps' own crash
points, between claim, effect and stored answer, are tested beside the
middleware; these tests are load, a kill at a random moment, and the ledger.)

`fairlend eod` is killed at its crash points and at a random moment, again
and again on one book, then run to the end: each date is closed once and the
book equals a copy of it that closed the same dates without a crash.

`FAIRLEND_RELIABILITY_SEED` replays a run; `FAIRLEND_RELIABILITY_CRASH_LOAD`
sends more repayments.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from bench.loopback import Server, child_environment, fairlend_command

from fairlend.bootstrap import bootstrap
from fairlend.config import Settings
from tests.reliability.book import (
    TODAY,
    book_state,
    cli_settings,
    clone_database,
    done_runs,
    drop_clone,
    fairlend,
    seed_book,
    settings_for,
    state_difference,
)
from tests.reliability.client import RepaymentLoad, retry_unanswered
from tests.reliability.oracle import check_exactly_once

SEED = int(os.environ.get("FAIRLEND_RELIABILITY_SEED", "20260316"))
LOAD = int(os.environ.get("FAIRLEND_RELIABILITY_CRASH_LOAD", "1000"))


@pytest.mark.slow
def test_a_server_killed_mid_load_keeps_every_acknowledged_repayment_exactly_once(
    backend: str, database_url: str, tmp_path: Path
) -> None:
    rng = random.Random(f"{SEED}-{backend}")
    kill_at = sorted(rng.randint(LOAD * k // 10, LOAD * (k + 2) // 10) for k in (2, 6))
    settings = settings_for(database_url, tmp_path)
    accounts = seed_book(settings, borrowers=16)
    server = Server(database_url, tmp_path / "server")
    server.start()
    cut: list[int] = []

    def kill_and_restart(load: RepaymentLoad) -> None:
        for at in kill_at:
            load.wait_until(at)
            load.up.clear()
            server.kill()
            cut.append(load.done)
            server.start()
            load.up.set()

    try:
        load = RepaymentLoad(server.url, accounts, LOAD, threads=8, seed=rng.randrange(10**6))
        tally = load.run(during=kill_and_restart)
        lost = sum(1 for answers in tally.answers.values() for a in answers if a.status == 0)
        retry_unanswered(server.url, tally)
    finally:
        server.stop()
    assert load.failures == []
    assert len(cut) == 2 and server.starts == 3
    assert lost > 0, "the kills cut no request short: nothing was tested"  # the oracle has work to do
    assert tally.server_errors() == [], tally.server_errors()[:5]
    summary = check_exactly_once(database_url, tally)
    assert summary.acknowledged > LOAD // 2
    print(f"kills after {cut} requests; {lost} answers lost; answers {dict(tally.statuses())}; {summary}")
    verified = fairlend(settings, "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def _eod_until_killed(settings: Settings, through: str, crash_at: str, after: int, partitions: str) -> int:
    run = fairlend(
        settings,
        "eod",
        "--through",
        through,
        extra_env={
            "FAIRLEND_CRASH_AT": crash_at,
            "FAIRLEND_CRASH_AFTER": str(after),
            "FAIRLEND_EOD_PARTITIONS": partitions,
        },
    )
    return run.returncode


@pytest.mark.slow
@pytest.mark.parametrize("partitions", ["1", "4"])
def test_end_of_day_killed_again_and_again_closes_each_date_once_and_ends_as_if_never_killed(
    backend: str, database_url: str, tmp_path: Path, partitions: str
) -> None:
    rng = random.Random(f"{SEED}-eod-{backend}-{partitions}")
    settings = settings_for(database_url, tmp_path)
    seed_book(settings, borrowers=12)
    probe = bootstrap(settings)
    steps = len(probe.eod.steps)
    final = len(probe.eod.final_steps())
    probe.close()
    # `eod.after_step` passes per date: each step once in one transaction; in partitions, each
    # per-borrower step once per partition, then the steps across borrowers once.
    count = int(partitions)
    per_day = steps if count == 1 else (steps - final) * count + final
    env = {"FAIRLEND_EOD_PARTITIONS": partitions}
    last = TODAY + timedelta(days=2)
    through = last.isoformat()

    # The same book, closed through `last` with no crash: what the crashed one must end as.
    reference_url = clone_database(database_url, "ref")
    try:
        started = time.perf_counter()
        straight = fairlend(settings_for(reference_url, tmp_path), "eod", "--through", through, extra_env=env)
        straight_seconds = time.perf_counter() - started
        assert straight.returncode == 0, straight.stderr
        expected = book_state(reference_url)
    finally:
        drop_clone(reference_url)
    assert expected["runs"] == Counter({(str(TODAY + timedelta(days=d)), "done"): 1 for d in range(3)})

    before = book_state(database_url)
    # Killed inside the first date's transaction, after its last step (in partitions: inside the first
    # partition): all of the day's work undone.
    first = steps - 1 if count == 1 else steps - final - 1
    assert _eod_until_killed(settings, through, "eod.after_step", first, partitions) == -signal.SIGKILL
    assert state_difference(book_state(database_url), before) == {}
    # Killed after the first date committed, before its after-day work (the T+1 file to the bureau).
    assert _eod_until_killed(settings, through, "eod.after_commit", 0, partitions) == -signal.SIGKILL
    assert done_runs(database_url) == [TODAY]
    # Catching up the two dates left: the first of them closes, the process is killed inside the second.
    assert _eod_until_killed(settings, through, "eod.after_step", per_day + per_day // 2, partitions) == -signal.SIGKILL
    assert done_runs(database_url) == [TODAY, TODAY + timedelta(days=1)]
    # Killed from outside at a moment drawn from the seed, somewhere in the rest of the run.
    moment = rng.uniform(0.2, 0.8) * straight_seconds
    process = subprocess.Popen(
        fairlend_command("eod", "--through", through),
        env=child_environment(cli_settings(settings), env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(moment)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)

    rerun = fairlend(settings, "eod", "--through", through, extra_env=env)
    assert rerun.returncode == 0, rerun.stderr
    assert done_runs(database_url) == [TODAY + timedelta(days=d) for d in range(3)]
    assert state_difference(book_state(database_url), expected) == {}
    checked = bootstrap(settings)  # what `fairlend verify` runs (the server test runs the command itself)
    try:
        assert checked.verify() == []
    finally:
        checked.close()
