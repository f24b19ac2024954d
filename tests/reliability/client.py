"""A repayment client for the reliability suite: many threads, an Idempotency-Key each, and every answer kept.

`RepaymentLoad` sends repayments from several threads through the HTTP API,
replays earlier keys and reuses some with a different body, and records every
answer in a `Tally`; when the server dies under it, its threads wait and go on.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from fairlend.money import Money
from tests.reliability.book import Account

REPAYMENTS_PATH = "/api/v1/loans/{loan_id}/repayments"


@dataclass(frozen=True, slots=True)
class Answer:
    status: int  # 0: no answer (the connection failed or the server died)
    repayment_id: str = ""
    code: str = ""
    replayed: bool = False


@dataclass(frozen=True, slots=True)
class Sent:
    key: str
    account: Account
    amount_minor: int


def pay(client: httpx.Client, sent: Sent, amount_minor: int | None = None) -> Answer:
    """POST one repayment with its key; `amount_minor` other than the key's own makes it a different request."""
    minor = sent.amount_minor if amount_minor is None else amount_minor
    try:
        response = client.post(
            REPAYMENTS_PATH.format(loan_id=sent.account.loan_id),
            json={"amount": str(Money(minor, "CNY").to_decimal()), "reference": sent.key},
            headers={"Authorization": f"Bearer {sent.account.token}", "Idempotency-Key": sent.key},
        )
    except httpx.TransportError:
        return Answer(0)
    body: dict[str, Any] = {}
    if response.headers.get("content-type", "").endswith("json"):
        body = response.json()
    return Answer(
        response.status_code,
        repayment_id=str(body.get("id", "")) if response.status_code < 300 else "",
        code=str(body.get("code", "")),
        replayed=response.headers.get("idempotent-replayed") == "true",
    )


@dataclass
class Tally:
    """What the client sent and every answer it got, per key."""

    sent: dict[str, Sent] = field(default_factory=dict)
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    mismatches: list[tuple[str, Answer]] = field(default_factory=list)
    completed: list[str] = field(default_factory=list)  # keys with a success answered, in order
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, sent: Sent, answer: Answer) -> None:
        with self.lock:
            self.sent.setdefault(sent.key, sent)
            self.answers.setdefault(sent.key, []).append(answer)
            successes = [a for a in self.answers[sent.key] if 200 <= a.status < 300]
            if 200 <= answer.status < 300 and len(successes) == 1:
                self.completed.append(sent.key)

    def acknowledged(self) -> dict[str, set[str]]:
        """Key -> the repayment ids its successes named (one, if the API keeps its word)."""
        return {
            key: {a.repayment_id for a in answers if 200 <= a.status < 300}
            for key, answers in self.answers.items()
            if any(200 <= a.status < 300 for a in answers)
        }

    def statuses(self) -> Counter[int]:
        return Counter(a.status for answers in self.answers.values() for a in answers) + Counter(
            a.status for _, a in self.mismatches
        )

    def server_errors(self) -> list[tuple[str, Answer]]:
        found = [(k, a) for k, answers in self.answers.items() for a in answers if a.status >= 500]
        return found + [(k, a) for k, a in self.mismatches if a.status >= 500]


