"""Secondary-market worlds: a funded loan with two holders, a buyer with cash, and a loan standing that tests steer."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.ledger.model import AccountKey, AccountType
from fairlend.market.loan_standing import LendingLoans
from fairlend.market.positions import positions
from fairlend.market.secondary import LoanStanding
from fairlend.market.tables import market_note, market_sale_order, market_trade
from tests.market.support import Market, build, yuan


@dataclass
class SteeredLoans:
    """Lending's real standing, with fields a test overrides per loan (a hardship plan lending has not yet)."""

    real: LendingLoans
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)

    def standing(self, loan_id: str) -> LoanStanding:
        return replace(self.real.standing(loan_id), **self.overrides.get(loan_id, {}))


@dataclass
class Book:
    world: Market
    loans: SteeredLoans
    loan_id: str

    @property
    def market(self) -> Any:
        return self.world.market

    def note_of(self, holder: str) -> str:
        found: str = next(n.id for n in self.market.notes.of_holder(holder) if n.loan_id == self.loan_id)
        return found


def book(container: Container, stakes: dict[str, int] | None = None, amount: int = 10_000) -> Book:
    """A listing of `amount` funded by `stakes` (default ann 6,000 and bob 4,000); the loan booked today."""
    loans = SteeredLoans(LendingLoans(container.lending))
    world = build(container, loans=loans)
    listing = world.offer(amount=amount)
    loan_id = None
    for investor, stake in (stakes or {"inv_ann": 6_000, "inv_bob": 4_000}).items():
        world.investor(investor, cash=stake)
        loan_id = world.market.commitments.invest(investor, listing, yuan(stake)).loan_id or loan_id
    assert loan_id
    return Book(world, loans, loan_id)


def close_days(container: Container, clock: FixedClock, days: int) -> None:
    container.eod.run(through=clock.business_date() + timedelta(days=days - 1))


def cash(container: Container, investor: str) -> int:
    """What the ledger owes the investor in cash, in minor units."""
    return -container.ledger.balance(AccountKey(AccountType.INVESTOR_CASH, "CNY", investor)).minor


def payable(container: Container, investor: str) -> int:
    return -container.ledger.balance(AccountKey(AccountType.NOTES_PAYABLE, "CNY", investor)).minor


def notes_of_loan(container: Container, loan_id: str) -> dict[str, tuple[int, int, int]]:
    """Per holder: principal, outstanding and written down, summed over their notes of the loan (as they are now)."""
    now = positions()
    with container.uow(read_only=True) as uow:
        rows = uow.conn.execute(
            select(
                now.c.holder_id,
                func.sum(now.c.principal_minor),
                func.sum(now.c.outstanding_minor),
                func.sum(now.c.charged_off_minor),
            )
            .where(now.c.loan_id == loan_id)
            .group_by(now.c.holder_id)
        ).all()
    return {h: (int(p), int(o), int(c)) for h, p, o, c in rows}


def counts(container: Container) -> tuple[int, int, int]:
    """Orders, trades and notes: what a refused call must leave as it was."""
    with container.uow(read_only=True) as uow:
        return tuple(  # type: ignore[return-value]
            int(uow.conn.execute(select(func.count()).select_from(t)).scalar() or 0)
            for t in (market_sale_order, market_trade, market_note)
        )
