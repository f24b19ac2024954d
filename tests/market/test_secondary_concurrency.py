"""Races on the secondary market: one order, many buyers; a buyer against the seller's cancel; trades and distribution."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.market.secondary import OrderStatus
from tests.market.support import race, yuan
from tests.market.trading_support import book, cash, close_days, notes_of_loan


@pytest.mark.backends("postgresql", "sqlite")
@pytest.mark.slow
def test_buyers_racing_for_one_order_exactly_one_wins(container: Container) -> None:
    b = book(container)
    buyers = [b.world.investor(f"inv_buyer{n}", cash=5_000) for n in range(4)]
    for _round in range(3):
        order = b.market.orders.place("inv_ann", b.note_of("inv_ann"), yuan(1_000), -100)
        outcomes = race([partial(b.market.trades.buy, who, order.id) for who in buyers])
        assert outcomes == Counter({"ok": 1, "order_not_open": 3}), outcomes
        assert b.market.orders.get(order.id).status is OrderStatus.FILLED
    paid = sum(500_000 - cash(container, who) for who in buyers)
    assert paid == 3 * 99_000
    held = notes_of_loan(container, b.loan_id)
    assert sum(held[who][1] for who in buyers if who in held) == 300_000
    assert container.verify() == []


@pytest.mark.backends("postgresql", "sqlite")
@pytest.mark.slow
def test_a_buyer_racing_the_sellers_cancel_exactly_one_wins(container: Container) -> None:
    b = book(container)
    b.world.investor("inv_cat", cash=10_000)
    seen: Counter[str] = Counter()
    for _round in range(6):
        order = b.market.orders.place("inv_bob", b.note_of("inv_bob"), yuan(500), 0)
        outcomes = race(
            [partial(b.market.trades.buy, "inv_cat", order.id), partial(b.market.orders.cancel, "inv_bob", order.id)]
        )
        assert outcomes == Counter({"ok": 1, "order_not_open": 1}), outcomes
        final = b.market.orders.get(order.id)
        seen[final.status.value] += 1
        assert (final.status is OrderStatus.FILLED) == (final.trade_id is not None)
    bought = seen["filled"]
    assert cash(container, "inv_cat") == 1_000_000 - bought * 50_000
    assert notes_of_loan(container, b.loan_id)["inv_bob"][1] == 400_000 - bought * 50_000
    assert container.verify() == []


@pytest.mark.backends("postgresql", "sqlite")
@pytest.mark.slow
def test_a_buyer_racing_for_two_orders_with_cash_for_one_is_never_overdrawn(container: Container) -> None:
    b = book(container)
    b.world.investor("inv_cat", cash=1_000)
    first = b.market.orders.place("inv_ann", b.note_of("inv_ann"), yuan(1_000), 0)
    second = b.market.orders.place("inv_bob", b.note_of("inv_bob"), yuan(1_000), 0)
    outcomes = race(
        [lambda: b.market.trades.buy("inv_cat", first.id), lambda: b.market.trades.buy("inv_cat", second.id)]
    )
    assert outcomes == Counter({"ok": 1, "insufficient_cash": 1}), outcomes
    wallet = b.market.wallets.wallet("inv_cat")
    assert wallet.cash == yuan(0) and cash(container, "inv_cat") == 0
    assert sorted(o.status.value for o in (b.market.orders.get(first.id), b.market.orders.get(second.id))) == [
        "filled",
        "open",
    ]
    assert container.verify() == []


@pytest.mark.backends("postgresql")
def test_a_trade_waits_while_a_distribution_holds_the_notes_then_goes_through(
    container: Container, clock: FixedClock
) -> None:
    """On PostgreSQL a distribution (or a charge-off's write-down) holds trades back until it commits."""
    b = book(container)
    b.world.investor("inv_cat", cash=5_000)
    order = b.market.orders.place("inv_bob", b.note_of("inv_bob"), None, 0)
    done = threading.Event()
    failed: list[BaseException] = []

    def buy() -> None:
        try:
            b.market.trades.buy("inv_cat", order.id)
        except BaseException as exc:  # pragma: no cover - reported below
            failed.append(exc)
        done.set()

    with container.uow() as uow:
        b.market.distribution.run(uow, clock.business_date())  # nothing to share: it still holds trades
        buyer = threading.Thread(target=buy)
        buyer.start()
        time.sleep(1.0)
        assert not done.is_set(), "the trade went through while a distribution held the notes"
        uow.commit()
    buyer.join(timeout=30)
    assert done.is_set() and failed == []
    assert b.market.orders.get(order.id).status is OrderStatus.FILLED
    assert container.verify() == []


@pytest.mark.backends("postgresql", "sqlite")
@pytest.mark.slow
def test_trades_racing_end_of_day_distribution_lose_and_double_nothing(container: Container, clock: FixedClock) -> None:
    b = book(container, {"inv_ann": 5_000, "inv_bob": 5_000})
    buyers = [b.world.investor(f"inv_buyer{n}", cash=3_000) for n in range(3)]
    close_days(container, clock, 31)
    container.lending.repay(b.loan_id, yuan(900))
    orders = [b.market.orders.place("inv_ann", b.note_of("inv_ann"), yuan(1_000), 0) for _ in range(1)]
    orders.append(b.market.orders.place("inv_bob", b.note_of("inv_bob"), yuan(2_000), 0))
    calls: list[Callable[[], Any]] = [lambda: container.eod.run()]
    calls += [partial(b.market.trades.buy, who, o.id) for o, who in zip(orders, buyers, strict=False)]
    outcomes = race(calls)
    assert outcomes["ok"] == len(calls), outcomes
    assert sum(p for p, _, _ in notes_of_loan(container, b.loan_id).values()) == 1_000_000
    assert container.verify() == []
