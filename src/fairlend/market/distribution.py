"""Distribution: every repayment, payoff and recovery reaches the loan's notes, net of the servicing fee.

Two halves. In the repayment's own transaction (lending's `RepaymentPosted`,
an in-transaction subscriber) the money the holders are owed is recorded as
a receipt, with its fee worked out then (it depends on how late the payment
came in). At end-of-day the day's receipts take a batch and are shared among
their loans' notes SET-BASED: one INSERT ... SELECT whose window functions do
the largest-remainder split of `shares.py` for every loan at once, one UPDATE
of the notes, one of the wallets, and one journal entry per currency for the
whole batch, aggregated per holder. A loan's receipts of one batch are summed
first, so a repayment and a payoff on the same day are shared once.

Charge-off (and a write-off of an active loan) distributes the loan's pending
receipts, then writes its notes down: the holders bear the principal
(notes payable against credit loss); later recoveries are shared by the
principal written down. A loan the platform alone holds takes the same path;
its shares move no money (the platform's notes have no payable).

Ledger, per batch: each investor's notes payable debited with the principal
they got and their cash credited with their net share; a partner's payable
debited (the platform pays it on at once from its own cash); interest income
(credit loss for recoveries: the holders bore it at the write-down) debited with what holders got beyond
principal; the fee credited to servicing fee income; the investors' cash
moves from the platform's account into custody.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, bindparam, insert, select, text, update

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.ids import new_id
from fairlend.jurisdiction.model import MarketplaceProfile
from fairlend.ledger.model import AccountKey, AccountType, Posting, entry
from fairlend.ledger.service import Ledger
from fairlend.lending.events import LoanChargedOff, LoanModified, LoanWrittenOff, RepaymentPosted
from fairlend.lending.model import RepaymentKind
from fairlend.market.model import HolderKind
from fairlend.market.orders import hold_trades
from fairlend.market.reconcile import DISTRIBUTION_KIND
from fairlend.market.shares import Weighted, servicing_fee, share_receipt, split
from fairlend.market.tables import (
    market_distribution,
    market_distribution_batch,
    market_note,
    market_receipt,
)
from fairlend.money import Money

# Principal a hardship plan wrote off an active loan, borne by its notes (the portfolio reads it back).
CONCESSION_KIND = "market_note_concession"

# Products of an amount and a weight must fit a signed 64-bit integer on both databases;
# a loan past this (a payment of ~¥30 million on a loan as large) is shared in Python instead.
_PRODUCT_LIMIT = 2**62
_INSERT_RECEIPT = insert(market_receipt)
_CLAIM = (
    update(market_receipt)
    .where(market_receipt.c.batch_id.is_(None), market_receipt.c.business_date <= bindparam("b_date"))
    .values(batch_id=bindparam("batch_id"))
)
_CLAIM_LOAN = _CLAIM.where(market_receipt.c.loan_id == bindparam("b_loan"))

# The day's receipts per loan; the notes' weights; each of three amounts (net, fee, principal)
# split by largest remainder: floor shares, then one unit each to the largest remainders, ties
# to the smaller note id (byte order: "C" collation on PostgreSQL), exactly as shares.split.
_SHARE_SQL = """
INSERT INTO market_distribution (holder_id, batch_id, note_id, holder_kind, loan_id, kind, currency,
                                 principal_minor, fee_minor, net_minor, business_date)
