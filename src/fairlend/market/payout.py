"""Paying holders what a distribution gave them: their wallets and one ledger entry per currency.

Shared by the end-of-day batch (`distribution.py`) and by the end of an epoch
outside it (`epochs.py`: a sale, a charge-off or a concession pays the units its
loan held). Totals are per holder, already summed (`Ledger.post_totals`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import text

from fairlend.db.uow import UnitOfWork
from fairlend.ledger.model import AccountKey, AccountType
from fairlend.ledger.service import Ledger
from fairlend.lending.model import RepaymentKind
from fairlend.market import distribution_sql as sql
from fairlend.market.model import HolderKind
from fairlend.market.reconcile import DISTRIBUTION_KIND

# Investors' wallets (the cache of their ledger cash) credited with their net shares, one row each.
CREDIT_WALLET = text("UPDATE market_wallet SET cash_minor = cash_minor + :net WHERE investor_id = :holder")


@dataclass(frozen=True, slots=True)
class HolderTotal:
    holder_id: str
    holder_kind: str
    currency: str
    kind: str
    principal: int
    fee: int
    net: int


def record(uow: UnitOfWork, batch_id: str, totals: list[HolderTotal]) -> None:
    """The totals added to their holders' rows of the batch (`market_holder_batch`)."""
    sums: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for t in totals:
        row = sums[(t.holder_id, t.currency, t.holder_kind)]
        if t.kind == RepaymentKind.RECOVERY.value:
            row[3] += t.fee
            row[4] += t.net
        else:
            row[0] += t.principal
            row[1] += t.fee
            row[2] += t.net
    rows = [
        {
            "batch_id": batch_id,
            "holder_id": holder,
            "currency": currency,
            "holder_kind": kind,
            **dict(zip(("principal", "fee", "net", "recovery_fee", "recovery_net"), minor, strict=True)),
        }
        for (holder, currency, kind), minor in sorted(sums.items())
    ]
    if rows:
        uow.conn.execute(sql.ADD_HOLDER_TOTAL, rows)


def batch_totals(uow: UnitOfWork, batch_id: str) -> list[HolderTotal]:
    """Every holder's totals of the batch by currency and kind, from their rows (in holder order)."""
    totals = []
    for r in uow.conn.execute(sql.HOLDER_TOTALS, {"batch_id": batch_id}):
        for kind, principal, fee, net in (
            (RepaymentKind.REPAYMENT.value, r.principal, r.fee, r.net),
            (RepaymentKind.RECOVERY.value, 0, r.recovery_fee, r.recovery_net),
        ):
            if principal or fee or net:
                totals.append(
                    HolderTotal(r.holder_id, r.holder_kind, r.currency, kind, int(principal), int(fee), int(net))
                )
    return totals


def credit_wallets(uow: UnitOfWork, totals: list[HolderTotal]) -> None:
    """Investors' wallets credited with their net shares, from the same totals as the ledger."""
    net: dict[str, int] = defaultdict(int)
    for t in totals:
        if t.holder_kind == HolderKind.INVESTOR.value:
            net[t.holder_id] += t.net
    rows = [{"holder": holder, "net": minor} for holder, minor in sorted(net.items()) if minor]
    if rows:
        uow.conn.execute(CREDIT_WALLET, rows)


_RECOVERY, _INVESTOR = RepaymentKind.RECOVERY.value, HolderKind.INVESTOR.value


@dataclass(slots=True)
class _EntrySums:
    """One currency's postings of a batch entry, summed: per holder by id (a string key, cheap to hash,
    thousands of them a batch), the control accounts as plain totals."""

    payable: dict[str, int] = field(default_factory=dict)
    cash: dict[str, int] = field(default_factory=dict)
    interest: int = 0
    loss: int = 0
    fee: int = 0
    custody: int = 0
    platform: int = 0

    def add(self, r: HolderTotal) -> None:
        self.payable[r.holder_id] = self.payable.get(r.holder_id, 0) + r.principal
        # Lending's recovery income stays whole (its verify checks it against the loans); the
        # holders' part of a recovery takes back the loss they bore at the write-down instead.
        if r.kind == _RECOVERY:
            self.loss += r.net + r.fee - r.principal
        else:
            self.interest += r.net + r.fee - r.principal
        self.fee -= r.fee
        if r.holder_kind == _INVESTOR:
            self.cash[r.holder_id] = self.cash.get(r.holder_id, 0) - r.net
            self.custody += r.net
        self.platform -= r.net

    def rows(self, currency: str) -> list[tuple[AccountKey, int]]:
        rows = [(AccountKey(AccountType.NOTES_PAYABLE, currency, h), m) for h, m in self.payable.items() if m]
        rows += [(AccountKey(AccountType.INVESTOR_CASH, currency, h), m) for h, m in self.cash.items() if m]
        for account, minor in (
            (AccountType.INTEREST_INCOME, self.interest),
            (AccountType.CREDIT_LOSS, self.loss),
            (AccountType.SERVICING_FEE_INCOME, self.fee),
            (AccountType.CUSTODY_CASH, self.custody),
            (AccountType.PLATFORM_CASH, self.platform),
        ):
            if minor:
                rows.append((AccountKey(account, currency), minor))
        return rows


def post(uow: UnitOfWork, ledger: Ledger, totals: list[HolderTotal], business_date: date, batch_id: str) -> list[str]:
    """One entry per currency for the batch: postings aggregated per holder, control accounts once."""
    per_currency: dict[str, _EntrySums] = {}
    for r in totals:
        sums = per_currency.get(r.currency)
        if sums is None:
            sums = per_currency[r.currency] = _EntrySums()
        sums.add(r)
    entry_ids = []
    for currency, sums in sorted(per_currency.items()):
        rows = sums.rows(currency)
        if rows:
            entry_ids.append(ledger.post_totals(uow, business_date, DISTRIBUTION_KIND, batch_id, rows))
    return entry_ids
