"""The HTTP path: `fairlend serve` beside a bare FastAPI hello app on the same server settings, driven by wrk.

    .venv/bin/python -m bench.http                          # SQLite and PostgreSQL, 5 s per endpoint
    .venv/bin/python -m bench.http --backends sqlite --duration 10

For each database it seeds a fresh one (a product, one borrower with three
loans, an installment of each due today, the borrower's API token and web
session), starts `fairlend serve` (one process, bench/loopback.py) and the
hello app (`uvicorn_options`, the settings `fairlend serve` runs uvicorn with),
and drives each endpoint with `wrk` (Debian's package) for `--duration`
seconds: health, `GET /loans/{id}`, the borrower's loans, `POST` a repayment
(a unique Idempotency-Key per request, from a Lua script; 0.10 at a time,
alternating between two loans; the reads and the page are of the third, whose
history stays short), `POST /quotes` and the borrower's loan
page. Hello is measured twice: `async def` (the anchor) and a plain `def`,
which FastAPI runs on the thread pool as it runs every sync route: the floor of
any route that does its I/O there. On SQLite the hello app also serves the
floor of `GET /loans/{id}` (`bench.http_hello.floor_loan`): the same sync route with the read's
three statements in sqlite3 and its rows as JSON, nothing else, so the printed
ratio shows how far any implementation of that read could get. It prints requests/s, p50/p99 latency and each one's ratio to hello in
the same run, and the answers that were not 2xx (there should be none).
Loopback only: both servers listen on 127.0.0.1.

PostgreSQL: 127.0.0.1:5432, user postgres; the scratch database
`fairlend_bench_http` is dropped and created.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx

from bench.http_hello import HelloServer
from bench.loopback import Server, require_loopback
from bench.repayments import PRODUCT
from bench.scratch import recreate_pg
from fairlend.bootstrap import bootstrap
from fairlend.config import Settings
from fairlend.db.migrate import upgrade
from fairlend.identity.model import Principal, Role
from fairlend.identity.tokens import WEB_SESSION_TTL
from fairlend.ids import new_id
from fairlend.money import Money

PG_NAME = "fairlend_bench_http"
API = "/api/v1"
PRODUCT_CODE = "bench-http"
REPAYMENT_BODY = '{"amount": "0.10", "reference": "bench"}'
QUOTE_BODY = '{"product_code": "bench-http", "amount": "10000"}'
HELLO = "hello (bare FastAPI, async)"
HELLO_SYNC = "hello, sync def (thread pool)"
FLOOR = "floor: sync def + the loan's SQL"
NAMES = (
    "GET /health",
    "GET /loans/{id}",
    "GET /borrowers/{id}/loans",
    "page /borrower/loans/{id}",
    "POST /quotes",
    "POST /loans/{id}/repayments",
)
# The issue's targets, each as a share of hello's requests/s in the same run (SQLite, one process).
TARGETS = {"GET /health": 0.70, "GET /loans/{id}": 0.40, "POST /loans/{id}/repayments": 0.20}

# Per request only when the request changes (a POST's unique key, a path that alternates): a
# script's request() costs wrk time that a static request does not.
LUA_DONE = """
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("FAIRLEND_WRK %d %d %.0f %.0f %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout))
end
"""
LUA_DYNAMIC = """
local method, body, prefix
local paths = {}
local counter = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  method, body, prefix = args[1], args[2], args[3]
  for i = 4, #args do paths[#paths + 1] = args[i] end
end

function request()
  counter = counter + 1
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  if method ~= "GET" then
    headers["Idempotency-Key"] = prefix .. "-" .. tid .. "-" .. counter
    headers["Content-Type"] = "application/json"
    return wrk.format(method, paths[counter % #paths + 1], headers, body)
  end
  return wrk.format(method, paths[counter % #paths + 1], headers)
end
"""


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    paths: tuple[str, ...]
    headers: tuple[str, ...] = ()
    body: str = ""
    expect: int = 200


@dataclass(frozen=True)
class Figure:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    not_2xx: int
    socket_errors: int
    cpu_us: float  # the server process's CPU time per request


@dataclass(frozen=True)
class Row:
    name: str
    figure: Figure
    ratio: float  # requests/s over hello's, measured just before
    cpu_ratio: float  # hello's CPU per request over ours: the ratio on a machine with a core to spare


@dataclass(frozen=True)
class Seeded:
    settings: dict[str, str]
    loan_ids: list[str]
    borrower_id: str
    api_token: str
    web_token: str


def seed(database_url: str, data_dir: Path) -> Seeded:
    """A product, a borrower with three loans opened 31 days ago (an installment due today), their tokens."""
    settings = {"environment": "development", "database_url": database_url, "data_dir": str(data_dir)}
    container = bootstrap(Settings(**settings))  # type: ignore[arg-type]
    try:
        upgrade(container.engine)
        container.lending.products.define(dataclasses.replace(PRODUCT, code=PRODUCT_CODE))
        opened = container.clock.business_date() - timedelta(days=31)
        borrower_id = new_id("brw")
        loan_ids = [
            container.lending.book_loan(borrower_id, PRODUCT_CODE, Money.of("10000", "CNY"), open_date=opened)
            for _ in range(3)
        ]
        who = Principal(borrower_id, Role.BORROWER)
        api_token, _ = container.identity.tokens.issue(who)
        web_token, _ = container.identity.tokens.issue(who, WEB_SESSION_TTL)
    finally:
        container.close()
    return Seeded(settings, loan_ids, borrower_id, api_token, web_token)


def endpoints(seeded: Seeded) -> list[Endpoint]:
    """What the bench drives, in order (`NAMES`)."""
    bearer = (f"Authorization: Bearer {seeded.api_token}",)
    read, *paid = seeded.loan_ids  # the pages read a loan whose history the repayments do not grow
    return [
        Endpoint("GET /health", "GET", (f"{API}/health",)),
        Endpoint("GET /loans/{id}", "GET", (f"{API}/loans/{read}",), bearer),
        Endpoint("GET /borrowers/{id}/loans", "GET", (f"{API}/borrowers/{seeded.borrower_id}/loans",), bearer),
        Endpoint(
            "page /borrower/loans/{id}",
            "GET",
            (f"/borrower/loans/{read}",),
            (f"Cookie: fl_session={seeded.web_token}",),
        ),
        Endpoint("POST /quotes", "POST", (f"{API}/quotes",), bearer, QUOTE_BODY),
        Endpoint(
            "POST /loans/{id}/repayments",
            "POST",
            tuple(f"{API}/loans/{loan}/repayments" for loan in paid),
            bearer,
            REPAYMENT_BODY,
            201,
        ),
    ]


def check(url: str, endpoint: Endpoint) -> None:
    """One request by hand before the timed run: a bench of error answers measures nothing."""
    headers = dict(h.split(": ", 1) for h in endpoint.headers)
    if endpoint.method != "GET":
        headers |= {"Idempotency-Key": f"check-{time.time_ns()}", "Content-Type": "application/json"}
    # Generous: FastAPI builds a route's matching state on the first request that walks past it, and
    # the page walks past every API route: that first request took over 5 s on a loaded machine.
    answer = httpx.request(
        endpoint.method, url + endpoint.paths[0], headers=headers, content=endpoint.body or None, timeout=120
    )
    if answer.status_code != endpoint.expect:
        raise RuntimeError(f"{endpoint.name} answered {answer.status_code}: {answer.text[:300]}")


def cpu_seconds(pid: int) -> float:
    """The process's user and system CPU time so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(
    url: str, pid: int, endpoint: Endpoint, *, duration: float, connections: int, threads: int, workdir: Path
) -> Figure:
    require_loopback(url)
    dynamic = endpoint.method != "GET" or len(endpoint.paths) > 1
    script = workdir / ("dynamic.lua" if dynamic else "static.lua")
    script.write_text((LUA_DYNAMIC if dynamic else "") + LUA_DONE)
    command = [
        "wrk",
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={max(1, round(duration))}s",
        "--timeout=10s",
        f"--script={script}",
    ]
    for header in endpoint.headers:
        command += ["--header", header]
    command.append(url + endpoint.paths[0])
    if dynamic:
        command += ["--", endpoint.method, endpoint.body, f"k{time.time_ns()}", *endpoint.paths]
    cpu_before = cpu_seconds(pid)
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=True)
    cpu = cpu_seconds(pid) - cpu_before
    line = next(line for line in done.stdout.splitlines() if line.startswith("FAIRLEND_WRK "))
    requests, duration_us, p50_us, p99_us, not_2xx, socket_errors = (int(float(v)) for v in line.split()[1:])
    return Figure(
        requests / (duration_us / 1e6), p50_us / 1000, p99_us / 1000, not_2xx, socket_errors, cpu / requests * 1e6
    )


# -- the run ------------------------------------------------------------------------------------


def run_backend(backend: str, args: argparse.Namespace, workdir: Path) -> list[Row]:
    """Each endpoint right after hello, so a machine busy with other work weighs on both alike."""
    data_dir = workdir / backend
    data_dir.mkdir()
    url = recreate_pg(PG_NAME) if backend == "postgresql" else f"sqlite:///{data_dir / 'fairlend.db'}"
    seeded = seed(url, data_dir)
    options = {"duration": args.duration, "connections": args.connections, "threads": args.threads, "workdir": workdir}
    hello_endpoint = Endpoint("hello", "GET", ("/hello",))
    rows: list[Row] = []
    hellos: list[Figure] = []
    server = Server(seeded.settings["database_url"], data_dir / "server", settings=seeded.settings)
    floor_db = str(data_dir / "fairlend.db") if backend == "sqlite" else ""
    with HelloServer(data_dir / "hello.log", floor_db) as hello:
        server.start()
        assert server.pid is not None
        try:
            measured = [(hello.url, hello.pid, Endpoint(HELLO_SYNC, "GET", ("/hello-sync",)))]
            if floor_db and not args.only:
                floor = Endpoint(FLOOR, "GET", (f"/floor/loans/{seeded.loan_ids[0]}",))
                check(hello.url, floor)
                measured.append((hello.url, hello.pid, floor))
            measured += [(server.url, server.pid, endpoint) for endpoint in endpoints(seeded)]
            if args.only:  # a shorter run of a few endpoints, hello still before each
                chosen = {name.strip() for name in args.only.split(",")}
                measured = [m for m in measured if m[2].name in chosen]
            for where, pid, endpoint in measured:
                if where == server.url:
                    check(where, endpoint)
                anchor = wrk(hello.url, hello.pid, hello_endpoint, **options)
                figure = wrk(where, pid, endpoint, **options)
                hellos.append(anchor)
                rows.append(
                    Row(
                        endpoint.name,
                        figure,
                        figure.requests_per_second / anchor.requests_per_second,
                        anchor.cpu_us / figure.cpu_us,
                    )
                )
        finally:
            server.stop()
    mean = Figure(
        sum(h.requests_per_second for h in hellos) / len(hellos),
        sum(h.p50_ms for h in hellos) / len(hellos),
        sum(h.p99_ms for h in hellos) / len(hellos),
        sum(h.not_2xx for h in hellos),
        sum(h.socket_errors for h in hellos),
        sum(h.cpu_us for h in hellos) / len(hellos),
    )
    return [Row(HELLO + " (mean)", mean, 1.0, 1.0), *rows]


def print_rows(backend: str, rows: list[Row], args: argparse.Namespace) -> None:
    load = os.getloadavg()[0]
    print(
        f"\n[{backend}] `fairlend serve`, one process; wrk {args.threads} threads, {args.connections} connections,"
        f" {args.duration:g} s each, hello just before each; load average {load:.1f}"
    )
    print(
        f"{'endpoint':<36}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'CPU µs':>8}{'/ hello':>9}{'CPU/hello':>10}"
        f"{'target':>8}{'not 2xx':>8}{'errors':>7}"
    )
    for row in rows:
        target = TARGETS.get(row.name)
        shown = f"{target:.0%}" if target is not None and backend == "sqlite" else ""
        f = row.figure
        print(
            f"{row.name:<36}{f.requests_per_second:>8,.0f}{f.p50_ms:>8.2f}{f.p99_ms:>8.2f}{f.cpu_us:>8,.0f}"
            f"{row.ratio:>9.0%}{row.cpu_ratio:>10.0%}{shown:>8}{f.not_2xx:>8}{f.socket_errors:>7}",
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of load per endpoint (1-300)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated endpoint names (as printed) to drive, each after hello; default: all of them",
    )
    args = parser.parse_args(argv)
    unknown = {name.strip() for name in args.only.split(",") if name.strip()} - {*NAMES, HELLO_SYNC}
    if unknown:
        parser.error(f"--only takes these names: {', '.join((HELLO_SYNC, *NAMES))}; not {', '.join(sorted(unknown))}")
    if not 1 <= args.duration <= 300 or not 1 <= args.connections <= 256 or not 1 <= args.threads <= 16:
        parser.error("bounded: 1-300 s, 1-256 connections, 1-16 threads")
    if shutil.which("wrk") is None:
        print("bench.http needs wrk on the PATH (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="fairlend-http-") as tmp:
        for backend in args.backends.split(","):
            print_rows(backend, run_backend(backend, args, Path(tmp)), args)
    print("\ntargets (SQLite, one process): health >= 70 %, GET /loans/{id} >= 40 %, POST repayment >= 20 % of hello")
    return 0


if __name__ == "__main__":
    sys.exit(main())