WITH r AS (
    SELECT loan_id, MAX(kind) AS kind, CAST(SUM(amount_minor - fee_minor) AS BIGINT) AS m,
           CAST(SUM(fee_minor) AS BIGINT) AS f, CAST(SUM(principal_minor) AS BIGINT) AS p
      FROM market_receipt WHERE batch_id = :batch_id GROUP BY loan_id
), n AS (
    SELECT n.holder_id, n.id AS note_id, n.holder_kind, n.loan_id, n.currency, r.kind, r.m, r.f, r.p,
           n.outstanding_minor + n.charged_off_minor AS w,
           CAST(SUM(n.outstanding_minor + n.charged_off_minor) OVER (PARTITION BY n.loan_id) AS BIGINT) AS tw
      FROM market_note n JOIN r ON r.loan_id = n.loan_id
), q AS (
    SELECT holder_id, note_id, holder_kind, loan_id, currency, kind, m, f, p, tw,
           m * w / tw AS mb, m * w % tw AS mr, f * w / tw AS fb, f * w % tw AS fr, p * w / tw AS pb, p * w % tw AS pr
      FROM n WHERE tw > 0 AND w > 0 {big}
), s AS (
    SELECT q.*,
           m - SUM(mb) OVER l AS ml, f - SUM(fb) OVER l AS fl, p - SUM(pb) OVER l AS pl,
           ROW_NUMBER() OVER (PARTITION BY loan_id ORDER BY mr DESC, note_id{collate}) AS mk,
           ROW_NUMBER() OVER (PARTITION BY loan_id ORDER BY fr DESC, note_id{collate}) AS fk,
           ROW_NUMBER() OVER (PARTITION BY loan_id ORDER BY pr DESC, note_id{collate}) AS pk
      FROM q WINDOW l AS (PARTITION BY loan_id)
)
SELECT holder_id, :batch_id, note_id, holder_kind, loan_id, kind, currency,
       pb + CASE WHEN pk <= pl THEN 1 ELSE 0 END,
       fb + CASE WHEN fk <= fl THEN 1 ELSE 0 END,
       mb + CASE WHEN mk <= ml THEN 1 ELSE 0 END,
       :business_date
  FROM s
