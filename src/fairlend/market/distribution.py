"""Distribution: every repayment, payoff and recovery reaches the loan's notes, net of the servicing fee.

Two halves. In the repayment's own transaction (lending's `RepaymentPosted`,
an in-transaction subscriber) the money the holders are owed is recorded as
a receipt, with its fee worked out then (it depends on how late the payment
came in). At end-of-day the day's receipts take a batch and are shared
among their loans' notes SET-BASED and without a row per note: each loan's
receipts of the batch are summed into its cumulative row (`market_loan_share`,
one row per loan per batch in `market_loan_batch`); a note's part of each
cumulative amount is floor(C * w / W) (`positions.py`), so each holder's total
is the notes joined to those rows, each share added to the holder's running
row of the batch (`market_holder_batch`). The units the
floors leave are held by the loan until its epoch ends (`epochs.py`). Then one
UPDATE of the wallets and one journal entry per currency for the whole batch,
aggregated per holder.

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

from sqlalchemy import BigInteger, bindparam, insert, select, update

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Invalid
from fairlend.ids import new_id
from fairlend.jurisdiction.model import MarketplaceProfile
from fairlend.ledger.model import AccountKey, AccountType, Posting, entry
from fairlend.ledger.service import Ledger
from fairlend.lending.events import LoanChargedOff, LoanModified, LoanWrittenOff, RepaymentPosted
from fairlend.lending.model import RepaymentKind
from fairlend.market import distribution_sql as sql
from fairlend.market import epochs, payout
from fairlend.market.distribution_tables import market_distribution_batch, market_receipt
from fairlend.market.model import HolderKind
from fairlend.market.orders import hold_trades
from fairlend.market.shares import Weighted, servicing_fee, split
from fairlend.market.tables import market_note
from fairlend.money import Money

# Principal a hardship plan wrote off an active loan, borne by its notes (the portfolio reads it back).
CONCESSION_KIND = "market_note_concession"

_INSERT_RECEIPT = insert(market_receipt)
_CLAIM = (
    update(market_receipt)
    .where(market_receipt.c.batch_id.is_(None), market_receipt.c.business_date <= bindparam("b_date"))
    .values(batch_id=bindparam("batch_id"))
)
_CLAIM_LOAN = _CLAIM.where(market_receipt.c.loan_id == bindparam("b_loan"))


@dataclass(frozen=True, slots=True)
class DistributionReport:
    batch_id: str | None
    receipts: int = 0
    shares: int = 0  # loans shared (one row each: no row per note)


def _add_holder_totals(uow: UnitOfWork, batch_id: str, *, recoveries: bool) -> None:
    """Each non-platform holder's row of the batch, from the notes of its loans (`sql.FOLD_*`, `sql.*_GROUPED`).

    A batch with no recovery in it (most days) takes the statements that need not tell the kinds apart.
    """
    conn, params = uow.conn, {"batch_id": batch_id}
    if uow.dialect != "sqlite":
        conn.execute(sql.HOLDER_TOTALS_GROUPED if recoveries else sql.REPAYMENT_TOTALS_GROUPED, params)
        return
    conn.execute(sql.FOLD_TABLE)
    conn.execute(sql.CLEAR_FOLD)  # a connection's table, empty unless a batch before failed on it
    conn.execute(sql.FOLD_BY_NOTE if recoveries else sql.FOLD_REPAYMENTS_BY_NOTE, params)
    conn.execute(sql.FOLDED, params)
    conn.execute(sql.CLEAR_FOLD)


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
        epochs.settle(uow, self._ledger, loan_id, event.business_date)  # held units paid, the notes as they are
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
        epochs.reweigh(uow, loan_id)  # recoveries are shared by the principal written down
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
        epochs.settle(uow, self._ledger, loan_id, event.business_date)
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
        epochs.reweigh(uow, loan_id)
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
        params = {"batch_id": batch_id, "business_date": business_date}
        conn.execute(sql.OPEN_LOANS, params)
        shared = conn.execute(sql.BATCH_ROWS, params).rowcount
        heavy = conn.execute(sql.TOO_HEAVY, params).scalars().first()
        if heavy is not None:
            raise Invalid("loan_too_heavy_to_share", f"loan {heavy}: its notes weigh more than 3e9 minor units")
        conn.execute(sql.ADVANCE_LOANS, params)
        recovered = list(conn.execute(sql.RECOVERED, params).scalars())
        _add_holder_totals(uow, batch_id, recoveries=bool(recovered))
        # Each loan once, in loan order: a loan paid off and recovered in one batch ends one epoch.
        ending = sorted({*conn.execute(sql.PAID_OFF, params).scalars(), *recovered})
        released: list[payout.HolderTotal] = []
        for loan_id_ending in ending:
            released += epochs.close(uow, loan_id_ending, batch_id, business_date)
        payout.record(uow, batch_id, released)
        totals = payout.batch_totals(uow, batch_id)
        payout.credit_wallets(uow, totals)
        entry_ids = payout.post(uow, self._ledger, totals, business_date, batch_id)
        shares = int(shared)
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


class DistributionStep:
    """End-of-day: the day's receipts shared among their notes, one batch, one entry per currency."""

    name = "market_distribution"

    def __init__(self, distribution: Distribution) -> None:
        self._distribution = distribution

    def run(self, uow: UnitOfWork, business_date: date) -> int:
        return self._distribution.run(uow, business_date).receipts