class RepaymentLoad:
    """`total` repayment requests from `threads` threads: new keys, replays of earlier keys, and reused keys.

    A fifth of the requests (`replay_share`) repeat an earlier key with its own
    body: most of a key already answered, some of a key still in flight (which
    may fairly answer 409 `idempotency_request_in_progress`). `mismatch_share`
    of them send a key already answered with another amount, which must be
    refused with 422 `idempotency_key_reused`. When a request gets no answer
    (the server died), the thread waits until `up` is set again and goes on.
    """

    def __init__(
        self,
        base_url: str,
        accounts: list[Account],
        total: int,
        *,
        threads: int = 8,
        seed: int = 1,
        replay_share: float = 0.2,
        mismatch_share: float = 0.02,
        tally: Tally | None = None,
    ) -> None:
        self.base_url = base_url
        self.accounts = accounts
        self.total = total
        self.threads = threads
        self.seed = seed
        self.replay_share = replay_share
        self.mismatch_share = mismatch_share
        self.tally = tally or Tally()
        self.up = threading.Event()
        self.up.set()
        self.done = 0  # requests sent so far
        self._next = 0
        self._in_flight: set[str] = set()
        self._lock = threading.Lock()
        self.failures: list[BaseException] = []
        # While set, the load goes on past `total`: what runs beside it (an end-of-day) must finish
        # inside the load however fast the server answers.
        self.keep_going = threading.Event()

    def _claim(self) -> int | None:
        with self._lock:
            if self._next >= self.total and not self.keep_going.is_set():
                return None
            self._next += 1
            return self._next - 1

    def _worker(self, n: int) -> None:
        rng = random.Random(self.seed * 1_000 + n)
        tally = self.tally
        with httpx.Client(base_url=self.base_url, timeout=60.0) as client:
            while (i := self._claim()) is not None:
                self.up.wait()
                roll = rng.random()
                with tally.lock:
                    completed = len(tally.completed)
                    earlier = list(self._in_flight) if roll < self.replay_share / 4 else []
                if roll < self.mismatch_share and completed:
                    with tally.lock:
                        key = tally.completed[rng.randrange(completed)]
                        sent = tally.sent[key]
                    answer = pay(client, sent, sent.amount_minor + rng.randint(1, 99))
                    with tally.lock:
                        tally.mismatches.append((key, answer))
                elif roll < self.replay_share and (completed or earlier):
                    with tally.lock:
                        key = rng.choice(earlier) if earlier else tally.completed[rng.randrange(completed)]
                        sent = tally.sent[key]
                    answer = pay(client, sent)
                    tally.record(sent, answer)
                else:
                    sent = Sent(f"rel-{self.seed}-{i}", rng.choice(self.accounts), rng.randint(1, 200))
                    with tally.lock:
                        tally.sent[sent.key] = sent
                        self._in_flight.add(sent.key)
                    answer = pay(client, sent)
                    tally.record(sent, answer)
                    with tally.lock:
                        self._in_flight.discard(sent.key)
                with self._lock:
                    self.done += 1
                if answer.status == 0:
                    time.sleep(0.05)  # the server is down: `up` is cleared until it is back

    def run(self, during: Callable[[RepaymentLoad], None] | None = None) -> Tally:
        """Send everything; `during(self)` runs on the calling thread meanwhile (a kill, an end-of-day)."""

        def guarded(n: int) -> None:
            try:
                self._worker(n)
            except BaseException as exc:  # reported by the test
                self.failures.append(exc)

        workers = [threading.Thread(target=guarded, args=(n,), daemon=True) for n in range(self.threads)]
        for worker in workers:
            worker.start()
        if during is not None:
            during(self)
        for worker in workers:
            worker.join(timeout=600)
        assert not any(w.is_alive() for w in workers), "a load thread hung"
        return self.tally

    def stop_after(self, more: int) -> None:
        """End `keep_going`: send `more` requests after this one (at least `total` in all), then stop."""
        with self._lock:
            self.total = max(self.total, self._next + more)
            self.keep_going.clear()

    def wait_until(self, done: int, timeout: float = 300.0) -> None:
        deadline = time.monotonic() + timeout
        while self.done < done and time.monotonic() < deadline:
            time.sleep(0.01)


def retry_unanswered(base_url: str, tally: Tally) -> None:
    """What a client owes an idempotent API after losing answers: send each unanswered key again, as it was."""
    with httpx.Client(base_url=base_url, timeout=60.0) as client:
        for key, answers in list(tally.answers.items()):
            if not any(200 <= a.status < 300 for a in answers):
                tally.record(tally.sent[key], pay(client, tally.sent[key]))
