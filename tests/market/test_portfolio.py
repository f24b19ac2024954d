"""The investor's portfolio and statements: read from the ledger, reconciled to it to the fen."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.errors import Invalid
from fairlend.ledger.model import AccountKey, AccountType
from fairlend.market.portfolio_export import statement_csv
from fairlend.market.positions import positions
from fairlend.market.returns import Flow, nar
from tests.market.support import Market, build, yuan


def _funded(world: Market, stakes: dict[str, int], amount: int = 10_000) -> str:
    listing = world.offer(amount=amount)
    return world.fund(listing, stakes)


def _ledger_cash(container: Container, investor: str, as_of: date | None = None) -> int:
    return -container.ledger.balance(AccountKey(AccountType.INVESTOR_CASH, "CNY", investor), as_of=as_of).minor


def _ledger_notes(container: Container, investor: str) -> int:
    return -container.ledger.balance(AccountKey(AccountType.NOTES_PAYABLE, "CNY", investor)).minor


def _shares(container: Container, investor: str) -> tuple[int, int, int]:
    """What the investor's notes received (principal, fee, net), as derived from their loans' rows."""
    d = positions()
    with container.uow(read_only=True) as uow:
        p, f, n = uow.conn.execute(
            select(
                func.sum(d.c.paid_principal_minor),
                func.sum(d.c.paid_fee_minor + d.c.recovered_fee_minor),
                func.sum(d.c.paid_net_minor + d.c.recovered_net_minor),
            ).where(d.c.holder_id == investor)
        ).one()
    return int(p or 0), int(f or 0), int(n or 0)


def test_nar_is_lendingclubs_formula_on_the_docs_worked_example() -> None:
    # docs/market.md: ¥1,000 issued 15 Jan; Feb and Mar start with 1,000 and 920 outstanding;
    # interest net of fees 8.00 + 7.36 = 15.36 over 1,920 of month-principal: (1 + 0.008)^12 - 1.
    flows = [
        Flow(date(2026, 1, 15), principal=100_000),
        Flow(date(2026, 2, 15), principal=-8_000, x=800),
        Flow(date(2026, 3, 15), principal=-8_064, x=736),
    ]
    assert nar(flows, date(2026, 3, 31)) == Decimal("0.1003")
    assert nar(flows[:1], date(2026, 1, 31)) is None  # no month has begun with principal out


def test_a_charge_off_makes_the_nar_negative() -> None:
    flows = [Flow(date(2026, 1, 1), principal=100_000), Flow(date(2026, 2, 10), principal=-100_000, x=-100_000)]
    found = nar(flows, date(2026, 2, 28))
    assert found is not None and found < -Decimal("0.99")


def test_the_portfolio_reconciles_to_the_ledger_after_deposits_investing_funding_and_distribution(
    container: Container, clock: FixedClock
) -> None:
    world = build(container)
    world.investor("inv_ann", cash=9_000)
    world.investor("inv_bob", cash=5_000)
    world.market.wallets.withdraw("inv_ann", yuan(500))
    loan_id = _funded(world, {"inv_ann": 6_000, "inv_bob": 4_000})
    container.eod.run(through=clock.business_date() + timedelta(days=30))
    container.lending.repay(loan_id, yuan(1_200))
    container.eod.run(through=clock.business_date())
    other = world.offer("brw_other", amount=2_000)
    world.market.commitments.invest("inv_ann", other, yuan(1_000))  # committed, not funded

    p = world.market.portfolios.portfolio("inv_ann")
    principal, fee, net = _shares(container, "inv_ann")
    assert net > 0 and fee > 0
    assert p.cash.minor == _ledger_cash(container, "inv_ann") == 900_000 - 50_000 - 600_000 + net
    assert p.committed == yuan(1_000)
    assert p.available == p.cash - yuan(1_000)
    assert p.outstanding.minor == _ledger_notes(container, "inv_ann") == 600_000 - principal
    assert p.invested == yuan(6_000)
    assert p.principal_received.minor == principal
    assert p.net_received.minor == net
    assert p.fees_paid.minor == fee
    assert p.interest_received.minor == net + fee - principal
    assert p.charged_off.minor == 0 and p.recoveries_received.minor == 0
    assert p.notes_by_status["current"] == (1, p.outstanding)
    assert [g.grade for g in p.grades] and p.grades[0].invested == yuan(6_000)
    assert sum(m.interest.minor for m in p.months) == net - principal
    assert sum(m.deposits.minor for m in p.months) == 900_000
    assert sum(m.withdrawals.minor for m in p.months) == 50_000
    assert container.verify() == []


def test_a_statement_for_any_period_runs_from_the_ledgers_opening_to_its_closing_balance(
    container: Container, clock: FixedClock
) -> None:
    world = build(container)
    start = clock.business_date()
    world.investor("inv_ann", cash=7_000)
    world.investor("inv_bob", cash=4_000)
    loan_id = _funded(world, {"inv_ann": 6_000, "inv_bob": 4_000})
    for _month in range(3):
        container.eod.run(through=clock.business_date() + timedelta(days=30))
        container.lending.repay(loan_id, yuan(900))
    container.eod.run(through=clock.business_date())
    end = clock.business_date()
    portfolios = world.market.portfolios
    days = (end - start).days
    for first, last in ((start, end), (start + timedelta(days=20), end - timedelta(days=10)), (end, end)):
        s = portfolios.statement("inv_ann", first, last)
        assert s.opening.minor == _ledger_cash(container, "inv_ann", first - timedelta(days=1))
        assert s.closing.minor == _ledger_cash(container, "inv_ann", last)
        assert s.opening.minor + sum(line.amount.minor for line in s.lines) == s.closing.minor
        assert all(first <= line.business_date <= last for line in s.lines)
    whole = portfolios.statement("inv_ann", start, end)
    kinds = [line.kind for line in whole.lines]
    assert kinds[:2] == ["investor_deposit", "loan_disbursement"] and kinds.count("market_distribution") == 3
    for line in whole.lines:
        if line.kind == "market_distribution":
            assert line.principal and line.interest and line.fee
            assert line.amount == line.principal + line.interest - line.fee
    assert whole.notes_opening.minor == 0 and whole.notes_closing.minor == _ledger_notes(container, "inv_ann")
    csv_text = statement_csv(whole)
    assert csv_text.splitlines()[1].split(",")[1] == "opening_balance"
    assert csv_text.splitlines()[-1].split(",")[4] == str(whole.closing.to_decimal())
    assert days > 60


def test_a_charged_off_note_shows_its_loss_and_status(container: Container, clock: FixedClock) -> None:
    world = build(container)
    world.investor("inv_ann", cash=10_000)
    loan_id = _funded(world, {"inv_ann": 10_000})
    container.eod.run(through=clock.business_date() + timedelta(days=40))
    container.lending.charge_off(loan_id)
    p = world.market.portfolios.portfolio("inv_ann")
    assert p.charged_off == yuan(10_000)
    assert p.outstanding.minor == 0 == _ledger_notes(container, "inv_ann")
    assert p.notes_by_status["charged_off"] == (1, yuan(0))
    assert p.nar is not None and p.nar < 0
    assert p.grades[0].charged_off == yuan(10_000)


@pytest.mark.parametrize(
    ("first", "last", "code"),
    [
        (date(2026, 3, 2), date(2026, 3, 1), "statement_period_invalid"),
        (date(2000, 1, 1), date(2030, 1, 1), "statement_period_too_long"),
    ],
)
def test_a_statement_period_that_makes_no_sense_is_refused(
    container: Container, first: date, last: date, code: str
) -> None:
    world = build(container)
    world.investor("inv_ann", cash=100)
    with pytest.raises(Invalid) as refused:
        world.market.portfolios.statement("inv_ann", first, last)
    assert refused.value.code == code
