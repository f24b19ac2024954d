"""Investors' cash: deposits and withdrawals through the rail, each in the ledger on the investor's account."""

from __future__ import annotations

import pytest

from fairlend.bootstrap import Container
from fairlend.errors import DomainError
from fairlend.ledger.model import AccountKey, AccountType
from fairlend.market.ports import FailingDevRail
from tests.market.support import build, yuan


def test_a_deposit_and_a_withdrawal_move_the_wallet_and_the_investors_own_ledger_account(container: Container) -> None:
    world = build(container)
    investor = world.investor("inv_ann", cash=1_000)
    world.market.wallets.withdraw(investor, yuan(300))
    wallet = world.market.wallets.wallet(investor)
    assert wallet.cash == yuan(700) and wallet.committed == yuan(0)
    owed = container.ledger.balance(AccountKey(AccountType.INVESTOR_CASH, "CNY", investor))
    assert owed == -yuan(700)  # a liability: credit-positive, so negative in the raw sign convention
    assert container.ledger.balance(AccountKey(AccountType.CUSTODY_CASH, "CNY")) == yuan(700)
    assert [m.kind.value for m in world.market.wallets.movements(investor)] == ["deposit", "withdrawal"]
    assert container.verify() == []


def test_nobody_withdraws_more_than_they_have_nor_cash_committed_to_a_listing(container: Container) -> None:
    world = build(container)
    investor = world.investor("inv_ann", cash=500)
    with pytest.raises(DomainError) as over:
        world.market.wallets.withdraw(investor, yuan(501))
    assert over.value.code == "insufficient_cash" and over.value.status == 409
    listing = world.offer()
    world.market.commitments.invest(investor, listing, yuan(400))
    with pytest.raises(DomainError) as committed:
        world.market.wallets.withdraw(investor, yuan(200))
    assert committed.value.code == "cash_committed"
    assert world.market.wallets.wallet(investor).cash == yuan(500)
    world.market.wallets.withdraw(investor, yuan(100))  # what is available still goes
    assert world.market.wallets.wallet(investor).available == yuan(0)
    assert container.verify() == []


def test_a_failing_rail_writes_nothing_on_deposit_and_puts_a_withdrawal_back(container: Container) -> None:
    world = build(container)
    investor = world.investor("inv_ann", cash=500)
    world.market.wallets.rail = FailingDevRail()
    with pytest.raises(DomainError) as refused:
        world.market.wallets.deposit(investor, yuan(100))
    assert refused.value.code == "payment_rail_failed" and refused.value.status == 503
    with pytest.raises(DomainError):
        world.market.wallets.withdraw(investor, yuan(100))
    assert world.market.wallets.wallet(investor).cash == yuan(500)
    assert [(m.kind.value, m.status.value) for m in world.market.wallets.movements(investor)] == [
        ("deposit", "settled"),
        ("withdrawal", "failed"),
    ]
    assert container.verify() == []


@pytest.mark.parametrize(
    ("amount", "code"),
    [(yuan(0), "amount_not_positive"), (yuan(-5), "amount_not_positive"), (yuan(10**13), "amount_out_of_range")],
)
def test_bad_amounts_are_refused_before_the_rail_is_called(container: Container, amount: object, code: str) -> None:
    world = build(container)
    investor = world.investor("inv_ann")
    with pytest.raises(DomainError) as refused:
        world.market.wallets.deposit(investor, amount)  # type: ignore[arg-type]
    assert refused.value.code == code
    assert world.market.wallets.movements(investor) == []


def test_money_moves_only_after_the_agreement_and_identity_verification(container: Container) -> None:
    world = build(container)
    with pytest.raises(DomainError) as no_agreement:
        world.market.wallets.deposit("inv_new", yuan(100))
    assert no_agreement.value.code == "investor_agreement_required"
    world.market.wallets.register("inv_new", agreement_version="investor/v1", net_worth=yuan(1_000))
    with pytest.raises(DomainError) as unverified:
        world.market.wallets.deposit("inv_new", yuan(100))
    assert unverified.value.code == "investor_not_verified"


def test_under_cn_retail_investors_are_off(container: Container) -> None:
    world = build(container, profile=container.profile)
    with pytest.raises(DomainError) as off:
        world.market.wallets.register("inv_ann", agreement_version="investor/v1")
    assert off.value.code == "retail_marketplace_off" and off.value.extra["rules"] == ["MK-1"]
