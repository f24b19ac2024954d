"""Reading what lending wrote, for assertions only."""

from __future__ import annotations

from datetime import date
from typing import Any

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.db import outbox
from fairlend.ledger.model import AccountKey, AccountType
from fairlend.money import Money


def events(container: Container, event_type: str) -> list[dict[str, Any]]:
    with container.uow(read_only=True) as uow:
        return [e.payload for e in outbox.read_after(uow.conn, outbox.START, types=[event_type])]


def balance(container: Container, account: AccountType, owner: str = "") -> int:
    return container.ledger.balance(AccountKey(account, "CNY", owner)).minor


def cny(major: str) -> Money:
    return Money.of(major, "CNY")


def eod_through(container: Container, clock: FixedClock, through: date) -> None:
    container.eod.run(through=through)
    assert clock.business_date() > through
