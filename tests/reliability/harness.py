"""The reliability suite's world: a seeded book, a repayment load with replays, and the ledger as the oracle.

`seed_book` fills a migrated database through the services (real people with
verified identities, so the whole platform's end-of-day runs on them: bureau
reporting, collections planning) and pins the business date, so a server in
another process works on the same date. `RepaymentLoad` sends repayments from
several threads through the HTTP API with an `Idempotency-Key` each, replays
earlier keys and reuses some with a different body, and records every answer.
`check_exactly_once` then reads what the database holds: every repayment the
client was told succeeded is posted exactly once, nothing else is posted more
than once, and each posting has exactly one journal entry of its amount.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from bench.loopback import child_environment, fairlend_command

from fairlend.bootstrap import bootstrap
from fairlend.config import Settings
from fairlend.db.schema import load_all
from fairlend.db.tables import outbox
from fairlend.identity.model import ConsentPurpose, OtpPurpose, Principal, Role
from fairlend.identity.ports import DevMessageSender
from fairlend.ledger.tables import ledger_entry, ledger_posting
from fairlend.lending.eod import set_clock_date, store_business_date, stored_business_date
from fairlend.lending.model import DayCount, Frequency, Method, Product
from fairlend.lending.tables import eod_run, loan_repayment
from fairlend.money import Money
from fairlend.sim.people import make_borrowers

# A Monday in mid-month (no month-end step). Loans opened on OPENED have two installments
# past due (10 February, 10 March): penalties, late fees, days past due, collections planning.
TODAY = date(2026, 3, 16)
OPENED = date(2026, 1, 10)
PRODUCT = Product(
    code="rel-cash",
    name="Reliability cash loan",
    currency="CNY",
    method=Method.EQUAL_INSTALLMENT,
    frequency=Frequency.MONTHLY,
    rate=Decimal("0.18"),
    term=12,
    day_count=DayCount.THIRTY_360,
    grace_days=1,
    penalty_rate=Decimal("0.18"),
    late_fee=5_000,
)
REPAYMENTS_PATH = "/api/v1/loans/{loan_id}/repayments"


@dataclass(frozen=True, slots=True)
class Account:
    """A borrower's loan and a bearer token the borrower pays it with."""

    loan_id: str
    borrower_id: str
    token: str


def seed_book(settings: Settings, borrowers: int, *, seed: int = 12) -> list[Account]:
    """`borrowers` verified people with one overdue loan each; the business date pinned to TODAY."""
    # The default clock: tokens are issued on the wall clock the server checks them against.
    container = bootstrap(settings)
    try:
        with container.uow() as uow:
            store_business_date(uow.conn, TODAY)
            uow.commit()
        set_clock_date(container.clock, TODAY)
        container.lending.products.define(PRODUCT)
        identity = container.identity
        sender = identity.sender
        assert isinstance(sender, DevMessageSender), "seeding signs people up with the development sender"
        accounts = []
        for person in make_borrowers(borrowers, seed, OPENED):
            identity.otp.send_code(person.phone, OtpPurpose.SIGN_UP)
            code = sender.last_code(identity.otp.phone(person.phone).e164, OtpPurpose.SIGN_UP.value)
            assert code is not None
            who = identity.accounts.sign_up(person.phone, code, Role.BORROWER)
            identity.kyc.verify_identity(who.subject_id, person.name, person.id_number, person.birth_date)
            identity.consents.give(who.subject_id, ConsentPurpose.CREDIT_INQUIRY, "credit-inquiry/v1", "fairlend")
            loan_id = container.lending.book_loan(
                who.subject_id, PRODUCT.code, Money.of(10_000, "CNY"), open_date=OPENED
            )
            token, _ = identity.tokens.issue(Principal(who.subject_id, Role.BORROWER))
            accounts.append(Account(loan_id, who.subject_id, token))
        return accounts
    finally:
        container.close()


# -- the client ---------------------------------------------------------------------------------


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

    def _claim(self) -> int | None:
        with self._lock:
            if self._next >= self.total:
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


# -- the oracle ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Posted:
    repayment_id: str
    amount_minor: int
    business_date: date


