"""One borrower's sessions through the API, for bench.load: sign-up or log-in by code, then what borrowers do.

A client signs a new person up (one-time code, real name and ID number, a bank
card, consents) or logs one in again by a code (one code a minute per number,
as identity allows), then does what borrowers do, by weight. Every mutating
call carries an Idempotency-Key; one repayment in twenty is a retry.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx

from fairlend.sim.people import GIVEN, REGIONS, SURNAMES, card_number, id_number, phone_number

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
