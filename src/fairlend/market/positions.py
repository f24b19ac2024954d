"""What a note holds and has received now, derived from its loan's cumulative row (market_0008).

A note's row keeps what it had when its loan's current epoch began (outstanding
principal, principal written down, what it had received); its loan's row in
`market_loan_share` keeps what the epoch has distributed (C) over the weight
of its notes then (W). The note's part of each cumulative amount is
floor(C * w / W) with w its weight (`floor_share`), so:

- outstanding principal = outstanding at the epoch start - floor(C_principal * w / W);
- received = what it had received at the epoch start + floor(C * w / W).

Every read of a note's outstanding principal or of what it received goes through
here: `positions()` (a subquery shaped like `market_note`, its amounts derived)
for SQL, `note_shares` for a note's history batch by batch.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Subquery, case, select, tuple_

from fairlend.db.uow import UnitOfWork
from fairlend.ledger.model import AccountType
from fairlend.ledger.service import owner_balances
from fairlend.market.distribution_tables import (
    market_distribution,
    market_loan_batch,
    market_loan_share,
    market_note_epoch,
)
from fairlend.market.tables import market_note

REPAYMENT, RECOVERY = "repayment", "recovery"


def floor_share(amount: int, weight: int, total: int) -> int:
    """floor(amount * weight / total): a note's part of a cumulative amount (0 when nothing weighs)."""
    return amount * weight // total if total > 0 else 0


