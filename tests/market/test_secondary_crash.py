"""A process SIGKILLed in the middle of a purchase (cash moved, note not yet) leaves neither."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from fairlend.bootstrap import Container
from fairlend.market.secondary import OrderStatus
from tests.market.support import yuan
from tests.market.trading_support import book, cash, counts, notes_of_loan


def _child(database_url: str, day: str, order: str, buyer: str, point: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRLEND_CRASH")}
    if point:
        env["FAIRLEND_CRASH_AT"] = point
    return subprocess.run(
        [sys.executable, "-m", "tests.market.crashing_trade", database_url, day, order, buyer],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_crash_between_moving_the_cash_and_moving_the_note_leaves_neither(
    container: Container, database_url: str
) -> None:
    b = book(container)
    b.world.investor("inv_cat", cash=2_000)
    order = b.market.orders.place("inv_ann", b.note_of("inv_ann"), yuan(1_000), -100)
    before = (
        counts(container),
        notes_of_loan(container, b.loan_id),
        cash(container, "inv_cat"),
        cash(container, "inv_ann"),
    )
    day = container.clock.business_date().isoformat()
    crashed = _child(database_url, day, order.id, "inv_cat", "market.trade_after_cash")
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    after = (
        counts(container),
        notes_of_loan(container, b.loan_id),
        cash(container, "inv_cat"),
        cash(container, "inv_ann"),
    )
    assert after == before
    assert b.market.wallets.wallet("inv_cat").cash == yuan(2_000)
    assert b.market.orders.get(order.id).status is OrderStatus.OPEN
    assert container.verify() == []
    done = _child(database_url, day, order.id, "inv_cat", None)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().startswith("trd_")
    assert cash(container, "inv_cat") == 200_000 - 99_000
    assert notes_of_loan(container, b.loan_id)["inv_cat"] == (100_000, 100_000, 0)
    assert container.verify() == []
