"""A batch's holders' rows (`market_holder_batch`): one per holder, the sum of its notes' shares over every loan."""

from __future__ import annotations

from sqlalchemy import insert, select

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.market.distribution import _add_holder_totals
from fairlend.market.distribution_tables import market_distribution_batch, market_holder_batch, market_loan_batch
from fairlend.market.positions import note_shares
from fairlend.money import Money
from tests.market.support import Market, build, close_days, investor_cash, yuan

_AMOUNTS = ("principal_minor", "fee_minor", "net_minor", "recovery_fee_minor", "recovery_net_minor")


def _fund(world: Market, borrower: str, stakes: dict[str, int]) -> str:
    listing = world.offer(borrower_id=borrower)
    return world.fund(listing, stakes)


def _last_batch(container: Container) -> str:
    with container.uow(read_only=True) as uow:
        batches = uow.conn.execute(
            select(market_distribution_batch.c.id).order_by(market_distribution_batch.c.created_at)
        ).scalars()
        return list(batches)[-1]


def _holder_rows(container: Container, batch_id: str) -> dict[str, tuple[int, ...]]:
    h = market_holder_batch
    with container.uow(read_only=True) as uow:
        rows = uow.conn.execute(
            select(h.c.holder_id, *(h.c[c] for c in _AMOUNTS)).where(h.c.batch_id == batch_id)
        ).all()
    return {r[0]: tuple(int(x) for x in r[1:]) for r in rows}


def _received(container: Container, batch_id: str, holder: str) -> dict[tuple[str, str], tuple[int, int, int]]:
    """What the holder's notes got of the batch, per loan and kind (derived from the notes, not the rows)."""
    got: dict[tuple[str, str], tuple[int, int, int]] = {}
    with container.uow(read_only=True) as uow:
        for r in note_shares(uow, holder_id=holder):
            if r.batch_id == batch_id:
                p, f, n = got.get((r.loan_id, r.kind), (0, 0, 0))
                got[(r.loan_id, r.kind)] = (p + r.principal, f + r.fee, n + r.net)
    return got


def _two_loans_sharing_ann(container: Container, clock: FixedClock) -> tuple[Market, str, str]:
    """Two loans funded the same day, inv_ann a holder of both (with inv_bob, with inv_cat), a month on."""
    world = build(container)
    for investor, cash in (("inv_ann", 8_500), ("inv_bob", 4_000), ("inv_cat", 7_500)):
        world.investor(investor, cash=cash)
    loan_a = _fund(world, "brw_a", {"inv_ann": 6_000, "inv_bob": 4_000})
    loan_b = _fund(world, "brw_b", {"inv_ann": 2_500, "inv_cat": 7_500})
    close_days(container, clock, 31)
    return world, loan_a, loan_b


def test_two_loans_repaid_in_one_batch_pay_the_investor_they_share_one_row_with_both_loans_shares(
    container: Container, clock: FixedClock
) -> None:
    world, loan_a, loan_b = _two_loans_sharing_ann(container, clock)
    cash_before = {h: investor_cash(container, h) for h in ("inv_ann", "inv_bob", "inv_cat")}
    paid_a = container.lending.repay(loan_a, yuan(1_000))
    paid_b = container.lending.repay(loan_b, yuan(1_300))
    close_days(container, clock, 1)
    batch = _last_batch(container)
    rows = _holder_rows(container, batch)
    assert set(rows) == {"inv_ann", "inv_bob", "inv_cat"}
    ann = _received(container, batch, "inv_ann")
    assert set(ann) == {(loan_a, "repayment"), (loan_b, "repayment")}  # both loans, one batch
    both = tuple(ann[(loan_a, "repayment")][i] + ann[(loan_b, "repayment")][i] for i in range(3))
    assert rows["inv_ann"] == (*both, 0, 0)
    assert rows["inv_ann"][2] > ann[(loan_a, "repayment")][2] > 0
    for holder, row in rows.items():
        (only,) = _received(container, batch, holder).values() if holder != "inv_ann" else (both,)
        assert row[:3] == only
        assert investor_cash(container, holder) - cash_before[holder] == row[2]  # the ledger
        assert world.market.wallets.wallet(holder).cash == Money(investor_cash(container, holder), "CNY")
    # Every fen of each loan reached a holder, or is held by its loan (fewer units than its notes).
    for loan_id, paid, holders in ((loan_a, paid_a, ("inv_ann", "inv_bob")), (loan_b, paid_b, ("inv_ann", "inv_cat"))):
        distributed = paid.principal_paid.minor + paid.interest_paid.minor
        got = [_received(container, batch, h)[(loan_id, "repayment")] for h in holders]
        fee = distributed // 100
        assert 0 <= distributed - fee - sum(n for _, _, n in got) < len(holders)
        assert 0 <= fee - sum(f for _, f, _ in got) < len(holders)
        assert 0 <= paid.principal_paid.minor - sum(p for p, _, _ in got) < len(holders)
    assert container.verify() == []