"""


def _share_statement(dialect: str, big: bool) -> Any:
    sql = _SHARE_SQL.format(
        collate=' COLLATE "C"' if dialect == "postgresql" else "",
        big="AND loan_id NOT IN (SELECT value FROM big_loans)" if big else "",
    )
    return text(sql).bindparams(bindparam("business_date", type_=market_distribution.c.business_date.type))


_SHARE = {d: _share_statement(d, False) for d in ("sqlite", "postgresql")}

# The notes' outstanding principal, lowered by what the batch repaid them.
_REPAY_NOTES = text(
    """
    UPDATE market_note SET outstanding_minor = market_note.outstanding_minor - d.principal_minor
      FROM market_distribution d
     WHERE d.batch_id = :batch_id AND d.principal_minor > 0
       AND d.holder_id = market_note.holder_id AND d.note_id = market_note.id
    """
)
# Investors' wallets (the cache of their ledger cash) credited with their net shares.
_CREDIT_WALLETS = text(
    """
    UPDATE market_wallet SET cash_minor = market_wallet.cash_minor + t.net
      FROM (SELECT holder_id, SUM(net_minor) AS net FROM market_distribution
             WHERE batch_id = :batch_id AND holder_kind = 'investor' GROUP BY holder_id) AS t
     WHERE t.holder_id = market_wallet.investor_id AND t.net <> 0
    """
)
_HOLDER_TOTALS = text(
    """
    SELECT holder_id, holder_kind, currency, kind,
           SUM(principal_minor) AS principal, SUM(fee_minor) AS fee, SUM(net_minor) AS net
      FROM market_distribution
     WHERE batch_id = :batch_id AND holder_kind <> 'platform'
     GROUP BY holder_id, holder_kind, currency, kind
     ORDER BY holder_id, currency, kind
    """
)
_BIG_LOANS = text(
    """
    SELECT r.loan_id FROM (
        SELECT loan_id, SUM(amount_minor) AS a FROM market_receipt WHERE batch_id = :batch_id GROUP BY loan_id
    ) r JOIN (
        SELECT loan_id, SUM(outstanding_minor + charged_off_minor) AS tw FROM market_note
         WHERE loan_id IN (SELECT loan_id FROM market_receipt WHERE batch_id = :batch_id) GROUP BY loan_id
    ) t ON t.loan_id = r.loan_id
     WHERE t.tw > 0 AND r.a >= :limit / t.tw
    """
)


@dataclass(frozen=True, slots=True)
class DistributionReport:
    batch_id: str | None
    receipts: int = 0
    shares: int = 0


class Distribution:
    def __init__(self, uow: UnitOfWorkFactory, ledger: Ledger, market: MarketplaceProfile) -> None:
        self._uow = uow
        self._ledger = ledger
        self._market = market

    # -- in the repayment's transaction ---------------------------------------------------------

    def record(self, uow: UnitOfWork, events: Sequence[RepaymentPosted]) -> None:
        """Lending's RepaymentPosted: what the notes are owed of each becomes a receipt, fee worked out now.

        All of one publication's repayments in one statement (a repayment file posts thousands).
        """
        now = uow.clock.now()
        rows = [row for row in (self._receipt(event, now) for event in events) if row is not None]
        if rows:
            uow.conn.execute(_INSERT_RECEIPT, rows)

    def _receipt(self, event: RepaymentPosted, now: datetime) -> dict[str, Any] | None:
        refunded = event.refunded.minor if event.refunded else 0
        if event.kind is RepaymentKind.RECOVERY:
            amount, principal = event.amount.minor - refunded, 0
        else:
            # Penalty and fees (late, prepayment) are the platform's; holders get principal and interest.
            amount, principal = event.principal_paid.minor + event.interest_paid.minor, event.principal_paid.minor
        if amount <= 0:
            return None
        fee = servicing_fee(
            amount,
            self._market.servicing_fee_rate,
            event.received_days_past_due,
            self._market.servicing_fee_within_days,
        )
        return {
            "id": event.repayment_id,
            "loan_id": event.loan_id,
            "kind": event.kind.value,
            "business_date": event.business_date,
            "currency": event.amount.currency,
            "amount_minor": amount,
            "principal_minor": principal,
            "fee_minor": fee,
            "received_days_past_due": event.received_days_past_due,
            "batch_id": None,
            "created_at": now,
        }

    def write_down(self, uow: UnitOfWork, event: LoanChargedOff | LoanWrittenOff) -> None:
        """Charge-off: the loan's pending receipts are shared first, then its notes written down to zero."""
        loan_id = event.loan_id
        self.run(uow, event.business_date, loan_id=loan_id)
        rows = uow.conn.execute(
            select(
                market_note.c.holder_id,
                market_note.c.holder_kind,
                market_note.c.currency,
                market_note.c.outstanding_minor,
            )
            .where(market_note.c.loan_id == loan_id, market_note.c.outstanding_minor > 0)
            .order_by(market_note.c.holder_id, market_note.c.id)
        ).all()
        if not rows:
            return
        uow.conn.execute(
            update(market_note)
            .where(market_note.c.loan_id == loan_id, market_note.c.outstanding_minor > 0)
            .values(
                charged_off_minor=market_note.c.charged_off_minor + market_note.c.outstanding_minor,
                outstanding_minor=0,
            )
        )
        owed: dict[tuple[str, str], int] = defaultdict(int)
        for r in rows:
            if r.holder_kind != HolderKind.PLATFORM.value:
                owed[(r.currency, r.holder_id)] += r.outstanding_minor
        self._post_losses(uow, owed, event.business_date, "market_note_write_down", loan_id)

    def write_down_concession(self, uow: UnitOfWork, event: LoanModified) -> None:
        """A modification wrote principal off an active loan: its notes bear it pro rata, as at charge-off.

        The loan's pending receipts are shared first (with the weights they came
        in under), then the principal written off is split by the notes'
        outstanding principal (largest remainder, `shares.split`) and moved to
        `written_down_minor`, so the notes' outstanding again sums to the loan's.
        Holders bear it as at charge-off: their notes payable against credit loss.
        """
        amount = event.written_off_principal.minor
        if amount <= 0:
            return
        loan_id = event.loan_id
        self.run(uow, event.business_date, loan_id=loan_id)
        rows = uow.conn.execute(
            select(
                market_note.c.holder_id,
                market_note.c.id,
                market_note.c.holder_kind,
                market_note.c.currency,
                market_note.c.outstanding_minor,
            )
            .where(market_note.c.loan_id == loan_id, market_note.c.outstanding_minor > 0)
            .order_by(market_note.c.id)
        ).all()
        if not rows:
            return
        shares = split(amount, [Weighted(r.id, r.outstanding_minor) for r in rows])
        uow.conn.execute(
            update(market_note)
            .where(market_note.c.holder_id == bindparam("b_holder"), market_note.c.id == bindparam("b_note"))
            .values(
                outstanding_minor=market_note.c.outstanding_minor - bindparam("b_share", type_=BigInteger()),
                written_down_minor=market_note.c.written_down_minor + bindparam("b_share", type_=BigInteger()),
            ),
            [{"b_holder": r.holder_id, "b_note": r.id, "b_share": w} for r, w in zip(rows, shares, strict=True) if w],
        )
        owed: dict[tuple[str, str], int] = defaultdict(int)
        for r, w in zip(rows, shares, strict=True):
            if w and r.holder_kind != HolderKind.PLATFORM.value:
                owed[(r.currency, r.holder_id)] += w
        self._post_losses(uow, owed, event.business_date, CONCESSION_KIND, loan_id)

    def _post_losses(
        self, uow: UnitOfWork, owed: dict[tuple[str, str], int], business_date: date, kind: str, loan_id: str
    ) -> None:
        """Holders' notes payable debited with what they lost, credit loss credited: one entry per currency."""
        by_currency: dict[str, list[Posting]] = defaultdict(list)
        for (currency, holder), minor in sorted(owed.items()):
            by_currency[currency].append(
                Posting(AccountKey(AccountType.NOTES_PAYABLE, currency, holder), Money(minor, currency))
            )
        for currency, postings in sorted(by_currency.items()):
            total = sum(p.amount.minor for p in postings)
            postings.append(Posting(AccountKey(AccountType.CREDIT_LOSS, currency), Money(-total, currency)))
            self._ledger.post(uow, entry(business_date, kind, *postings, reference=loan_id))

    # -- end-of-day -----------------------------------------------------------------------------------

    def run(self, uow: UnitOfWork, business_date: date, *, loan_id: str | None = None) -> DistributionReport:
        """Share every receipt not yet distributed (of one loan, or all up to `business_date`) among the notes."""
        conn = uow.conn
        hold_trades(uow)  # the notes must not be split by a trade between the share and the update
        batch_id = new_id("dist")
        if loan_id is None:
            claimed = conn.execute(_CLAIM, {"batch_id": batch_id, "b_date": business_date}).rowcount
        else:
            claimed = conn.execute(
                _CLAIM_LOAN, {"batch_id": batch_id, "b_date": business_date, "b_loan": loan_id}
            ).rowcount
        if not claimed:
            return DistributionReport(None)
        big = [r.loan_id for r in conn.execute(_BIG_LOANS, {"batch_id": batch_id, "limit": _PRODUCT_LIMIT})]
        params = {"batch_id": batch_id, "business_date": business_date}
        if big:
            shares = self._share_in_python(uow, batch_id, business_date, big)
            shares += self._share_sql_excluding(uow, params, big)
        else:
            shares = conn.execute(_SHARE[uow.dialect], params).rowcount
        conn.execute(_REPAY_NOTES, {"batch_id": batch_id})
        conn.execute(_CREDIT_WALLETS, {"batch_id": batch_id})
        entry_ids = self._post(uow, batch_id, business_date)
        conn.execute(
            insert(market_distribution_batch).values(
                id=batch_id,
                business_date=business_date,
                receipts=claimed,
                shares=shares,
                entry_ids=" ".join(entry_ids),
                created_at=uow.clock.now(),
            )
        )
        return DistributionReport(batch_id, claimed, shares)

    def _post(self, uow: UnitOfWork, batch_id: str, business_date: date) -> list[str]:
        """One entry per currency for the batch: postings aggregated per holder, control accounts once."""
        per_currency: dict[str, dict[AccountKey, int]] = defaultdict(lambda: defaultdict(int))
        for r in uow.conn.execute(_HOLDER_TOTALS, {"batch_id": batch_id}):
            cur = r.currency
            principal, fee, net = int(r.principal), int(r.fee), int(r.net)
            sums = per_currency[cur]
            # Lending's recovery income stays whole (its verify checks it against the loans); the
            # holders' part of a recovery takes back the loss they bore at the write-down instead.
            beyond = AccountType.CREDIT_LOSS if r.kind == RepaymentKind.RECOVERY.value else AccountType.INTEREST_INCOME
            sums[AccountKey(AccountType.NOTES_PAYABLE, cur, r.holder_id)] += principal
            sums[AccountKey(beyond, cur)] += net + fee - principal
            sums[AccountKey(AccountType.SERVICING_FEE_INCOME, cur)] -= fee
            if r.holder_kind == HolderKind.INVESTOR.value:
                sums[AccountKey(AccountType.INVESTOR_CASH, cur, r.holder_id)] -= net
                sums[AccountKey(AccountType.CUSTODY_CASH, cur)] += net
            sums[AccountKey(AccountType.PLATFORM_CASH, cur)] -= net
        entry_ids = []
        for _currency, sums in sorted(per_currency.items()):
            rows = [(key, minor) for key, minor in sums.items() if minor]
            if rows:
                entry_ids.append(self._ledger.post_totals(uow, business_date, DISTRIBUTION_KIND, batch_id, rows))
        return entry_ids

    def _share_in_python(self, uow: UnitOfWork, batch_id: str, business_date: date, loans: list[str]) -> int:
        conn = uow.conn
        rows: list[dict[str, Any]] = []
        for loan in sorted(loans):
            receipts = conn.execute(
                select(market_receipt).where(market_receipt.c.batch_id == batch_id, market_receipt.c.loan_id == loan)
            ).all()
            notes = conn.execute(
                select(market_note).where(market_note.c.loan_id == loan).order_by(market_note.c.id)
            ).all()
            weighted = [Weighted(n.id, n.outstanding_minor + n.charged_off_minor) for n in notes]
            shared = share_receipt(
                sum(r.amount_minor for r in receipts),
                sum(r.principal_minor for r in receipts),
                sum(r.fee_minor for r in receipts),
                weighted,
            )
            for note, got in zip(notes, shared, strict=True):
                if not note.outstanding_minor + note.charged_off_minor:
                    continue  # a note sold whole, or repaid: no share, no row (as the SQL leaves it out)
                rows.append(
                    {
                        "holder_id": note.holder_id,
                        "batch_id": batch_id,
                        "note_id": note.id,
                        "holder_kind": note.holder_kind,
                        "loan_id": loan,
                        "kind": max(r.kind for r in receipts),
                        "currency": note.currency,
                        "principal_minor": got.principal,
                        "fee_minor": got.fee,
                        "net_minor": got.net,
                        "business_date": business_date,
                    }
                )
        if rows:
            conn.execute(insert(market_distribution), rows)
        return len(rows)

    def _share_sql_excluding(self, uow: UnitOfWork, params: dict[str, Any], big: list[str]) -> int:
        # Rare (enormous loans): the same statement with those loans left out, as a VALUES list.
        values = ", ".join(f"(:big_{i})" for i in range(len(big)))
        sql = _SHARE_SQL.format(
            collate=' COLLATE "C"' if uow.dialect == "postgresql" else "",
            big="AND loan_id NOT IN (SELECT value FROM big_loans)",
        ).replace("WITH r AS (", f"WITH big_loans(value) AS (VALUES {values}), r AS (", 1)
        bound = {f"big_{i}": loan for i, loan in enumerate(big)}
        stmt = text(sql).bindparams(bindparam("business_date", type_=market_distribution.c.business_date.type))
        return int(uow.conn.execute(stmt, {**params, **bound}).rowcount)


class DistributionStep:
    """End-of-day: the day's receipts shared among their notes, one batch, one entry per currency."""

    name = "market_distribution"

    def __init__(self, distribution: Distribution) -> None:
        self._distribution = distribution

    def run(self, uow: UnitOfWork, business_date: date) -> int:
        return self._distribution.run(uow, business_date).receipts