def posted_by_key(database_url: str) -> dict[str, list[Posted]]:
    """Every repayment row in the database, by its reference (the client's key)."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    loan_repayment.c.reference,
                    loan_repayment.c.id,
                    loan_repayment.c.amount,
                    loan_repayment.c.business_date,
                )
            ).all()
    finally:
        engine.dispose()
    found: dict[str, list[Posted]] = {}
    for reference, repayment_id, amount, business_date in rows:
        found.setdefault(reference, []).append(Posted(repayment_id, int(amount), business_date))
    return found


def journal_of_repayments(database_url: str) -> dict[str, tuple[int, int]]:
    """Repayment id -> (journal entries referring to it, the amount they received)."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    ledger_entry.c.reference,
                    sa.func.count(sa.distinct(ledger_entry.c.id)),
                    sa.func.sum(sa.case((ledger_posting.c.amount > 0, ledger_posting.c.amount), else_=0)),
                )
                .select_from(ledger_entry.join(ledger_posting, ledger_posting.c.entry_id == ledger_entry.c.id))
                .where(ledger_entry.c.kind == "loan_repayment")
                .group_by(ledger_entry.c.reference)
            ).all()
    finally:
        engine.dispose()
    return {reference: (int(entries), int(received)) for reference, entries, received in rows}


@dataclass(frozen=True, slots=True)
class ExactlyOnce:
    acknowledged: int  # keys the client was told succeeded
    posted: int  # repayment rows
    unacknowledged_posted: int  # posted, but the client never heard (a lost answer)
    unacknowledged_absent: int  # never posted and never acknowledged


def check_exactly_once(database_url: str, tally: Tally) -> ExactlyOnce:
    """Assert the ledger against what the client sent and heard; return the counts for the record."""
    posted = posted_by_key(database_url)
    journal = journal_of_repayments(database_url)
    acknowledged = tally.acknowledged()
    assert set(posted) <= set(tally.sent), f"repayments nobody sent: {sorted(set(posted) - set(tally.sent))[:5]}"
    doubled = {key: rows for key, rows in posted.items() if len(rows) != 1}
    assert not doubled, f"keys posted more than once: {list(doubled.items())[:5]}"
    for key, ids in acknowledged.items():
        assert key in posted, f"{key} was acknowledged ({ids}) and is not in the ledger"
        (row,) = posted[key]
        assert ids == {row.repayment_id}, f"{key} was answered with {ids}, the ledger holds {row.repayment_id}"
    for key, (row,) in posted.items():
        assert row.amount_minor == tally.sent[key].amount_minor, f"{key} posted {row.amount_minor}"
        assert journal.get(row.repayment_id) == (1, row.amount_minor), (
            f"{key}: repayment {row.repayment_id} has journal {journal.get(row.repayment_id)}"
        )
    assert len(journal) == len(posted), "journal entries of repayments that have no repayment row"
    for key, answer in tally.mismatches:
        if answer.status:  # a reused key with another body is refused, never posted
            assert (answer.status, answer.code) == (422, "idempotency_key_reused"), (key, answer)
    # The documented answers to a key sent with its own body: the result (first or replayed), or "still
    # running, retry" while the first request with it runs. Nothing else (a cut connection is no answer).
    unexpected = [
        (key, a)
        for key, answers in tally.answers.items()
        for a in answers
        if a.status and not 200 <= a.status < 300 and (a.status, a.code) != (409, "idempotency_request_in_progress")
    ]
    assert not unexpected, unexpected[:5]
    unacknowledged = set(tally.sent) - set(acknowledged)
    return ExactlyOnce(
        acknowledged=len(acknowledged),
        posted=len(posted),
        unacknowledged_posted=len(unacknowledged & set(posted)),
        unacknowledged_absent=len(unacknowledged - set(posted)),
    )


def done_runs(database_url: str) -> list[date]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return list(
                conn.execute(
                    sa.select(eod_run.c.business_date)
                    .where(eod_run.c.outcome == "done")
                    .order_by(eod_run.c.business_date)
                ).scalars()
            )
    finally:
        engine.dispose()


def settings_for(database_url: str, data_dir: Path) -> Settings:
    """The settings a test's processes share: development (the dev code sender), its database and files."""
    return Settings(environment="development", database_url=database_url, data_dir=data_dir)


