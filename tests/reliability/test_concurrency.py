"""Repayments from eight threads at once through the HTTP API of a real server, on PostgreSQL.

The server is `fairlend serve` in a process of its own on loopback (bench/loopback.py),
not the ASGI app in the test's process: the requests cross a real socket,
uvicorn's worker and its thread pool, and the client threads do not share a
GIL with the server, so they interleave the way production traffic does. A
fifth of the requests replay an earlier key (some of a request still running),
some reuse a key with another amount; the ledger is then counted against the
keys the client was told succeeded.

The issue's size is 10,000 repayments: `FAIRLEND_RELIABILITY_REPAYMENTS=10000`
runs it (about 70 s on an idle two-core machine; docs/reliability.md has the
figures). CI sends 3,000 to keep the suite within minutes.
`FAIRLEND_RELIABILITY_EOD_LOAD` sets the load end-of-day runs inside.
"""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from bench.loopback import Server, child_environment, fairlend_command

from tests.reliability.book import TODAY, book_state, cli_settings, done_runs, fairlend, seed_book, settings_for
from tests.reliability.client import RepaymentLoad
from tests.reliability.oracle import check_exactly_once, posted_by_key, posted_into_closed_date

REPAYMENTS = int(os.environ.get("FAIRLEND_RELIABILITY_REPAYMENTS", "3000"))
EOD_LOAD = int(os.environ.get("FAIRLEND_RELIABILITY_EOD_LOAD", "1500"))


@pytest.mark.slow
@pytest.mark.backends("postgresql")
def test_repayments_from_eight_threads_with_replays_and_reused_keys_post_each_key_exactly_once(
    database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(database_url, tmp_path)
    accounts = seed_book(settings, borrowers=max(40, REPAYMENTS // 250))
    with Server(database_url, tmp_path / "server") as server:
        load = RepaymentLoad(server.url, accounts, REPAYMENTS, threads=8, seed=2)
        tally = load.run()
    assert load.failures == []
    assert tally.server_errors() == [], tally.server_errors()[:5]
    statuses = tally.statuses()
    replays = sum(1 for answers in tally.answers.values() for a in answers if a.replayed)
    # The oracle has work to do: replays answered from the store, keys reused and refused.
    assert replays > REPAYMENTS // 10 and len(tally.mismatches) > REPAYMENTS // 100
    summary = check_exactly_once(database_url, tally)
    assert summary.acknowledged == len(tally.sent) == summary.posted  # no crash here: every key answered
    print(f"{REPAYMENTS} requests: answers {dict(statuses)}; {replays} replayed from the store; {summary}")
    verified = fairlend(settings, "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr


@pytest.mark.slow
@pytest.mark.backends("postgresql")
def test_two_end_of_day_runs_while_repayments_arrive_close_the_date_once_and_post_each_repayment_once(
    database_url: str, tmp_path: Path
) -> None:
    settings = settings_for(database_url, tmp_path)
    accounts = seed_book(settings, borrowers=40)
    runs: list[subprocess.CompletedProcess[str]] = []
    overlap: list[int] = []

    def end_of_day(load: RepaymentLoad) -> None:
        load.wait_until(EOD_LOAD // 4)
        overlap.append(load.done)
        try:
            # An operator and a scheduler start the same date at once, each in a process of its own.
            started = [
                subprocess.Popen(
                    fairlend_command("eod", "--through", TODAY.isoformat()),
                    env=child_environment(cli_settings(settings)),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for _ in range(2)
            ]
            for process in started:
                out, err = process.communicate(timeout=300)
                runs.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
            overlap.append(load.done)
        finally:
            load.stop_after(EOD_LOAD // 4)  # repayments into the new date, after end-of-day

    with Server(database_url, tmp_path / "server") as server:
        load = RepaymentLoad(server.url, accounts, EOD_LOAD, threads=8, seed=3)
        # The load lasts until end-of-day is over, however fast the server answers repayments.
        load.keep_going.set()
        tally = load.run(during=end_of_day)
    assert load.failures == []
    assert [r.returncode for r in runs] == [0, 0], [r.stderr for r in runs]
    # The second finds the date closed: at once (skipped), or after waiting for the first to commit
    # (the date has moved on, so it has nothing to close).
    outcomes = [line.split()[1] for r in runs for line in r.stdout.splitlines() if line.startswith(str(TODAY))]
    assert sorted(outcomes) in (["done"], ["done", "skipped"]), [r.stdout for r in runs]
    assert done_runs(database_url) == [TODAY]
    assert book_state(database_url)["business_date"] == str(TODAY + timedelta(days=1))
    assert tally.server_errors() == [], tally.server_errors()[:5]
    summary = check_exactly_once(database_url, tally)
    assert summary.acknowledged == len(tally.sent) == summary.posted
    # The server followed the date end-of-day moved: repayments on both sides of it, and none written
    # into the closed date after it closed (every loan here is overdue, so end-of-day locks them all:
    # a repayment either went before it or waited for it).
    dates = {row.business_date for rows in posted_by_key(database_url).values() for row in rows}
    assert dates == {TODAY, TODAY + timedelta(days=1)}
    assert posted_into_closed_date(database_url, TODAY) == 0
    print(f"end-of-day ran from request {overlap[0]} to {overlap[1]} of {load.done}; {summary}")
    verified = fairlend(settings, "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
