"""A loan's epochs: the weights its notes share by, and the units its floor shares hold back.

Within an epoch a note's part of each cumulative amount its loan distributed
is floor(C * w / W) (`positions.py`). The floors leave fewer units than the loan
has notes; the loan holds them (they stay in platform cash, against the income
lending booked) until the epoch ends, when every cumulative amount is split by
largest remainder (`shares.split`, ties to the smaller note id): each note gets
its floor or one unit more, the difference being the held units paid out. The
notes' rows then take their amounts as they are (a snapshot) and the loan's row
starts again from zero over the new weights.

An epoch ends at a payoff (the principal's floors are then exact: every note at
zero), before a charge-off writes the notes down, before a concession, and
before a sale splits a note. Between those, weights never change: every
principal share comes from one split, so the notes stay in proportion.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import bindparam, insert, select, text, update

from fairlend.db.uow import UnitOfWork
from fairlend.ids import new_id
from fairlend.ledger.service import Ledger
from fairlend.market import payout
from fairlend.market.distribution_tables import market_distribution_batch, market_loan_share, market_note_epoch
from fairlend.market.model import HolderKind
from fairlend.market.positions import RECOVERY, REPAYMENT, floor_share
from fairlend.market.shares import Weighted, split
from fairlend.market.tables import market_note

_AMOUNTS = ("principal_minor", "fee_minor", "net_minor", "recovery_fee_minor", "recovery_net_minor")
_NOTE_COLUMNS = (
    "paid_principal_minor",
    "paid_fee_minor",
    "paid_net_minor",
    "recovered_fee_minor",
    "recovered_net_minor",
)

# The loan's weight: its notes' outstanding principal and principal written down, as they are now.
_REWEIGH = text(
    """
    UPDATE market_loan_share SET weight_minor = (
        SELECT COALESCE(SUM(outstanding_minor + charged_off_minor), 0) FROM market_note
         WHERE market_note.loan_id = market_loan_share.loan_id
    ) WHERE loan_id = :loan_id
    """
)


def open_loan(uow: UnitOfWork, loan_id: str, currency: str) -> None:
    """A loan's row, created with its notes (epoch 0, nothing distributed), or weighed again."""
    exists = uow.conn.execute(select(market_loan_share.c.loan_id).where(market_loan_share.c.loan_id == loan_id)).first()
    if exists is None:
        uow.conn.execute(insert(market_loan_share).values(loan_id=loan_id, currency=currency, epoch=0, weight_minor=0))
    reweigh(uow, loan_id)


def reweigh(uow: UnitOfWork, loan_id: str) -> None:
    """After an epoch ended and the notes changed (written down, split): the new epoch's weight."""
    uow.conn.execute(_REWEIGH, {"loan_id": loan_id})


def close(uow: UnitOfWork, loan_id: str, batch_id: str, business_date: date) -> list[payout.HolderTotal]:
    """End the loan's epoch: held units paid by largest remainder, notes snapshotted; the release per holder.

    Nothing to end when the epoch distributed nothing (the weights may simply
    change), or when nothing weighs (the money stays held: there is no one to pay).
    """
    conn = uow.conn
    loan = conn.execute(
        select(market_loan_share).where(market_loan_share.c.loan_id == loan_id).with_for_update()
    ).first()
    if loan is None or loan.weight_minor <= 0 or not any(getattr(loan, a) for a in _AMOUNTS):
        return []
    notes = conn.execute(select(market_note).where(market_note.c.loan_id == loan_id).order_by(market_note.c.id)).all()
    weighted = [Weighted(n.id, n.outstanding_minor + n.charged_off_minor) for n in notes]
    total = loan.weight_minor
    if sum(w.weight for w in weighted) != total:
        raise RuntimeError(f"loan {loan_id}: its notes weigh {sum(w.weight for w in weighted)}, its epoch {total}")
    finals = {a: split(getattr(loan, a), weighted) for a in _AMOUNTS}
    updates: list[dict[str, Any]] = []
    epochs: list[dict[str, Any]] = []
    released: dict[tuple[str, str, str, str], list[int]] = {}
    for i, (n, w) in enumerate(zip(notes, weighted, strict=True)):
        final = {a: finals[a][i] for a in _AMOUNTS}
        extra = {a: final[a] - floor_share(getattr(loan, a), w.weight, total) for a in _AMOUNTS}
        if any(final.values()):
            updates.append({"b_holder": n.holder_id, "b_note": n.id, **{f"b_{a}": final[a] for a in _AMOUNTS}})
        epochs.append(
            {
                "loan_id": loan_id,
                "epoch": loan.epoch,
                "holder_id": n.holder_id,
                "note_id": n.id,
                "weight_minor": w.weight,
                "batch_id": batch_id,
                "business_date": business_date,
                **extra,
            }
        )
        if n.holder_kind != HolderKind.PLATFORM.value:
            for kind, (p, f, x) in (
                (REPAYMENT, (extra["principal_minor"], extra["fee_minor"], extra["net_minor"])),
                (RECOVERY, (0, extra["recovery_fee_minor"], extra["recovery_net_minor"])),
            ):
                if p or f or x:
                    got = released.setdefault((n.holder_id, n.holder_kind, n.currency, kind), [0, 0, 0])
                    got[0], got[1], got[2] = got[0] + p, got[1] + f, got[2] + x
    if updates:
        nc = market_note.c
        conn.execute(
            update(market_note)
            .where(nc.holder_id == bindparam("b_holder"), nc.id == bindparam("b_note"))
            .values(
                outstanding_minor=nc.outstanding_minor - bindparam("b_principal_minor"),
                **{col: getattr(nc, col) + bindparam(f"b_{a}") for col, a in zip(_NOTE_COLUMNS, _AMOUNTS, strict=True)},
            ),
            updates,
        )
    conn.execute(insert(market_note_epoch), epochs)
    conn.execute(
        update(market_loan_share)
        .where(market_loan_share.c.loan_id == loan_id)
        .values(epoch=loan.epoch + 1, **dict.fromkeys(_AMOUNTS, 0))
    )
    reweigh(uow, loan_id)
    return [
        payout.HolderTotal(holder, kind_, currency, kind, p, f, x)
        for (holder, kind_, currency, kind), (p, f, x) in sorted(released.items())
    ]


def settle(uow: UnitOfWork, ledger: Ledger, loan_id: str, business_date: date) -> None:
    """End the loan's epoch outside end-of-day (a sale, a charge-off, a concession) and pay what it held."""
    batch_id = new_id("dist")
    totals = close(uow, loan_id, batch_id, business_date)
    if not totals:
        return
    payout.record(uow, batch_id, totals)
    payout.credit_wallets(uow, totals)
    entry_ids = payout.post(uow, ledger, totals, business_date, batch_id)
    uow.conn.execute(
        insert(market_distribution_batch).values(
            id=batch_id,
            business_date=business_date,
            receipts=0,
            shares=len(totals),
            entry_ids=" ".join(entry_ids),
            created_at=uow.clock.now(),
        )
    )
