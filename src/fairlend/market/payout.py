"""Paying holders what a distribution gave them: their wallets and one ledger entry per currency.

Shared by the end-of-day batch (`distribution.py`) and by the end of an epoch
outside it (`epochs.py`: a sale, a charge-off or a concession pays the units its
loan held). Totals are per holder, already summed (`Ledger.post_totals`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
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


def post(uow: UnitOfWork, ledger: Ledger, totals: list[HolderTotal], business_date: date, batch_id: str) -> list[str]:
    """One entry per currency for the batch: postings aggregated per holder, control accounts once."""
    per_currency: dict[str, dict[AccountKey, int]] = defaultdict(lambda: defaultdict(int))
    for r in totals:
        cur = r.currency
        sums = per_currency[cur]
        # Lending's recovery income stays whole (its verify checks it against the loans); the
        # holders' part of a recovery takes back the loss they bore at the write-down instead.
        beyond = AccountType.CREDIT_LOSS if r.kind == RepaymentKind.RECOVERY.value else AccountType.INTEREST_INCOME
        sums[AccountKey(AccountType.NOTES_PAYABLE, cur, r.holder_id)] += r.principal
        sums[AccountKey(beyond, cur)] += r.net + r.fee - r.principal
        sums[AccountKey(AccountType.SERVICING_FEE_INCOME, cur)] -= r.fee
        if r.holder_kind == HolderKind.INVESTOR.value:
            sums[AccountKey(AccountType.INVESTOR_CASH, cur, r.holder_id)] -= r.net
            sums[AccountKey(AccountType.CUSTODY_CASH, cur)] += r.net
        sums[AccountKey(AccountType.PLATFORM_CASH, cur)] -= r.net
    entry_ids = []
    for _currency, sums in sorted(per_currency.items()):
        rows = [(key, minor) for key, minor in sums.items() if minor]
        if rows:
            entry_ids.append(ledger.post_totals(uow, business_date, DISTRIBUTION_KIND, batch_id, rows))
    return entry_ids
