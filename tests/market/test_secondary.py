"""The secondary market: orders, purchases, the note split, the cash, the ledger and distribution after a sale."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.errors import DomainError
from fairlend.market.secondary import OrderStatus, SaleStatus
from tests.market.support import yuan
from tests.market.trading_support import book, cash, close_days, counts, notes_of_loan, payable


def test_a_holder_sells_part_of_a_note_the_note_splits_and_the_cash_moves_through_the_ledger(
    container: Container,
) -> None:
    b = book(container)
    b.world.investor("inv_cat", cash=2_000)
    order = b.market.orders.place("inv_ann", b.note_of("inv_ann"), yuan(1_000), -200)
    assert order.status is OrderStatus.OPEN and order.quote is not None
    assert order.quote.price == yuan(980) and order.quote.accrued == yuan(0)  # booked today: nothing accrued yet
    trade = b.market.trades.buy("inv_cat", order.id)
    assert trade.price == yuan(980) and trade.principal == yuan(1_000)
    assert cash(container, "inv_cat") == 102_000 and cash(container, "inv_ann") == 98_000
    assert b.market.wallets.wallet("inv_cat").cash == yuan(1_020)
    assert payable(container, "inv_ann") == 500_000 and payable(container, "inv_cat") == 100_000
    held = notes_of_loan(container, b.loan_id)
    assert held == {
        "inv_ann": (500_000, 500_000, 0),
        "inv_bob": (400_000, 400_000, 0),
        "inv_cat": (100_000, 100_000, 0),
    }
    assert sum(p for p, _, _ in held.values()) == container.lending.loan_detail(b.loan_id).principal.minor
    assert b.market.orders.get(order.id).status is OrderStatus.FILLED
    assert [t.id for t in b.market.trades.of_investor("inv_ann")] == [trade.id]
    assert container.verify() == []


def test_the_price_adds_the_interest_accrued_since_the_last_due_date_to_the_part(
    container: Container, clock: FixedClock
) -> None:
    b = book(container)
    close_days(container, clock, 10)
    standing = b.market.loans.standing(b.loan_id)
    assert standing.accrued_interest > 0
    order = b.market.orders.place("inv_bob", b.note_of("inv_bob"), None, 150)
    accrued = standing.accrued_interest * 400_000 // 1_000_000
    assert order.quote is not None and order.quote.accrued.minor == accrued
    assert order.quote.price.minor == int((Decimal(400_000 + accrued) * Decimal("1.015")).to_integral_value())


def test_the_yield_at_par_on_the_day_the_loan_is_booked_is_its_rate_less_the_fee_and_a_discount_raises_it(
    container: Container,
) -> None:
    b = book(container)
    rate = container.lending.loan_detail(b.loan_id).rate
    par = b.market.orders.place("inv_ann", b.note_of("inv_ann"), yuan(1_000), 0).quote
    cheap = b.market.orders.place("inv_bob", b.note_of("inv_bob"), yuan(1_000), -500).quote
    assert par is not None and cheap is not None and par.ytm is not None and cheap.ytm is not None
    assert rate - Decimal("0.03") < par.ytm < rate  # the 1 % fee on every payment costs about 2 % a year here
    assert cheap.ytm > par.ytm + Decimal("0.05")


def test_a_whole_note_sold_before_any_repayment_keeps_the_sellers_row_at_zero_and_the_next_repayment_pays_the_buyer(
    container: Container, clock: FixedClock
) -> None:
    b = book(container)
    b.world.investor("inv_cat", cash=5_000)
    order = b.market.orders.place("inv_bob", b.note_of("inv_bob"), None, 0)
    b.market.trades.buy("inv_cat", order.id)
    assert notes_of_loan(container, b.loan_id)["inv_bob"] == (0, 0, 0)
    assert container.verify() == []
    close_days(container, clock, 31)
    before = cash(container, "inv_bob")
    container.lending.repay(b.loan_id, yuan(1_000))
    close_days(container, clock, 1)
    assert cash(container, "inv_bob") == before
    assert cash(container, "inv_cat") > 100_000  # 1,000 left after buying at par, plus its share
    assert container.verify() == []


def test_receipts_not_yet_distributed_at_the_sale_go_to_whoever_holds_the_note_when_they_are_distributed(
    container: Container, clock: FixedClock
) -> None:
    b = book(container)
    b.world.investor("inv_cat", cash=5_000)
    close_days(container, clock, 31)
    paid = container.lending.repay(b.loan_id, yuan(1_000))  # recorded, shared at the next end-of-day
    order = b.market.orders.place("inv_bob", b.note_of("inv_bob"), None, 0)
    trade = b.market.trades.buy("inv_cat", order.id)
    bob_before, cat_before = cash(container, "inv_bob"), cash(container, "inv_cat")
    close_days(container, clock, 1)
    assert cash(container, "inv_bob") == bob_before
    cat_got = cash(container, "inv_cat") - cat_before
    shared = paid.principal_paid.minor + paid.interest_paid.minor
    fee = shared // 100
    assert abs(cat_got - Decimal(shared - fee) * 4 / 10) <= 1
    held = notes_of_loan(container, b.loan_id)
    assert held["inv_cat"][1] == trade.principal.minor - round(paid.principal_paid.minor * Decimal("0.4"))
    assert container.verify() == []


def test_a_sale_after_a_repayment_leaves_the_seller_the_principal_they_were_repaid(
    container: Container, clock: FixedClock
) -> None:
    b = book(container)
    b.world.investor("inv_cat", cash=5_000)
    close_days(container, clock, 31)
    container.lending.repay(b.loan_id, yuan(1_000))
    close_days(container, clock, 1)
    repaid = 400_000 - notes_of_loan(container, b.loan_id)["inv_bob"][1]
    assert repaid > 0
    order = b.market.orders.place("inv_bob", b.note_of("inv_bob"), None, -100)
    trade = b.market.trades.buy("inv_cat", order.id)
    assert trade.principal.minor == 400_000 - repaid
    assert notes_of_loan(container, b.loan_id)["inv_bob"] == (repaid, 0, 0)
    assert payable(container, "inv_bob") == 0 and payable(container, "inv_cat") == 400_000 - repaid
    portfolio = b.market.portfolios.portfolio("inv_bob")
    assert [n.status for n in portfolio.notes] == ["sold"]
    assert container.verify() == []


def test_a_charged_off_note_sells_only_with_its_standing_acknowledged_and_recoveries_then_reach_the_buyer(
    container: Container, clock: FixedClock
) -> None:
    b = book(container)
    b.world.investor("inv_cat", cash=1_000)
    close_days(container, clock, 31 + 40)
    container.lending.charge_off(b.loan_id)
    order = b.market.orders.place("inv_ann", b.note_of("inv_ann"), yuan(3_000), -9_000)
    assert order.status_at_listing is SaleStatus.CHARGED_OFF
    assert order.quote is not None and order.quote.price == yuan(300) and order.quote.ytm is None
    with pytest.raises(DomainError) as refused:
        b.market.trades.buy("inv_cat", order.id)
    assert refused.value.code == "status_not_acknowledged"
    assert b.market.orders.get(order.id).status is OrderStatus.OPEN
    trade = b.market.trades.buy("inv_cat", order.id, acknowledged="charged_off")
    assert trade.charged_off == yuan(3_000) and trade.principal == yuan(0)
    assert notes_of_loan(container, b.loan_id)["inv_cat"] == (300_000, 0, 300_000)
    assert container.verify() == []
    before = {h: cash(container, h) for h in ("inv_ann", "inv_bob", "inv_cat")}
    container.lending.repay(b.loan_id, yuan(1_000))  # a recovery: shared by principal written down, no fee
    close_days(container, clock, 1)
    got = {h: cash(container, h) - before[h] for h in before}
    assert got == {"inv_ann": 30_000, "inv_bob": 40_000, "inv_cat": 30_000}
    assert container.verify() == []


def test_an_order_keeps_the_standing_it_was_listed_with_and_shows_buyers_the_standing_now(
    container: Container, clock: FixedClock
) -> None:
    b = book(container)
    order = b.market.orders.place("inv_ann", b.note_of("inv_ann"), yuan(1_000), -300)
    assert order.status_at_listing is SaleStatus.CURRENT
    close_days(container, clock, 31 + 35)
    now = b.market.orders.get(order.id)
    assert now.status_at_listing is SaleStatus.CURRENT
    assert now.quote is not None and now.quote.status is SaleStatus.LATE_31_PLUS
    b.loans.overrides[b.loan_id] = {"in_hardship": True}
    hardship = b.market.orders.place("inv_bob", b.note_of("inv_bob"), yuan(1_000), -300)
    assert hardship.status_at_listing is SaleStatus.HARDSHIP and hardship.status_at_listing.disclosed


def test_the_payment_history_of_an_order_is_its_notes_distributions(container: Container, clock: FixedClock) -> None:
    b = book(container)
    close_days(container, clock, 31)
    container.lending.repay(b.loan_id, yuan(1_000))
    close_days(container, clock, 1)
    order = b.market.orders.place("inv_ann", b.note_of("inv_ann"), yuan(500), 0)
    (line,) = b.market.orders.history(order.id)
    assert line.kind == "repayment" and line.principal.minor > 0
    assert line.net.minor == line.principal.minor + line.interest.minor - line.fee.minor


def _refused(container: Container, code: str, call: object) -> None:
    before = counts(container)
    with pytest.raises(DomainError) as refused:
        call()  # type: ignore[operator]
    assert refused.value.code == code
    assert counts(container) == before
    assert container.verify() == []


def test_bad_orders_and_purchases_are_refused_with_a_stable_code_and_nothing_written(
    container: Container, clock: FixedClock
) -> None:
    b = book(container)
    b.world.investor("inv_cat", cash=100)
    b.world.investor("inv_dan", cash=10_000)
    ann = b.note_of("inv_ann")
    orders = b.market.orders
    _refused(container, "not_multiple_of_note", lambda: orders.place("inv_ann", ann, yuan("1010"), 0))
    _refused(container, "amount_too_precise", lambda: orders.place("inv_ann", ann, yuan("50.001"), 0))
    _refused(container, "over_note_outstanding", lambda: orders.place("inv_ann", ann, yuan(6_050), 0))
    _refused(container, "price_out_of_range", lambda: orders.place("inv_ann", ann, None, -9_901))
    _refused(container, "price_out_of_range", lambda: orders.place("inv_ann", ann, None, 2_001))
    _refused(container, "note_not_found", lambda: orders.place("inv_bob", ann, None, 0))
    order = orders.place("inv_ann", ann, yuan(1_000), 0)
    _refused(container, "note_already_listed", lambda: orders.place("inv_ann", ann, yuan(500), 0))
    trades = b.market.trades
    _refused(container, "own_order", lambda: trades.buy("inv_ann", order.id))
    _refused(container, "insufficient_cash", lambda: trades.buy("inv_cat", order.id))
    _refused(container, "price_changed", lambda: trades.buy("inv_dan", order.id, max_price=yuan(999)))
    b.world.people.same.add(frozenset({"inv_dan", "brw_solid"}))
    _refused(container, "own_loan", lambda: trades.buy("inv_dan", order.id))
    b.world.people.same.clear()
    _refused(container, "order_not_found", lambda: orders.cancel("inv_bob", order.id))
    orders.cancel("inv_ann", order.id)
    _refused(container, "order_not_open", lambda: trades.buy("inv_dan", order.id))
    _refused(container, "order_not_open", lambda: orders.cancel("inv_ann", order.id))
    assert b.market.wallets.wallet("inv_dan").cash == yuan(10_000)


def test_a_part_listed_becomes_unsellable_once_repayments_bring_the_note_below_it(
    container: Container, clock: FixedClock
) -> None:
    b = book(container, {"inv_ann": 10_000})
    b.world.investor("inv_cat", cash=20_000)
    order = b.market.orders.place("inv_ann", b.note_of("inv_ann"), yuan(10_000), 0)
    close_days(container, clock, 31)
    container.lending.repay(b.loan_id, yuan(1_000))
    close_days(container, clock, 1)
    assert b.market.orders.get(order.id).quote is None  # the part is more than is left: no price
    _refused(container, "over_note_outstanding", lambda: b.market.trades.buy("inv_cat", order.id))
    assert b.market.orders.get(order.id).status is OrderStatus.OPEN