def fairlend(
    settings: Settings, *args: str, extra_env: dict[str, str] | None = None, timeout: float = 300.0
) -> subprocess.CompletedProcess[str]:
    """Run the `fairlend` command line in a process of its own against the test's database."""
    return subprocess.run(
        fairlend_command(*args),
        env=child_environment(cli_settings(settings), extra_env),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def cli_settings(settings: Settings) -> dict[str, str]:
    return {"environment": "development", "database_url": settings.database_url, "data_dir": str(settings.data_dir)}


# -- the book as a whole, to compare a crashed-and-rerun database with one that never crashed ---------

# Left out of the comparison: wall-clock instants; run records (a killed run leaves none); and the
# balance shards, a cache whose rows depend on which shard each posting happened to pick (the
# balances themselves are compared, recomputed from the postings).
VOLATILE = {"created_at"}
UNCOMPARED_TABLES = {"eod_run", "ledger_balance_shard"}


def book_state(database_url: str) -> dict[str, Any]:
    """What end-of-day may change, in a form two runs of the same book can be compared by."""
    engine = sa.create_engine(database_url)
    metadata = load_all()
    state: dict[str, Any] = {}
    try:
        with engine.connect() as conn:
            state["rows"] = {
                t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
                for t in metadata.sorted_tables
                if t.name not in UNCOMPARED_TABLES
            }
            for name in ("loan", "loan_installment"):
                table = metadata.tables[name]
                columns = [c for c in table.columns if c.name not in VOLATILE]
                state[name] = sorted(tuple(map(str, row)) for row in conn.execute(sa.select(*columns)))
            state["balances"] = dict(
                conn.execute(
                    sa.select(ledger_posting.c.account_id, sa.func.sum(ledger_posting.c.amount)).group_by(
                        ledger_posting.c.account_id
                    )
                ).all()
            )
            state["journal"] = Counter(
                (kind, str(day))
                for kind, day in conn.execute(sa.select(ledger_entry.c.kind, ledger_entry.c.business_date))
            )
            state["outbox"] = Counter(
                (kind, aggregate, str(day))
                for kind, aggregate, day in conn.execute(
                    sa.select(outbox.c.event_type, outbox.c.aggregate_id, outbox.c.business_date)
                )
            )
            state["runs"] = Counter(
                (str(day), outcome)
                for day, outcome in conn.execute(sa.select(eod_run.c.business_date, eod_run.c.outcome))
            )
            state["business_date"] = str(stored_business_date(conn))
    finally:
        engine.dispose()
    return state


def state_difference(left: dict[str, Any], right: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The parts of two book states that differ (for an assertion message that says where)."""
    found: dict[str, tuple[Any, Any]] = {}
    for part in left.keys() | right.keys():
        a, b = left.get(part), right.get(part)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            found[part] = (
                {k: a.get(k) for k in a.keys() | b.keys() if a.get(k) != b.get(k)},
                {k: b.get(k) for k in a.keys() | b.keys() if a.get(k) != b.get(k)},
            )
        elif isinstance(a, list) and isinstance(b, list):
            found[part] = (sorted(set(a) - set(b))[:3], sorted(set(b) - set(a))[:3])
        else:
            found[part] = (a, b)
    return found


def clone_database(database_url: str, suffix: str) -> str:
    """A copy of the (idle) database beside it: the same book, the same ids."""
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        source = Path(str(url.database))
        target = source.with_name(f"{source.stem}_{suffix}{source.suffix}")
        for extension in ("", "-wal", "-shm"):
            if Path(f"{source}{extension}").exists():
                shutil.copyfile(f"{source}{extension}", f"{target}{extension}")
        return f"sqlite:///{target}"
    name = f"{url.database}_{suffix}"
    admin = sa.create_engine(url.set(database="test"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"'))
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_clone(database_url: str) -> None:
    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return  # in the test's temporary directory
    admin = sa.create_engine(url.set(database="test"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def posted_into_closed_date(database_url: str, business_date: date) -> int:
    """Repayments dated `business_date` but written after its end-of-day recorded its run (just before commit)."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            closed_at = (
                sa.select(sa.func.min(eod_run.c.started_at))
                .where(eod_run.c.business_date == business_date, eod_run.c.outcome == "done")
                .scalar_subquery()
            )
            found = conn.execute(
                sa.select(sa.func.count())
                .select_from(loan_repayment)
                .where(loan_repayment.c.business_date == business_date, loan_repayment.c.created_at > closed_at)
            ).scalar()
    finally:
        engine.dispose()
    return int(found or 0)
