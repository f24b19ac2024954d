"""Races on the secondary market: one order, many buyers; a buyer against the seller's cancel; trades and distribution."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from sqlalchemy import func, select

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.ledger.model import AccountType
from fairlend.market.distribution_tables import market_loan_share, market_note_epoch, market_receipt
from fairlend.market.positions import positions
from fairlend.market.reconcile import DISTRIBUTION_KIND
from fairlend.market.secondary import OrderStatus
from fairlend.market.shares import Weighted, split
from fairlend.market.tables import market_note
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


def _received(container: Container, loan_id: str) -> dict[str, tuple[int, int]]:
    """Per holder of the loan: (principal, net) their notes have received, as they are now."""
    now = positions()
    with container.uow(read_only=True) as uow:
        rows = uow.conn.execute(
            select(now.c.holder_id, func.sum(now.c.paid_principal_minor), func.sum(now.c.paid_net_minor))
            .where(now.c.loan_id == loan_id)
            .group_by(now.c.holder_id)
        ).all()
    return {h: (int(p), int(n)) for h, p, n in rows}


@pytest.mark.backends("postgresql", "sqlite")
@pytest.mark.slow
@pytest.mark.parametrize("first", ["race", "batch", "sale"])
def test_a_sale_racing_a_distribution_batch_on_its_loan_pays_each_holder_exactly_and_moves_no_money_twice(
    container: Container, clock: FixedClock, first: str
) -> None:
    """Whichever commits first, each holder gets exactly their part, and cash is only moved, never made.

    Two threads race; "batch" and "sale" run the two one after the other, so both outcomes are checked
    whichever the race gives.
    """
    b = book(container)
    b.world.investor("inv_cat", cash=5_000)
    close_days(container, clock, 31)
    container.lending.repay(b.loan_id, yuan(900))
    with container.uow(read_only=True) as uow:
        amount, fee, principal = uow.conn.execute(
            select(
                func.sum(market_receipt.c.amount_minor),
                func.sum(market_receipt.c.fee_minor),
                func.sum(market_receipt.c.principal_minor),
            ).where(market_receipt.c.loan_id == b.loan_id, market_receipt.c.batch_id.is_(None))
        ).one()
    net = int(amount) - int(fee)
    assert net > 0 and int(principal) > 0
    holders = ("inv_ann", "inv_bob", "inv_cat")
    before = {h: cash(container, h) for h in holders}
    order = b.market.orders.place("inv_bob", b.note_of("inv_bob"), yuan(1_000), 0)

    def distribute() -> None:
        with container.uow() as uow:
            b.market.distribution.run(uow, clock.business_date())
            uow.commit()

    buy = partial(b.market.trades.buy, "inv_cat", order.id)
    if first == "race":
        outcomes = race([distribute, buy])
        assert outcomes == Counter({"ok": 2}), outcomes
    else:
        for call in (distribute, buy) if first == "batch" else (buy, distribute):
            call()
    assert b.market.orders.get(order.id).status is OrderStatus.FILLED

    with container.uow(read_only=True) as uow:
        # The batch first: the sale then ended the epoch it had shared in (its notes' weights kept).
        ended = uow.conn.execute(
            select(market_note_epoch.c.holder_id, market_note_epoch.c.note_id, market_note_epoch.c.weight_minor)
            .where(market_note_epoch.c.loan_id == b.loan_id)
            .order_by(market_note_epoch.c.note_id)
        ).all()
        held = uow.conn.execute(
            select(market_loan_share.c.principal_minor, market_loan_share.c.net_minor).where(
                market_loan_share.c.loan_id == b.loan_id
            )
        ).one()
        notes = uow.conn.execute(
            select(market_note.c.holder_id, market_note.c.outstanding_minor + market_note.c.charged_off_minor).where(
                market_note.c.loan_id == b.loan_id
            )
        ).all()
    assert first == "race" or bool(ended) == (first == "batch")
    if ended:  # the batch first: the sale then ended the epoch it had shared in
        # Shared by the notes as they were (ann 6,000, bob 4,000), paid whole by largest remainder.
        assert {(r.holder_id, r.weight_minor) for r in ended} == {("inv_ann", 600_000), ("inv_bob", 400_000)}
        weights = [Weighted(r.note_id, r.weight_minor) for r in ended]
        expected = {
            r.holder_id: (p, n)
            for r, p, n in zip(ended, split(int(principal), weights), split(net, weights), strict=True)
        }
        expected["inv_cat"] = (0, 0)
        assert tuple(held) == (0, 0)  # nothing held: the sale's end of the epoch paid it out
    else:
        # Shared by the notes after the sale (ann 6,000, bob 3,000, cat 1,000): each its floor, the rest held.
        weights = {h: int(w) for h, w in notes}
        assert weights == {"inv_ann": 600_000, "inv_bob": 300_000, "inv_cat": 100_000}
        expected = {h: (int(principal) * w // 1_000_000, net * w // 1_000_000) for h, w in weights.items()}
        assert tuple(held) == (int(principal), net)  # the loan's row: the whole batch, floors and held units
        assert 0 <= net - sum(n for _, n in expected.values()) < len(weights)
    assert _received(container, b.loan_id) == expected
    credited = container.ledger.kind_totals(DISTRIBUTION_KIND, AccountType.INVESTOR_CASH)
    assert {h: -credited.get(h, 0) for h in holders} == {h: n for h, (_, n) in expected.items()}
    # Cash is only moved: the trade's price from cat to bob, the shares from the platform to the holders.
    after = {h: cash(container, h) for h in holders}
    assert sum(after.values()) - sum(before.values()) == sum(n for _, n in expected.values())
    assert container.verify() == []
