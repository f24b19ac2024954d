"""What two closings of one book are compared by, and the broker the distributed tests need.

The journal is compared by its totals (kind, date, account), not by its
entries: a date closed in partitions posts each partition's own entries, one
per kind and currency, where one transaction posts one. Everything else that
end-of-day writes is compared row for row, ids and all, except wall-clock
instants and the run records themselves.
"""

from __future__ import annotations

import json
import os
import socket
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa

from fairlend.collections.tables import collection_task
from fairlend.ledger.tables import ledger_account, ledger_entry, ledger_posting
from fairlend.lending.tables import loan_delinquency_transition
from fairlend.lending_reporting.tables import lending_reporting_file
from tests.conftest import PG_REQUIRED
from tests.reliability.book import book_state

BROKER_URL = os.environ.get("FAIRLEND_TEST_BROKER", "amqp://guest:guest@127.0.0.1:5672//")
# Entry and posting counts differ by design (one entry per partition); the partitions' rows exist only there.
PER_RUN = {"ledger_entry", "ledger_posting", "eod_partition", "eod_run"}


def closed_book(database_url: str) -> dict[str, Any]:
    state = book_state(database_url)
    state.pop("journal")
    state.pop("runs")
    state["rows"] = {k: v for k, v in state["rows"].items() if k not in PER_RUN}
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            state["journal_totals"] = sorted(
                (kind, str(day), account, int(amount))
                for kind, day, account, amount in conn.execute(
                    sa.select(
                        ledger_entry.c.kind,
                        ledger_entry.c.business_date,
                        ledger_account.c.id,
                        sa.func.sum(ledger_posting.c.amount),
                    )
                    .select_from(ledger_entry.join(ledger_posting).join(ledger_account))
                    .group_by(ledger_entry.c.kind, ledger_entry.c.business_date, ledger_account.c.id)
                )
            )
            t = collection_task.c
            state["plans"] = sorted(
                tuple(map(str, r))
                for r in conn.execute(
                    sa.select(t.loan_id, t.business_date, t.step, t.action, t.medium, t.days_past_due, t.overdue_minor)
                )
            )
            d = loan_delinquency_transition.c
            state["buckets"] = sorted(
                tuple(map(str, r))
                for r in conn.execute(sa.select(d.loan_id, d.business_date, d.from_bucket, d.to_bucket, d.dpd))
            )
            state["report_files"] = {
                str(day): Counter(_record(line) for line in content.splitlines())
                for day, content in conn.execute(
                    sa.select(lending_reporting_file.c.business_date, lending_reporting_file.c.content)
                )
            }
    finally:
        engine.dispose()
    return state


def _record(line: str) -> str:
    """A report line without what names the run rather than the loan (its position in the outbox)."""
    record = json.loads(line)
    if isinstance(record, dict):
        record.pop("position", None)
    return json.dumps(record, sort_keys=True)


def broker_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5672), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture
def broker() -> str:
    """RabbitMQ's URL; skipped where it does not listen, a failure in CI (as PostgreSQL's tests)."""
    if not broker_reachable():
        if PG_REQUIRED:
            pytest.fail(f"RabbitMQ is required here and unreachable at {BROKER_URL}")
        pytest.skip("RabbitMQ is not reachable on this machine (CI requires it)")
    return BROKER_URL
