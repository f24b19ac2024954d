"""A bounded load on a fairlend server on this machine: a realistic mix; throughput and p50/p99 per endpoint.

    .venv/bin/python -m bench.load                               # SQLite, 8 clients, 30 s
    .venv/bin/python -m bench.load --db postgresql --seconds 60  # scratch database fairlend_load
    .venv/bin/python -m bench.load --url http://127.0.0.1:8000   # a development server you started

It starts `fairlend serve` itself (bench/loopback.py) on a scratch database
unless `--url` names one, and refuses any target but this machine (127.0.0.1,
::1, localhost): it signs people in with the codes the development message
sender keeps, and sends thousands of requests. The run is bounded twice, by
`--seconds` and by `--max-requests`. Every session comes from this machine,
one client to identity's one-time-code send budgets (10 codes an hour per
client): the server it starts lifts them; start your own with
`FAIRLEND_OTP_CLIENT_SENDS_PER_HOUR`/`_PER_DAY` raised before using `--url`.

Each client is a person using the borrower portal through the API, one
session after another. A session signs up a new person (one-time code, real
name and ID number, a bank card, consents) or logs one in again by a code
(one code a minute per number, as identity allows), then does what borrowers
do, by weight: reads their loans and profile, checks their own credit report
and score (a soft inquiry), reads a payoff quote, applies for a loan and
accepts the offer when they have none, and repays when they have one; one
repayment in twenty is a client's retry with the same Idempotency-Key. Every
mutating call carries an Idempotency-Key. At the end it prints each
endpoint's count, throughput and p50/p99 latency, and the answers by status;
it exits 1 if any answer was a 5xx or never came.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import sqlalchemy as sa

from bench.load_client import Client, People, Stats
from bench.loopback import Server, require_loopback
from bench.scratch import recreate_pg

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/fairlend_load"


def _percentile(values: list[float], q: float) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(stats: Stats, seconds: float) -> tuple[str, int]:
    """The table of figures, and how many answers were 5xx or never came."""
    lines = [f"{'endpoint':<44} {'count':>7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}  answers"]
    bad = 0
    for endpoint in sorted(stats.latencies):
        values = sorted(stats.latencies[endpoint])
        answers = stats.answers[endpoint]
        bad += sum(n for status, n in answers.items() if status == 0 or status >= 500)
        shown = " ".join(f"{status or 'none'}:{n}" for status, n in sorted(answers.items()))
        lines.append(
            f"{endpoint:<44} {len(values):>7} {len(values) / seconds:>8.1f} "
            f"{_percentile(values, 50) * 1000:>8.1f} {_percentile(values, 99) * 1000:>8.1f}  {shown}"
        )
    everything = sorted(v for values in stats.latencies.values() for v in values)
    if everything:
        lines.append(
            f"{'all':<44} {len(everything):>7} {len(everything) / seconds:>8.1f} "
            f"{_percentile(everything, 50) * 1000:>8.1f} {_percentile(everything, 99) * 1000:>8.1f}"
        )
    lines.append(f"5xx or no answer: {bad}")
    return "\n".join(lines), bad


def run_load(url: str, *, clients: int, seconds: float, max_requests: int, seed: int) -> tuple[Stats, float]:
    require_loopback(url)
    people = People(seed)
    stats = Stats()
    deadline = time.monotonic() + seconds
    started = time.perf_counter()
    workers = [
        threading.Thread(
            target=Client(url, people, stats, random.Random(f"{seed}-{n}"), deadline, max_requests).run, daemon=True
        )
        for n in range(clients)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return stats, time.perf_counter() - started


def _scratch_postgresql() -> str:
    recreate_pg(str(sa.engine.make_url(PG_URL).database))
    from fairlend.db.engine import make_engine
    from fairlend.db.migrate import upgrade

    engine = make_engine(PG_URL)
    upgrade(engine)
    engine.dispose()
    return PG_URL


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite", help="the server's database")
    parser.add_argument("--url", help="a running development server on this machine instead of a new one")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (threads)")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to send requests")
    parser.add_argument("--max-requests", type=int, default=100_000, help="stop after this many requests")
    parser.add_argument("--seed", type=int, default=None, help="replays a run's people and choices")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 64 or not 0 < args.seconds <= 3600 or not 1 <= args.max_requests <= 1_000_000:
        parser.error("bounded: 1-64 clients, at most an hour, at most 1,000,000 requests")
    if args.url is not None:
        try:
            require_loopback(args.url)
        except ValueError as exc:
            parser.error(str(exc))
    seed = args.seed if args.seed is not None else random.randrange(10**6)
    with tempfile.TemporaryDirectory(prefix="fairlend-load-") as scratch:
        server: Server | None = None
        if args.url is not None:
            url, where = args.url.rstrip("/"), args.url
        else:
            database = _scratch_postgresql() if args.db == "postgresql" else f"sqlite:///{scratch}/fairlend.db"
            # Every session comes from this machine, which the send budgets count as one client
            # (identity/otp.py): the load measures throughput, so it lifts them on its own server.
            budgets = {"otp_client_sends_per_hour": "10000000", "otp_client_sends_per_day": "10000000"}
            server = Server(database, Path(scratch) / "server", settings={**budgets, "otp_sends_per_hour": "10000000"})
            server.start()
            url, where = server.url, f"{server.url} ({args.db}, `fairlend serve`, pid {server.pid})"
        try:
            print(f"fairlend load: {args.clients} clients, {args.seconds:g} s, seed {seed}, against {where}")
            stats, elapsed = run_load(
                url, clients=args.clients, seconds=args.seconds, max_requests=args.max_requests, seed=seed
            )
        finally:
            if server is not None:
                server.stop()
        table, bad = report(stats, elapsed)
        print(table)
        if bad and server is not None:
            print(f"the server's errors:\n{server_errors(server.log_path)}")
    return 1 if bad else 0


def server_errors(log: Path) -> str:
    """The tracebacks in a server log (uvicorn prints one per 5xx), the last few."""
    text = log.read_text("utf-8", "replace")
    blocks = [b for b in text.split("ERROR:") if "Traceback" in b]
    return "\n".join("ERROR:" + b.strip()[-3000:] for b in blocks[-3:]) or "(none logged)"


if __name__ == "__main__":
    sys.exit(main())
