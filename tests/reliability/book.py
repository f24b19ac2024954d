"""The reliability suite's book: seeded through the services, run on by processes of its own, compared whole.

`seed_book` fills a migrated database through the services (real people with
verified identities, so the whole platform's end-of-day runs on them: bureau
reporting, collections planning) and pins the business date, so a server or a
command in another process works on the same date. `book_state` reads what
end-of-day may change in a form two databases of the same book compare by;
`clone_database` makes the second one.
"""

from __future__ import annotations

import gc
import shutil
import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

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
from fairlend.lending.tables import eod_run
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

# Left out of the comparison: wall-clock instants; run and partition records (a killed run leaves none,
# or its partitions pending); and the
# balance shards, a cache whose rows depend on which shard each posting happened to pick (the
# balances themselves are compared, recomputed from the postings).
VOLATILE = {"created_at"}
UNCOMPARED_TABLES = {"eod_run", "eod_partition", "ledger_balance_shard"}


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
            _alone_on(conn, str(url.database))
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{url.database}"'))
            conn.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))  # as tests/conftest.py
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _alone_on(conn: sa.Connection, database: str, patience: float = 15.0) -> None:
    """Wait for the sessions left on `database` to end: a template must have none.

    An engine an earlier test leaked keeps an idle pooled connection until the
    collector reaches it; a killed process's backend may still be finishing its
    statement. Idle sessions left after `patience` seconds are ended (the
    database is idle by contract, and the platform's engines ping before use);
    a session still working then is a real fault and fails the test by name.
    """
    others = sa.text(
        "SELECT pid, state, application_name, left(query, 120) AS query FROM pg_stat_activity"
        " WHERE datname = :database AND pid <> pg_backend_pid()"
    )
    deadline = time.monotonic() + patience
    while sessions := conn.execute(others, {"database": database}).all():
        if time.monotonic() > deadline:
            busy = [s for s in sessions if not str(s.state or "idle").startswith("idle")]
            assert not busy, f"sessions still working on {database}: {busy}"
            for session in sessions:
                conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": session.pid})
            print(f"ended idle sessions left on {database}: {[tuple(s) for s in sessions]}")
            deadline = time.monotonic() + patience
            continue
        gc.collect()  # a leaked engine in a reference cycle closes its pool when collected
        time.sleep(0.2)


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
