"""Distribution: repayments, payoffs and recoveries reach the notes' holders at end-of-day, to the fen."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, insert, select

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.db.uow import UnitOfWork
from fairlend.ledger.model import AccountKey, AccountType
from fairlend.market.distribution_tables import market_loan_share, market_receipt
from fairlend.market.positions import floor_share, note_shares, positions
from fairlend.market.shares import Weighted, share_receipt
from fairlend.market.tables import market_note
from fairlend.money import Money
from tests.market.support import Market, build, close_days, investor_cash, yuan


def _funded(world: Market, stakes: dict[str, int], amount: int = 10_000) -> str:
    listing = world.offer(amount=amount)
    for investor, stake in stakes.items():
        world.investor(investor, cash=stake)
    return world.fund(listing, stakes)


def _shares(container: Container, loan_id: str) -> dict[str, tuple[int, int, int]]:
    """Per holder: principal, fee, net received over every batch (derived: `positions`)."""
    p = positions()
    with container.uow(read_only=True) as uow:
        rows = uow.conn.execute(
            select(
                p.c.holder_id,
                func.sum(p.c.paid_principal_minor),
                func.sum(p.c.paid_fee_minor + p.c.recovered_fee_minor),
                func.sum(p.c.paid_net_minor + p.c.recovered_net_minor),
            )
            .where(p.c.loan_id == loan_id)
            .group_by(p.c.holder_id)
        ).all()
    return {h: (int(a), int(f), int(n)) for h, a, f, n in rows if a or f or n}


def _held(container: Container, loan_id: str) -> tuple[int, int, int]:
    """The units the loan holds (principal, fee, net): its epoch's totals less its notes' floors."""
    with container.uow(read_only=True) as uow:
        loan = uow.conn.execute(select(market_loan_share).where(market_loan_share.c.loan_id == loan_id)).first()
        if loan is None:  # no batch yet (notes inserted without it): nothing distributed, nothing held
            return (0, 0, 0)
        notes = uow.conn.execute(select(market_note).where(market_note.c.loan_id == loan_id)).all()
    weights = [n.outstanding_minor + n.charged_off_minor for n in notes]
    return tuple(  # type: ignore[return-value]
        c - sum(floor_share(c, w, loan.weight_minor) for w in weights)
        for c in (
            loan.principal_minor,
            loan.fee_minor + loan.recovery_fee_minor,
            loan.net_minor + loan.recovery_net_minor,
        )
    )


def test_a_repayment_reaches_each_investor_in_proportion_at_end_of_day_less_the_fee(
    container: Container, clock: FixedClock
) -> None:
    world = build(container)
    loan_id = _funded(world, {"inv_ann": 6_000, "inv_bob": 3_000, "inv_cat": 1_000})
    close_days(container, clock, 31)
    paid = container.lending.repay(loan_id, yuan(1_200))
    assert _shares(container, loan_id) == {}  # recorded, not yet distributed
    close_days(container, clock, 1)
    shares = _shares(container, loan_id)
    distributed = paid.principal_paid.minor + paid.interest_paid.minor
    fee = int(distributed * Decimal("0.01"))
    held_principal, held_fee, held_net = _held(container, loan_id)
    # What the floors leave, the loan holds until its epoch ends (fewer units than it has notes).
    assert 0 <= held_principal < 3 and 0 <= held_fee < 3 and 0 <= held_net < 3
    assert sum(n for _, _, n in shares.values()) + held_net == distributed - fee
    assert sum(f for _, f, _ in shares.values()) + held_fee == fee
    assert sum(p for p, _, _ in shares.values()) + held_principal == paid.principal_paid.minor
    for investor, stake in (("inv_ann", 6_000), ("inv_bob", 3_000), ("inv_cat", 1_000)):
        exact = Decimal(distributed - fee) * stake / 10_000
        assert 0 <= exact - shares[investor][2] < 1
        assert investor_cash(container, investor) == shares[investor][2]
        assert world.market.wallets.wallet(investor).cash == Money(shares[investor][2], "CNY")
    outstanding = {n.holder_id: n.outstanding.minor for n in world.market.notes.of_loan(loan_id)}
    assert outstanding["inv_ann"] == 600_000 - shares["inv_ann"][0]
    assert container.verify() == []


def test_rerunning_the_day_distributes_nothing_twice(container: Container, clock: FixedClock) -> None:
    world = build(container)
    loan_id = _funded(world, {"inv_ann": 5_000, "inv_bob": 5_000})
    close_days(container, clock, 31)
    container.lending.repay(loan_id, yuan(900))
    day = clock.business_date()
    (first,) = container.eod.run()
    assert first.outcome == "done" and first.counts["market_distribution"] == 1
    before = (_shares(container, loan_id), investor_cash(container, "inv_ann"))
    again = container.eod.run_day(day)
    assert again.outcome == "skipped"
    with container.uow() as uow:  # the step itself, run again on the same date, finds nothing to share
        assert world.market.distribution.run(uow, day).receipts == 0
        uow.commit()
    assert (_shares(container, loan_id), investor_cash(container, "inv_ann")) == before
    assert container.verify() == []


def test_a_payoff_brings_every_note_to_exactly_zero(container: Container, clock: FixedClock) -> None:
    world = build(container)
    loan_id = _funded(world, {"inv_ann": 3_350, "inv_bob": 3_350, "inv_cat": 3_300})
    close_days(container, clock, 40)
    container.lending.repay(loan_id, yuan(700))
    container.lending.settle_early(loan_id)  # same day: one batch shares both
    close_days(container, clock, 1)
    assert [n.outstanding.minor for n in world.market.notes.of_loan(loan_id)] == [0, 0, 0]
    assert container.verify() == []


def test_a_late_payment_pays_no_servicing_fee(container: Container, clock: FixedClock) -> None:
    world = build(container)
    loan_id = _funded(world, {"inv_ann": 10_000})
    close_days(container, clock, 31 + 20)  # the first installment is 20 days late
    container.lending.repay(loan_id, yuan(1_000))
    close_days(container, clock, 1)
    ((_, fee, net),) = _shares(container, loan_id).values()
    assert fee == 0 and net > 0
    with container.uow(read_only=True) as uow:
        assert uow.conn.execute(select(market_receipt.c.received_days_past_due)).scalar() >= 16
    assert container.verify() == []


def test_charge_off_writes_the_notes_down_and_recoveries_flow_to_the_holders(
    container: Container, clock: FixedClock
) -> None:
    world = build(container)
    loan_id = _funded(world, {"inv_ann": 7_000, "inv_bob": 3_000})
    close_days(container, clock, 31 + 30)
    container.lending.repay(loan_id, yuan(500))  # pending when the loan is charged off: shared first
    container.lending.charge_off(loan_id)
    notes = {n.holder_id: n for n in world.market.notes.of_loan(loan_id)}
    assert all(n.outstanding.minor == 0 for n in notes.values())
    for holder in ("inv_ann", "inv_bob"):
        assert container.ledger.balance(AccountKey(AccountType.NOTES_PAYABLE, "CNY", holder)).minor == 0
    assert container.verify() == []
    cash_before = {h: investor_cash(container, h) for h in notes}
    container.lending.repay(loan_id, yuan(1_000))  # a recovery, long past due: no fee
    close_days(container, clock, 1)
    got = {h: investor_cash(container, h) - cash_before[h] for h in notes}
    assert got == {"inv_ann": 70_000, "inv_bob": 30_000}
    assert container.verify() == []


def test_under_cn_the_partner_and_the_platform_share_repayments_through_the_same_path(
    container: Container, clock: FixedClock
) -> None:
    world = build(container, profile=container.profile)  # cn: retail off, a partner bank and the platform
    loan_id = world.offer()
    notes = world.market.notes.of_loan(loan_id)
    assert {n.holder_kind.value for n in notes} == {"partner", "platform"}
    partner = next(n for n in notes if n.holder_kind.value == "partner")
    close_days(container, clock, 31)
    paid = container.lending.repay(loan_id, yuan(900))
    close_days(container, clock, 1)
    shares = _shares(container, loan_id)
    assert sum(p for p, _, _ in shares.values()) == paid.principal_paid.minor
    owed = -container.ledger.balance(AccountKey(AccountType.NOTES_PAYABLE, "CNY", partner.holder_id)).minor
    assert owed == partner.principal.minor - shares[partner.holder_id][0]
    assert container.verify() == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_set_based_shares_are_the_floors_of_the_pure_split_and_exact_at_payoff(
    container: Container, seed: int
) -> None:
    rng = random.Random(seed)
    world = build(container)
    today = container.clock.business_date()
    expected: dict[str, int] = {}
    with container.uow() as uow:
        for k in range(20):
            loan_id = f"loan_t{seed}_{k}"
            sizes = [rng.choice([1, 7, 50_00, 333, rng.randrange(1, 10**7)]) for _ in range(rng.randrange(1, 12))]
            notes = [Weighted(f"note_{rng.randrange(10**9):09d}_{i}", w) for i, w in enumerate(sizes)]
            uow.conn.execute(
                insert(market_note),
                [
                    {
                        "holder_id": f"inv_{i % 3}",
                        "id": n.note_id,
                        "holder_kind": "platform",
                        "loan_id": loan_id,
                        "listing_id": "lst_x",
                        "currency": "CNY",
                        "principal_minor": n.weight,
                        "outstanding_minor": n.weight,
                        "created_at": container.clock.now(),
                    }
                    for i, n in enumerate(notes)
                ],
            )
            amount = rng.randrange(1, sum(sizes) + 1)
            principal = rng.randrange(0, amount + 1)
            fee = rng.randrange(0, amount // 10 + 1)
            _receipt(uow, f"rpy_{seed}_{k}", loan_id, today, amount, principal, fee)
            total = sum(sizes)
            if principal == total:  # a payoff ends the epoch: the held units go out by largest remainder
                for got in share_receipt(amount, principal, fee, notes):
                    expected[got.note_id] = (got.principal, got.fee, got.net)  # type: ignore[assignment]
            else:
                for n in notes:
                    expected[n.note_id] = tuple(  # type: ignore[assignment]
                        floor_share(c, n.weight, total) for c in (principal, fee, amount - fee)
                    )
        world.market.distribution.run(uow, today)
        p = positions()
        rows = uow.conn.execute(select(p.c.id, p.c.paid_principal_minor, p.c.paid_fee_minor, p.c.paid_net_minor)).all()
        uow.commit()
    assert {r.id: (r.paid_principal_minor, r.paid_fee_minor, r.paid_net_minor) for r in rows} == expected


def test_the_listing_deadline_runs_through_end_of_day(container: Container, clock: FixedClock) -> None:
    world = build(container)
    listing = world.offer(partial_ok=True)
    world.investor("inv_ann", cash=8_000)
    world.market.commitments.invest("inv_ann", listing, yuan(7_500))
    deadline = world.market.listings.get(listing).deadline
    results = container.eod.run(through=deadline)
    assert results[-1].business_date == deadline and results[-1].counts["market_deadline"] == 1
    view = world.market.listings.get(listing)
    assert view.status.value == "funded" and view.loan_id
    assert container.lending.loan_detail(view.loan_id).principal == yuan(7_500)
    assert container.verify() == []


def test_a_loan_the_platform_alone_holds_is_shared_by_the_same_path_and_moves_no_money(
    container: Container, clock: FixedClock
) -> None:
    from dataclasses import replace

    alone = replace(container.profile, marketplace=replace(container.profile.marketplace, funding_partners=()))
    world = build(container, profile=alone)
    loan_id = world.offer()
    (note,) = world.market.notes.of_loan(loan_id)
    assert note.holder_kind.value == "platform"
    close_days(container, clock, 31)
    paid = container.lending.repay(loan_id, yuan(900))
    close_days(container, clock, 1)
    ((principal, _, _),) = _shares(container, loan_id).values()
    assert principal == paid.principal_paid.minor
    assert world.market.notes.of_loan(loan_id)[0].outstanding.minor == note.principal.minor - principal
    assert container.ledger.kind_totals("market_distribution", AccountType.PLATFORM_CASH) == {}
    assert container.verify() == []


@pytest.mark.parametrize("seed", [4, 5])
def test_through_the_database_no_batch_share_is_negative_and_shares_plus_held_units_are_the_payment_less_the_fee(
    container: Container, seed: int
) -> None:
    rng = random.Random(seed)
    world = build(container)
    today = container.clock.business_date()
    loan_id = f"loan_h{seed}"
    sizes = [rng.choice([1, 3, 333, 5_000, rng.randrange(1, 10**6)]) for _ in range(rng.randrange(2, 9))]
    ids = [f"note_{seed}_{i:02d}" for i in range(len(sizes))]
    with container.uow() as uow:
        uow.conn.execute(
            insert(market_note),
            [
                {
                    "holder_id": f"inv_{i % 3}",
                    "id": note_id,
                    "holder_kind": "platform",
                    "loan_id": loan_id,
                    "listing_id": "lst_x",
                    "currency": "CNY",
                    "principal_minor": w,
                    "outstanding_minor": w,
                    "created_at": container.clock.now(),
                }
                for i, (note_id, w) in enumerate(zip(ids, sizes, strict=True))
            ],
        )
        uow.commit()
    left = sum(sizes)
    for k in range(6):
        principal = rng.randrange(0, left + 1) if k < 5 else left  # the last one pays the loan off
        amount = principal + rng.randrange(1, 5_000)
        fee = amount // 100
        left -= principal
        held_before = _held(container, loan_id)
        with container.uow() as uow:
            _receipt(uow, f"rpy_h{seed}_{k}", loan_id, today, amount, principal, fee)
            batch = world.market.distribution.run(uow, today).batch_id
            rows = [r for r in note_shares(uow, note_ids=ids) if r.batch_id == batch]
            uow.commit()
        held_after = _held(container, loan_id)
        assert all(r.principal >= 0 and r.fee >= 0 and r.net >= 0 for r in rows)
        for column, paid in ((0, principal), (1, fee), (2, amount - fee)):
            got = sum((r.principal, r.fee, r.net)[column] for r in rows)
            assert got + held_after[column] - held_before[column] == paid
    assert held_after == (0, 0, 0)  # the payoff ended the epoch: every held unit went out
    assert [n.outstanding.minor for n in world.market.notes.of_loan(loan_id)] == [0] * len(sizes)


def _receipt(
    uow: UnitOfWork, receipt_id: str, loan_id: str, today: date, amount: int, principal: int, fee: int
) -> None:
    """A repayment received on time, as lending's event would record it, written straight to the table."""
    uow.conn.execute(
        insert(market_receipt).values(
            id=receipt_id,
            loan_id=loan_id,
            kind="repayment",
            business_date=today,
            currency="CNY",
            amount_minor=amount,
            principal_minor=principal,
            fee_minor=fee,
            received_days_past_due=0,
            created_at=uow.clock.now(),
        )
    )
