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
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from bench.loopback import Server, require_loopback
from bench.scratch import recreate_pg
from fairlend.sim.people import GIVEN, REGIONS, SURNAMES, card_number, id_number, phone_number

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/fairlend_load"
API = "/api/v1"
ACTIONS_PER_SESSION = (10, 30)
CODE_INTERVAL_SECONDS = 61  # identity sends one code a minute to a number
CODES_PER_NUMBER = 9  # and ten a day; the sign-up took one
REPLAY_SHARE = 0.05
# What a signed-in borrower does next, by weight (repay and apply depend on having a loan).
WEIGHTS = {
    "loans": 4,
    "me": 2,
    "self_check": 2,
    "score_history": 1,
    "payoff": 1,
    "repay": 6,
    "apply": 1,
}


@dataclass
class Person:
    index: int
    phone: str
    name: str
    id_number: str
    birth_date: date
    card: str
    person_id: str = ""
    codes_sent: int = 0
    last_code_at: float = float("-inf")
    loan_id: str = ""


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    answers: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0

    def add(self, endpoint: str, seconds: float, status: int) -> None:
        with self.lock:
            self.latencies[endpoint].append(seconds)
            self.answers[endpoint][status] += 1
            self.requests += 1


class Stop(Exception):
    """The run's time or request budget is spent."""


