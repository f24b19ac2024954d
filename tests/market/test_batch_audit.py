"""`fairlend verify` holds each holder's row of a distribution batch against its notes and its journal lines."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.ledger.model import AccountKey, AccountType
from fairlend.ledger.service import account_id
from fairlend.ledger.tables import ledger_account, ledger_entry, ledger_posting
from fairlend.market.distribution_tables import market_holder_batch
from tests.market.support import Market, build, yuan

STAKES = {"inv_ann": 6_000, "inv_bob": 3_000, "inv_cat": 1_000}


def _repaid_batch(container: Container, clock: FixedClock) -> str:
    """A loan of three investors, one repayment distributed at end-of-day; the batch's id."""
    world: Market = build(container)
    listing = world.offer(amount=10_000)
    loan_id = None
    for investor, stake in STAKES.items():
        world.investor(investor, cash=stake)
        loan_id = world.market.commitments.invest(investor, listing, yuan(stake)).loan_id or loan_id
    assert loan_id
    container.eod.run(through=clock.business_date() + timedelta(days=30))
    container.lending.repay(loan_id, yuan(1_200))
    container.eod.run(through=clock.business_date())
    with container.uow(read_only=True) as uow:
        batches = set(uow.conn.execute(select(market_holder_batch.c.batch_id)).scalars())
    assert len(batches) == 1
    return batches.pop()


def _checks(container: Container, prefix: str) -> set[tuple[str, str]]:
    return {(d.check, d.subject) for d in container.verify() if d.check.startswith(prefix)}


def _move_row_fen(container: Container, batch: str, source: str, target: str) -> None:
    h = market_holder_batch.c
    with container.uow() as uow:
        for holder, delta in ((source, -1), (target, 1)):
            uow.conn.execute(
                update(market_holder_batch)
                .where(h.batch_id == batch, h.holder_id == holder)
                .values(net_minor=h.net_minor + delta)
            )
        uow.commit()


def test_a_fen_moved_between_two_holders_rows_of_a_batch_is_found_against_the_notes_and_the_ledger(
    container: Container, clock: FixedClock
) -> None:
    batch = _repaid_batch(container, clock)
    assert container.verify() == []
    # The batch's totals still balance: only a check row by row can see it.
    _move_row_fen(container, batch, "inv_ann", "inv_bob")
    assert _checks(container, "market.holder_batch") == {
        ("market.holder_batch_notes", f"{batch} inv_ann CNY"),
        ("market.holder_batch_notes", f"{batch} inv_bob CNY"),
        ("market.holder_batch_ledger", f"{batch} investor_cash:CNY:inv_ann"),
        ("market.holder_batch_ledger", f"{batch} investor_cash:CNY:inv_bob"),
    }


def test_a_doubled_fen_in_a_holder_row_is_found(container: Container, clock: FixedClock) -> None:
    batch = _repaid_batch(container, clock)
    h = market_holder_batch.c
    with container.uow() as uow:
        uow.conn.execute(
            update(market_holder_batch)
            .where(h.batch_id == batch, h.holder_id == "inv_cat")
            .values(principal_minor=h.principal_minor * 2)
        )
        uow.commit()
    found = _checks(container, "market.holder_batch")
    assert ("market.holder_batch_notes", f"{batch} inv_cat CNY") in found
    assert ("market.holder_batch_ledger", f"{batch} notes_payable:CNY:inv_cat") in found
    assert ("market.holder_batch_ledger", f"{batch} interest_income:CNY") in found


def test_a_fen_moved_between_two_investors_journal_lines_of_a_batch_is_found_though_the_ledger_balances(
    container: Container, clock: FixedClock
) -> None:
    batch = _repaid_batch(container, clock)
    p, a, e = ledger_posting.c, ledger_account.c, ledger_entry.c
    with container.uow() as uow:
        entry_id = uow.conn.execute(select(e.id).where(e.kind == "market_distribution", e.reference == batch)).scalar()
        for investor, delta in (("inv_ann", 1), ("inv_bob", -1)):
            account = account_id(AccountKey(AccountType.INVESTOR_CASH, "CNY", investor))
            uow.conn.execute(
                update(ledger_posting)
                .where(p.entry_id == entry_id, p.account_id == account)
                .values(amount=p.amount + delta)
            )
            uow.conn.execute(update(ledger_account).where(a.id == account).values(balance=a.balance + delta))
        uow.commit()
    # The journal is consistent in itself (every entry balances, every cached balance is its postings).
    assert container.ledger.verify() == []
    assert _checks(container, "market.holder_batch") == {
        ("market.holder_batch_ledger", f"{batch} investor_cash:CNY:inv_ann"),
        ("market.holder_batch_ledger", f"{batch} investor_cash:CNY:inv_bob"),
    }