def test_a_batch_without_recoveries_gets_the_same_holders_rows_from_either_statement(
    container: Container, clock: FixedClock
) -> None:
    _, loan_a, loan_b = _two_loans_sharing_ann(container, clock)
    container.lending.repay(loan_a, yuan(1_000))
    container.lending.repay(loan_b, yuan(1_300))
    close_days(container, clock, 1)
    batch = _last_batch(container)
    b = market_loan_batch
    with container.uow() as uow:
        loans = [dict(r._mapping) for r in uow.conn.execute(select(b).where(b.c.batch_id == batch))]
        assert {r["loan_id"] for r in loans} == {loan_a, loan_b}
        for again, recoveries in (("dist_again_general", True), ("dist_again_repayments", False)):
            uow.conn.execute(insert(b), [{**r, "batch_id": again} for r in loans])
            _add_holder_totals(uow, again, recoveries=recoveries)
        uow.commit()
    general, repayments = (
        _holder_rows(container, "dist_again_general"),
        _holder_rows(container, "dist_again_repayments"),
    )
    assert general == repayments == _holder_rows(container, batch)  # no epoch ended: no held units in the batch
    assert general["inv_ann"][2] > 0


def test_a_recovery_and_a_repayment_in_one_batch_reach_the_investor_they_share_each_as_its_kind(
    container: Container, clock: FixedClock
) -> None:
    world = build(container)
    for investor, cash in (("inv_ann", 10_000), ("inv_bob", 3_000), ("inv_cat", 7_000)):
        world.investor(investor, cash=cash)
    written = _fund(world, "brw_a", {"inv_ann": 7_000, "inv_bob": 3_000})
    active = _fund(world, "brw_b", {"inv_ann": 3_000, "inv_cat": 7_000})
    close_days(container, clock, 31 + 30)
    paid = container.lending.repay(active, yuan(1_500))  # late: no fee, still a repayment
    container.lending.charge_off(written)  # shares only its own loan's pending receipts
    container.lending.repay(written, yuan(1_000))  # a recovery
    cash_before = investor_cash(container, "inv_ann")
    close_days(container, clock, 1)
    batch = _last_batch(container)
    ann = _received(container, batch, "inv_ann")
    assert set(ann) == {(active, "repayment"), (written, "recovery")}
    repaid, recovered = ann[(active, "repayment")], ann[(written, "recovery")]
    assert recovered == (0, 0, 70_000)  # the recovery's epoch ended: paid whole by the principal written down
    assert repaid[0] > 0 and repaid[2] > 0
    row = _holder_rows(container, batch)["inv_ann"]
    assert row == (*repaid, recovered[1], recovered[2])
    assert investor_cash(container, "inv_ann") - cash_before == repaid[2] + recovered[2]
    distributed = paid.principal_paid.minor + paid.interest_paid.minor
    cat = _received(container, batch, "inv_cat")[(active, "repayment")]
    assert 0 <= distributed - repaid[2] - cat[2] < 2  # no fee (late); what the floors leave, the loan holds
    assert container.verify() == []
