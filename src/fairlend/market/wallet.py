"""Investors and their cash: the investor agreement, deposits and withdrawals through the payment rail.

Every movement is a journal entry on the investor's own ledger account
(investor_cash, owner = the investor) against the custody bank's cash; the
wallet row caches that balance and what is committed to listings, and
`fairlend verify` recomputes it. A withdrawal never takes committed cash:
the conditional UPDATE that debits the wallet checks what is available in
the same statement, so two withdrawals (or a withdrawal and an investment)
racing each other can never overdraw it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Conflict, Forbidden, Invalid, PolicyViolation
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile
from fairlend.ledger.model import AccountKey, AccountType, credit, debit, entry
from fairlend.ledger.service import Ledger
from fairlend.market.model import (
    HolderKind,
    InvestorView,
    MovementKind,
    MovementStatus,
    MovementView,
    WalletView,
    check_amount,
)
from fairlend.market.ports import InvestorIdentity, PaymentRail
from fairlend.market.tables import market_cash_movement, market_investor, market_wallet
from fairlend.money import Money

AGREEMENT_VERSION_MAX = 60


def custody(currency: str) -> AccountKey:
    return AccountKey(AccountType.CUSTODY_CASH, currency)


def investor_cash(investor_id: str, currency: str) -> AccountKey:
    return AccountKey(AccountType.INVESTOR_CASH, currency, investor_id)


class Wallets:
    def __init__(
        self, uow: UnitOfWorkFactory, ledger: Ledger, profile: Profile, rail: PaymentRail, identity: InvestorIdentity
    ) -> None:
        self._uow = uow
        self._ledger = ledger
        self._profile = profile
        self._market = profile.marketplace
        self._currency = profile.currency
        self.rail = rail
        self._identity = identity

    # -- investors -----------------------------------------------------------------------

    def _retail_on(self) -> None:
        if not self._market.retail:
            raise PolicyViolation(
                "retail_marketplace_off",
                "retail investors do not fund loans under this jurisdiction; loans are funded by the platform "
                "and its licensed funding partners",
                rules=[self._market.retail_rule],
            )

    def register(self, investor_id: str, *, agreement_version: str, net_worth: Money | None = None) -> InvestorView:
        """Accept the investor agreement (and, under MK-5, state net worth); opens the wallet."""
        self._retail_on()
        rules = self._market.investors
        version = agreement_version.strip()
        if not version or len(version) > AGREEMENT_VERSION_MAX:
            raise Invalid("invalid_agreement_version", "name the version of the investor agreement you accept")
        if net_worth is not None:
            check_amount(net_worth, self._currency, 0)
        if rules.suitability_share > 0 and net_worth is None:
            raise Invalid(
                "net_worth_required",
                f"state your net worth: notes are limited to {rules.suitability_share:%} of it",
                rule=rules.suitability_rule,
            )
        with self._uow() as uow:
            now = uow.clock.now()
            known = uow.conn.execute(
                select(market_investor.c.investor_id).where(market_investor.c.investor_id == investor_id)
            ).first()
            values: dict[str, Any] = {
                "agreement_version": version,
                "agreed_at": now,
                "net_worth_minor": None if net_worth is None else net_worth.minor,
            }
            if known is None:
                uow.conn.execute(
                    insert(market_investor).values(
                        investor_id=investor_id, kind=HolderKind.INVESTOR.value, currency=self._currency, **values
                    )
                )
                uow.conn.execute(insert(market_wallet).values(investor_id=investor_id, currency=self._currency))
            else:
                uow.conn.execute(
                    update(market_investor).where(market_investor.c.investor_id == investor_id).values(**values)
                )
            uow.commit()
        return self.investor(investor_id)

    def investor(self, investor_id: str) -> InvestorView:
        with self._uow(read_only=True) as uow:
            row = self._investor_row(uow, investor_id)
        worth = None if row.net_worth_minor is None else Money(row.net_worth_minor, row.currency)
        return InvestorView(row.investor_id, row.agreement_version, worth)

    def _investor_row(self, uow: UnitOfWork, investor_id: str) -> Any:
        row = uow.conn.execute(select(market_investor).where(market_investor.c.investor_id == investor_id)).first()
        if row is None:
            raise Conflict("investor_agreement_required", "accept the investor agreement before using the marketplace")
        return row

    def ready(self, uow: UnitOfWork, investor_id: str) -> Any:
        """An investor who may move money now: retail on, agreement accepted, identity verified (MK-5)."""
        self._retail_on()
        row = self._investor_row(uow, investor_id)
        rules = self._market.investors
        if rules.verified_required and not self._identity.verified(investor_id):
            raise Forbidden(
                "investor_not_verified",
                "verify your identity before moving money on the marketplace",
                rule=rules.suitability_rule,
            )
        return row

    # -- wallet --------------------------------------------------------------------------

    def wallet(self, investor_id: str) -> WalletView:
        with self._uow(read_only=True) as uow:
            return wallet_of(uow, investor_id, self._currency)

    def deposit(self, investor_id: str, amount: Money) -> MovementView:
        """Collect through the rail, then credit the wallet and the ledger in one transaction.

        The rail is called first: if it fails nothing is written. (A crash after the rail
        collected and before the commit leaves money at the custodian with no movement;
        `fairlend market reconcile` lists the rail's references to match by hand.)
        """
        check_amount(amount, self._currency, 0)
        with self._uow(read_only=True) as uow:
            self.ready(uow, investor_id)
        movement_id = new_id("mov")
        receipt = self.rail.collect(investor_id, amount, movement_id)
        with self._uow() as uow:
            now = uow.clock.now()
            uow.conn.execute(
                update(market_wallet)
                .where(market_wallet.c.investor_id == investor_id)
                .values(cash_minor=market_wallet.c.cash_minor + amount.minor)
            )
            self._record(uow, investor_id, movement_id, MovementKind.DEPOSIT, MovementStatus.SETTLED, amount)
            uow.conn.execute(
                update(market_cash_movement)
                .where(market_cash_movement.c.investor_id == investor_id, market_cash_movement.c.id == movement_id)
                .values(rail_reference=receipt.reference, settled_at=now)
            )
            self._ledger.post(
                uow,
                entry(
                    uow.clock.business_date(),
                    "investor_deposit",
                    debit(custody(self._currency), amount),
                    credit(investor_cash(investor_id, self._currency), amount),
                    reference=movement_id,
                ),
            )
            uow.commit()
        return MovementView(
            movement_id, investor_id, MovementKind.DEPOSIT, MovementStatus.SETTLED, amount, receipt.reference
        )

    def withdraw(self, investor_id: str, amount: Money) -> MovementView:
        """Take the money off the wallet (only what is available), pay it out, or put it back if the rail fails."""
        check_amount(amount, self._currency, 0)
        movement_id = new_id("mov")
        with self._uow() as uow:
            self.ready(uow, investor_id)
            taken = uow.conn.execute(
                update(market_wallet)
                .where(
                    market_wallet.c.investor_id == investor_id,
                    market_wallet.c.cash_minor - market_wallet.c.committed_minor >= amount.minor,
                )
                .values(cash_minor=market_wallet.c.cash_minor - amount.minor)
            ).rowcount
            if taken != 1:
                raise shortfall(wallet_of(uow, investor_id, self._currency), amount, "withdraw")
            self._record(uow, investor_id, movement_id, MovementKind.WITHDRAWAL, MovementStatus.PENDING, amount)
            self._post_withdrawal(uow, investor_id, movement_id, amount, reverse=False)
            uow.commit()
        try:
            receipt = self.rail.pay_out(investor_id, amount, movement_id)
        except Exception:
            self._undo_withdrawal(investor_id, movement_id, amount)
            raise
        with self._uow() as uow:
            uow.conn.execute(
                update(market_cash_movement)
                .where(market_cash_movement.c.investor_id == investor_id, market_cash_movement.c.id == movement_id)
                .values(
                    status=MovementStatus.SETTLED.value, rail_reference=receipt.reference, settled_at=uow.clock.now()
                )
            )
            uow.commit()
        return MovementView(
            movement_id, investor_id, MovementKind.WITHDRAWAL, MovementStatus.SETTLED, amount, receipt.reference
        )

    def _undo_withdrawal(self, investor_id: str, movement_id: str, amount: Money) -> None:
        with self._uow() as uow:
            uow.conn.execute(
                update(market_wallet)
                .where(market_wallet.c.investor_id == investor_id)
                .values(cash_minor=market_wallet.c.cash_minor + amount.minor)
            )
            uow.conn.execute(
                update(market_cash_movement)
                .where(market_cash_movement.c.investor_id == investor_id, market_cash_movement.c.id == movement_id)
                .values(status=MovementStatus.FAILED.value, settled_at=uow.clock.now())
            )
            self._post_withdrawal(uow, investor_id, movement_id, amount, reverse=True)
            uow.commit()

    def _post_withdrawal(
        self, uow: UnitOfWork, investor_id: str, movement_id: str, amount: Money, *, reverse: bool
    ) -> None:
        owed, cash = investor_cash(investor_id, self._currency), custody(self._currency)
        postings = (
            (credit(owed, amount), debit(cash, amount)) if reverse else (debit(owed, amount), credit(cash, amount))
        )
        kind = "investor_withdrawal_failed" if reverse else "investor_withdrawal"
        self._ledger.post(uow, entry(uow.clock.business_date(), kind, *postings, reference=movement_id))

    def _record(
        self,
        uow: UnitOfWork,
        investor_id: str,
        movement_id: str,
        kind: MovementKind,
        status: MovementStatus,
        amount: Money,
    ) -> None:
        uow.conn.execute(
            insert(market_cash_movement).values(
                investor_id=investor_id,
                id=movement_id,
                kind=kind.value,
                status=status.value,
                currency=amount.currency,
                amount_minor=amount.minor,
                created_at=uow.clock.now(),
            )
        )

    def movements(self, investor_id: str) -> list[MovementView]:
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(market_cash_movement)
                .where(market_cash_movement.c.investor_id == investor_id)
                .order_by(market_cash_movement.c.id)
            ).all()
        return [_movement(r) for r in rows]

    def pending_movements(self) -> list[MovementView]:
        """Withdrawals taken off a wallet whose payment the rail has not confirmed (a crash between)."""
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(market_cash_movement)
                .where(market_cash_movement.c.status == MovementStatus.PENDING.value)
                .order_by(market_cash_movement.c.id)
            ).all()
        return [_movement(r) for r in rows]


def _movement(r: Any) -> MovementView:
    return MovementView(
        r.id,
        r.investor_id,
        MovementKind(r.kind),
        MovementStatus(r.status),
        Money(r.amount_minor, r.currency),
        r.rail_reference,
    )


def wallet_of(uow: UnitOfWork, investor_id: str, currency: str) -> WalletView:
    row = uow.conn.execute(select(market_wallet).where(market_wallet.c.investor_id == investor_id)).first()
    if row is None:  # no agreement yet: an empty wallet, not a missing resource
        zero = Money.zero(currency)
        return WalletView(investor_id, zero, zero)
    return WalletView(investor_id, Money(row.cash_minor, row.currency), Money(row.committed_minor, row.currency))


def shortfall(wallet: WalletView, amount: Money, what: str) -> Conflict:
    """Why a wallet cannot cover an amount: a withdrawal of committed cash (its own code), or too little available."""
    if what == "withdraw" and wallet.cash.minor >= amount.minor:
        return Conflict(
            "cash_committed",
            f"you cannot {what} {amount}: {wallet.committed} of your {wallet.cash} is committed to listings "
            f"not yet funded; {wallet.available} is available",
            available=str(wallet.available.to_decimal()),
        )
    return Conflict(
        "insufficient_cash",
        f"you cannot {what} {amount}: {wallet.available} is available",
        available=str(wallet.available.to_decimal()),
    )