class People:
    """Everyone signed up in this run; a session takes one who may be sent a code now, or a new one."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._people: list[Person] = []
        self._busy: set[int] = set()
        self._lock = threading.Lock()

    def new(self) -> Person:
        with self._lock:
            k = len(self._people)
            q, r = divmod(k, len(REGIONS))
            born = date(1970, 1, 1) + timedelta(days=(self._seed % 500) * 20 + q // 1000)
            rng = random.Random(f"{self._seed}-{k}")
            person = Person(
                index=k,
                phone=phone_number(self._seed, k + 1),
                name=rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
                id_number=id_number(REGIONS[r], born, q % 1000),
                birth_date=born,
                card=card_number(self._seed % 1000 * 1_000_000 + k + 1),
            )
            self._people.append(person)
            self._busy.add(k)
            return person

    def returning(self, rng: random.Random) -> Person | None:
        now = time.monotonic()
        with self._lock:
            ready = [
                p
                for p in self._people
                if p.person_id
                and p.index not in self._busy
                and p.codes_sent < CODES_PER_NUMBER
                and now - p.last_code_at > CODE_INTERVAL_SECONDS
            ]
            if not ready:
                return None
            person = rng.choice(ready)
            self._busy.add(person.index)
            return person

    def release(self, person: Person) -> None:
        with self._lock:
            self._busy.discard(person.index)


class Client:
    """One borrower's browser-less client: sessions of requests until the budget is spent."""

    def __init__(
        self, base_url: str, people: People, stats: Stats, rng: random.Random, deadline: float, max_requests: int
    ) -> None:
        self._http = httpx.Client(base_url=base_url + API, timeout=60.0)
        self._people = people
        self._stats = stats
        self._rng = rng
        self._deadline = deadline
        self._max = max_requests
        self._token = ""
        self._last_repayment: tuple[str, str, dict[str, Any]] | None = None

    def _call(
        self, method: str, endpoint: str, path: str, *, body: Any = None, key: str | None = None, **params: Any
    ) -> httpx.Response | None:
        if time.monotonic() >= self._deadline or self._stats.requests >= self._max:
            raise Stop
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        if method != "GET":
            headers["Idempotency-Key"] = key or uuid.uuid4().hex
        started = time.perf_counter()
        try:
            response = self._http.request(method, path, json=body, headers=headers, params=params or None)
        except httpx.TransportError:
            self._stats.add(f"{method} {endpoint}", time.perf_counter() - started, 0)
            return None
        self._stats.add(f"{method} {endpoint}", time.perf_counter() - started, response.status_code)
        return response

    def run(self) -> None:
        try:
            while True:
                self._session()
        except Stop:
            pass
        finally:
            self._http.close()

    def _code(self, person: Person, purpose: str) -> str | None:
        sent = self._call("POST", "/auth/otp", "/auth/otp", body={"phone": person.phone, "purpose": purpose})
        person.codes_sent += 1
        person.last_code_at = time.monotonic()
        if sent is None or sent.status_code != 202:
            return None
        codes = self._call("GET", "/dev/one-time-codes", "/dev/one-time-codes", phone=person.phone)
        if codes is None or codes.status_code != 200 or not codes.json():
            return None
        return str(codes.json()[0]["code"])

    def _session(self) -> None:
        self._token = ""
        self._last_repayment = None  # a retry is sent with the session's own token, or it is not a retry
        person = self._people.returning(self._rng)
        try:
            if person is None:
                person = self._people.new()
                if not self._sign_up(person):
                    return
            elif not self._log_in(person):
                return
            for _ in range(self._rng.randint(*ACTIONS_PER_SESSION)):
                self._act(person)
            self._call("POST", "/auth/logout", "/auth/logout")
        finally:
            if person is not None:
                self._people.release(person)

    def _sign_up(self, person: Person) -> bool:
        code = self._code(person, "sign_up")
        if code is None:
            return False
        signed = self._call(
            "POST", "/auth/sign-up", "/auth/sign-up", body={"phone": person.phone, "code": code, "role": "borrower"}
        )
        if signed is None or signed.status_code != 201:
            return False
        self._token = signed.json()["access_token"]
        person.person_id = pid = signed.json()["subject_id"]
        for purpose in ("credit_self_check", "credit_inquiry"):
            self._call(
                "POST",
                "/people/{id}/consents",
                f"/people/{pid}/consents",
                body={"purpose": purpose, "text_version": "v1", "institution": "fairlend"},
            )
        self._call(
            "POST",
            "/people/{id}/kyc/identity",
            f"/people/{pid}/kyc/identity",
            body={"name": person.name, "id_number": person.id_number, "birth_date": person.birth_date.isoformat()},
        )
        self._call("POST", "/people/{id}/bank-cards", f"/people/{pid}/bank-cards", body={"card_number": person.card})
        return True

    def _log_in(self, person: Person) -> bool:
        code = self._code(person, "log_in")
        if code is None:
            return False
        token = self._call(
            "POST", "/auth/tokens", "/auth/tokens", body={"phone": person.phone, "code": code, "role": "borrower"}
        )
        if token is None or token.status_code != 200:
            return False
        self._token = token.json()["access_token"]
        return True

    def _act(self, person: Person) -> None:
        action = self._rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()))[0]
        pid = person.person_id
        if action == "loans":
            found = self._call("GET", "/borrowers/{id}/loans", f"/borrowers/{pid}/loans")
            if found is not None and found.status_code == 200:
                active = [loan["id"] for loan in found.json() if loan["state"] == "active"]
                person.loan_id = active[0] if active else ""
        elif action == "me":
            self._call("GET", "/me", "/me")
        elif action == "self_check":
            self._call("POST", "/origination/self-check", "/origination/self-check")
        elif action == "score_history":
            self._call("GET", "/scoring/history", "/scoring/history")
        elif action == "payoff" and person.loan_id:
            self._call("GET", "/loans/{id}/payoff", f"/loans/{person.loan_id}/payoff")
        elif action == "repay" and person.loan_id:
            self._repay(person)
        elif action in ("apply", "repay") and not person.loan_id:
            self._apply(person)

    def _repay(self, person: Person) -> None:
        if self._last_repayment and self._rng.random() < REPLAY_SHARE:
            loan_id, key, body = self._last_repayment  # a client that lost the answer sends it again
            self._call("POST", "/loans/{id}/repayments (retry)", f"/loans/{loan_id}/repayments", body=body, key=key)
            return
        key = uuid.uuid4().hex
        body = {"amount": f"{self._rng.randint(1, 50)}.{self._rng.randint(0, 99):02d}", "reference": "load"}
        paid = self._call("POST", "/loans/{id}/repayments", f"/loans/{person.loan_id}/repayments", body=body, key=key)
        self._last_repayment = (person.loan_id, key, body)
        if paid is not None and paid.status_code == 409:
            person.loan_id = ""  # settled meanwhile

    def _apply(self, person: Person) -> None:
        body = {
            "amount": str(self._rng.choice((3_000, 5_000, 8_000))),
            "term_months": self._rng.choice((6, 12)),
            "inquiry_disclosure_acknowledged": True,
        }
        applied = self._call("POST", "/origination/applications", "/origination/applications", body=body)
        if applied is None or applied.status_code != 201 or not applied.json().get("offer_id"):
            return
        offer = applied.json()["offer_id"]
        accepted = self._call(
            "POST", "/origination/offers/{id}/accept", f"/origination/offers/{offer}/accept", body={"agreed": True}
        )
        if accepted is not None and accepted.status_code == 200:
            person.loan_id = accepted.json().get("loan_id") or ""


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