def floor_share_sql(amount: Any, weight: Any, total: Any) -> ColumnElement[Any]:
    """`floor_share` in SQL, as (C / W) * w + (C % W) * w / W: no product past W * w (64-bit for W < 3e9)."""
    return case((total > 0, (amount // total) * weight + ((amount % total) * weight) // total), else_=0)


def positions() -> Subquery:
    """`market_note` with its amounts as they are now: outstanding principal and everything received."""
    n, s = market_note, market_loan_share
    w, total = n.c.outstanding_minor + n.c.charged_off_minor, s.c.weight_minor

    def part(col: Any) -> ColumnElement[Any]:
        return floor_share_sql(col, w, total)

    return (
        select(
            n.c.holder_id,
            n.c.id,
            n.c.holder_kind,
            n.c.loan_id,
            n.c.listing_id,
            n.c.currency,
            n.c.principal_minor,
            n.c.created_at,
            (n.c.outstanding_minor - part(s.c.principal_minor)).label("outstanding_minor"),
            n.c.charged_off_minor,
            n.c.written_down_minor,
            (n.c.paid_principal_minor + part(s.c.principal_minor)).label("paid_principal_minor"),
            (n.c.paid_fee_minor + part(s.c.fee_minor)).label("paid_fee_minor"),
            (n.c.paid_net_minor + part(s.c.net_minor)).label("paid_net_minor"),
            (n.c.recovered_fee_minor + part(s.c.recovery_fee_minor)).label("recovered_fee_minor"),
            (n.c.recovered_net_minor + part(s.c.recovery_net_minor)).label("recovered_net_minor"),
        )
        .select_from(n.outerjoin(s, s.c.loan_id == n.c.loan_id))
        .subquery("market_note_position")
    )


def outstanding_of(uow: UnitOfWork, holders: Sequence[str], currency: str) -> dict[str, int]:
    """Investors' (or partners') notes' outstanding principal, each summed: their notes-payable balances.

    The ledger's notes payable of a holder is the running total of its notes' outstanding principal:
    credited when a note is bought or funded, debited with each distribution's principal, a
    write-down and a sale, in the transaction that moves the notes; `Market.verify` holds the two
    equal (`market.notes_payable`). So reading it is a look-up by key, where summing the positions
    reads every note the holder has ever held (a scan that grew with the book, per listing, for
    every auto-investor a pass seats). The platform's notes have no payable: not for its holdings.
    """
    payable = owner_balances(uow.conn, AccountType.NOTES_PAYABLE, currency, holders)
    return {holder: -payable.get(holder, 0) for holder in holders}


@dataclass(frozen=True, slots=True)
class ShareRow:
    """What one note received of one batch (or of the held units paid when an epoch ended)."""

    batch_id: str
    holder_id: str
    note_id: str
    loan_id: str
    kind: str
    currency: str
    business_date: date
    principal: int
    fee: int
    net: int


def note_shares(
    uow: UnitOfWork, *, holder_id: str | None = None, note_ids: Iterable[str] | None = None
) -> list[ShareRow]:
    """The notes' receipts batch by batch (a holder's, or these notes'), oldest first.

    Batches before market_0008 are the rows they wrote then; later ones are
    derived: floor(after * w / W) - floor(before * w / W) with the note's weight
    in the batch's epoch, and the held units paid to it when an epoch ended.
    """
    n = market_note
    query = select(n.c.holder_id, n.c.id, n.c.loan_id, n.c.currency, n.c.outstanding_minor, n.c.charged_off_minor)
    if holder_id is not None:
        query = query.where(n.c.holder_id == holder_id)
    if note_ids is not None:
        query = query.where(n.c.id.in_(sorted(set(note_ids))))
    notes = uow.conn.execute(query).all()
    if not notes:
        return []
    keys = sorted({(r.holder_id, r.id) for r in notes})
    loans = sorted({r.loan_id for r in notes})
    conn = uow.conn
    epoch_now = dict(
        conn.execute(
            select(market_loan_share.c.loan_id, market_loan_share.c.epoch).where(market_loan_share.c.loan_id.in_(loans))
        ).all()
    )
    e = market_note_epoch
    past = conn.execute(select(e).where(e.c.loan_id.in_(loans), tuple_(e.c.holder_id, e.c.note_id).in_(keys))).all()
    weights: dict[tuple[str, int], list[tuple[Any, int]]] = defaultdict(list)
    for r in notes:
        weights[(r.loan_id, epoch_now.get(r.loan_id, 0))].append((r, r.outstanding_minor + r.charged_off_minor))
    by_note = {(r.holder_id, r.id): r for r in notes}
    for p in past:
        weights[(p.loan_id, p.epoch)].append((by_note[(p.holder_id, p.note_id)], p.weight_minor))
    got: dict[tuple[str, str, str, str], list[Any]] = {}

    def add(batch: str, note: Any, kind: str, day: date, principal: int, fee: int, net: int) -> None:
        if not (principal or fee or net):
            return
        key = (batch, note.holder_id, note.id, kind)
        row = got.setdefault(key, [day, note, 0, 0, 0])
        row[2] += principal
        row[3] += fee
        row[4] += net

    b = market_loan_batch
    for batch in conn.execute(select(b).where(b.c.loan_id.in_(loans))):
        total = batch.weight_minor
        for note, w in weights.get((batch.loan_id, batch.epoch), ()):
            add(
                batch.batch_id,
                note,
                batch.kind,
                batch.business_date,
                floor_share(batch.principal_after, w, total) - floor_share(batch.principal_before, w, total),
                floor_share(batch.fee_after, w, total) - floor_share(batch.fee_before, w, total),
                floor_share(batch.net_after, w, total) - floor_share(batch.net_before, w, total),
            )
    for p in past:
        note = by_note[(p.holder_id, p.note_id)]
        add(p.batch_id, note, REPAYMENT, p.business_date, p.principal_minor, p.fee_minor, p.net_minor)
        add(p.batch_id, note, RECOVERY, p.business_date, 0, p.recovery_fee_minor, p.recovery_net_minor)
    d = market_distribution
    for r in conn.execute(select(d).where(tuple_(d.c.holder_id, d.c.note_id).in_(keys))):
        add(
            r.batch_id,
            by_note[(r.holder_id, r.note_id)],
            r.kind,
            r.business_date,
            r.principal_minor,
            r.fee_minor,
            r.net_minor,
        )
    rows = [
        ShareRow(batch, holder, note_id, v[1].loan_id, kind, v[1].currency, v[0], v[2], v[3], v[4])
        for (batch, holder, note_id, kind), v in got.items()
    ]
    rows.sort(key=lambda r: (r.business_date, r.batch_id, r.note_id, r.kind))
    return rows
