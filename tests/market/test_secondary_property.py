"""Random sequences of partial and whole sales, repayments and distributions: nothing is made or lost.

After every sequence the journal balances and every cached balance equals its
recomputation (`fairlend verify`, ledger and market), each loan's notes sum
to its principal, and every investor's cash and notes equal their ledger
accounts. The test also counts what it did, so that it cannot pass by doing
nothing: partial sales, whole sales and sales after a repayment all happen.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.errors import DomainError
from fairlend.ledger.model import AccountType
from fairlend.market.positions import outstanding_of
from tests.market.support import yuan
from tests.market.trading_support import book, cash, close_days, notes_of_loan, payable

INVESTORS = ("inv_ann", "inv_bob", "inv_cat", "inv_dan")
STEP = st.tuples(
    st.sampled_from(INVESTORS),  # seller
    st.sampled_from([1, 1, 2, 3, 0]),  # the buyer: so many investors after the seller (0: the seller)
    st.one_of(st.none(), st.integers(1, 40)),  # the whole note, or so many ¥50 notes
    st.integers(-1_000, 500),  # premium, basis points
    st.sampled_from(["sell", "sell", "sell", "repay", "day"]),
)


@pytest.mark.backends("sqlite")
@pytest.mark.slow
def test_any_sequence_of_sales_and_repayments_keeps_the_ledger_balanced_and_the_notes_whole(
    container: Container, clock: FixedClock
) -> None:
    b = book(container, {"inv_ann": 4_000, "inv_bob": 3_000, "inv_cat": 2_000, "inv_dan": 1_000})
    for investor in INVESTORS:
        b.market.wallets.deposit(investor, yuan(20_000))
    principal = container.lending.loan_detail(b.loan_id).principal.minor
    done: Counter[str] = Counter()

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(STEP, min_size=2, max_size=8))
    def run(steps: list[tuple[str, int, int | None, int, str]]) -> None:
        for seller, after, notes, bps, action in steps:
            buyer = INVESTORS[(INVESTORS.index(seller) + after) % len(INVESTORS)]
            if action == "repay":
                # The loan outlives one example: enough repayments across examples settle it.
                try:
                    container.lending.repay(b.loan_id, yuan(300))
                except DomainError as exc:
                    assert exc.code == "loan_not_active"
                    done[exc.code] += 1
                    continue
                done["repay"] += 1
                continue
            if action == "day":
                close_days(container, clock, 3)
                continue
            held = [n for n in b.market.notes.of_holder(seller) if n.loan_id == b.loan_id and n.outstanding.minor]
            if not held:
                continue
            amount = None if notes is None else yuan(50 * notes)
            try:
                order = b.market.orders.place(seller, held[0].id, amount, bps)
                trade = b.market.trades.buy(buyer, order.id)
            except DomainError as exc:
                done[exc.code] += 1
                for open_order in b.market.orders.browse(seller_id=seller):
                    b.market.orders.cancel(seller, open_order.id)
                continue
            done["whole" if amount is None else "partial"] += 1
            done["after_repayment"] += trade.principal.minor < held[0].principal.minor
        held_now = notes_of_loan(container, b.loan_id)
        assert sum(p for p, _, _ in held_now.values()) == principal
        for investor in INVESTORS:
            assert b.market.wallets.wallet(investor).cash.minor == cash(container, investor)
            assert held_now.get(investor, (0, 0, 0))[1] == payable(container, investor)
        with container.uow(read_only=True) as uow:  # what auto-invest and MK-5 read: the payable, a look-up
            assert outstanding_of(uow, INVESTORS, "CNY") == {i: held_now.get(i, (0, 0, 0))[1] for i in INVESTORS}
        assert container.verify() == []

    run()
    assert done["partial"] > 0 and done["whole"] > 0 and done["after_repayment"] > 0, done
    totals = container.ledger.kind_totals("market_note_trade", AccountType.INVESTOR_CASH)
    assert sum(totals.values()) == 0 and any(totals.values())
