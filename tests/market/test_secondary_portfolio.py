"""Purchases and sales in the portfolio and the statement: cash lines, reconciled to the ledger to the fen."""

from __future__ import annotations

from datetime import timedelta

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.market.portfolio_export import portfolio_data, statement_csv
from tests.market.support import yuan
from tests.market.trading_support import book, cash, close_days, payable


def test_a_sale_shows_as_cash_lines_on_both_sides_and_both_portfolios_reconcile_to_the_ledger(
    container: Container, clock: FixedClock
) -> None:
    start = clock.business_date()
    b = book(container)
    b.world.investor("inv_cat", cash=3_000)
    close_days(container, clock, 31)
    container.lending.repay(b.loan_id, yuan(900))
    close_days(container, clock, 10)  # distributed, and ten days of interest accrued since the due date
    order = b.market.orders.place("inv_ann", b.note_of("inv_ann"), yuan(1_000), 100)
    trade = b.market.trades.buy("inv_cat", order.id)
    assert trade.accrued.minor > 0 and trade.price.minor > 101_000
    close_days(container, clock, 25)
    container.lending.repay(b.loan_id, yuan(900))
    close_days(container, clock, 1)
    end = clock.business_date()
    portfolios = b.market.portfolios

    ann, cat = portfolios.portfolio("inv_ann"), portfolios.portfolio("inv_cat")
    assert ann.sold == trade.price and ann.bought == yuan(0)
    assert cat.bought == trade.price and cat.sold == yuan(0)
    assert ann.invested == yuan(6_000) and cat.invested == yuan(0)
    for investor, p in (("inv_ann", ann), ("inv_cat", cat)):
        assert p.cash.minor == cash(container, investor)
        assert p.outstanding.minor == payable(container, investor)
        assert sum(m.bought.minor for m in p.months) == p.bought.minor
        assert sum(m.sold.minor for m in p.months) == p.sold.minor
        assert p.nar is not None
    (cat_note,) = cat.notes
    assert cat_note.principal == yuan(1_000) and cat_note.status == "current" and cat_note.received.minor > 0
    assert cat.grades[0].invested == yuan(1_000)
    assert ann.grades[0].invested == yuan(6_000)

    sale = portfolios.statement("inv_ann", start, end)
    purchase = portfolios.statement("inv_cat", start, end)
    assert [(line.amount, line.reference) for line in sale.lines if line.kind == "market_note_sale"] == [
        (trade.price, trade.id)
    ]
    assert [(line.amount, line.reference) for line in purchase.lines if line.kind == "market_note_purchase"] == [
        (-trade.price, trade.id)
    ]
    for s, investor in ((sale, "inv_ann"), (purchase, "inv_cat")):
        assert (
            s.opening.minor + sum(line.amount.minor for line in s.lines) == s.closing.minor == cash(container, investor)
        )
        assert s.notes_closing.minor == payable(container, investor)
    assert purchase.totals["market_note_purchase"] == -trade.price
    assert "market_note_purchase" in statement_csv(purchase)
    assert portfolio_data(cat)["bought"]["minor"] == trade.price.minor
    assert container.verify() == []


def test_the_seller_of_a_note_at_a_premium_gains_the_premium_in_its_return(
    container: Container, clock: FixedClock
) -> None:
    b = book(container, {"inv_ann": 5_000, "inv_bob": 5_000})
    b.world.investor("inv_cat", cash=6_000)
    b.world.investor("inv_dan", cash=6_000)
    close_days(container, clock, 31)
    container.lending.repay(b.loan_id, yuan(900))
    close_days(container, clock, 1)
    b.market.trades.buy("inv_cat", b.market.orders.place("inv_ann", b.note_of("inv_ann"), None, 2_000).id)
    b.market.trades.buy("inv_dan", b.market.orders.place("inv_bob", b.note_of("inv_bob"), None, -2_000).id)
    close_days(container, clock, 40)
    ann, bob = b.market.portfolios.portfolio("inv_ann"), b.market.portfolios.portfolio("inv_bob")
    assert ann.nar is not None and bob.nar is not None and ann.nar > bob.nar
    assert [n.status for n in ann.notes] == ["sold"] and ann.notes_by_status["sold"][0] == 1
    assert ann.grades[0].nar is not None and bob.grades[0].nar is not None and ann.grades[0].nar > bob.grades[0].nar
    assert container.verify() == []
    assert clock.business_date() > b.market.orders.browse(status=None)[0].listed_on + timedelta(days=30)
