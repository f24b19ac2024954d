"""Repayments from many clients at once, while end-of-day runs: no lost update, no deadlock, a clean verify."""

from __future__ import annotations

import random
import threading
from datetime import date

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.ledger.model import AccountType
from fairlend.lending.model import Product
from tests.lending.helpers import balance, cny, eod_through, events


def test_concurrent_repayments_and_end_of_day_lose_nothing(
    container: Container, clock: FixedClock, cash12: Product
) -> None:
    loans = [container.lending.book_loan(f"brw_{i}", "cash-12", cny("10000")) for i in range(3)]
    eod_through(container, clock, date(2026, 4, 1))
    cash_before = balance(container, AccountType.PLATFORM_CASH)
    failures: list[BaseException] = []

    def client(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(8):
                container.lending.repay(rng.choice(loans), cny("10"))
        except BaseException as exc:  # collected and asserted below
            failures.append(exc)

    def end_of_day() -> None:
        try:
            container.eod.run()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(4)] + [threading.Thread(target=end_of_day)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert balance(container, AccountType.PLATFORM_CASH) - cash_before == 32 * 1_000
    assert len(events(container, "lending.RepaymentPosted")) == 32
    assert container.eod.is_done(date(2026, 4, 2))
    assert container.verify() == []
