"""Notes: who owns each loan, and in what part. A loan's notes always sum to its principal.

The table is shaped for set-based distribution (a later step): each note has
its loan, its holder and its outstanding principal, so a day's repayments can
be shared among notes with one statement per day, not one per loan.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select

from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.ids import new_id
from fairlend.market.epochs import open_loan
from fairlend.market.model import HolderKind, NoteShare, NoteView
from fairlend.market.positions import positions
from fairlend.market.tables import market_note
from fairlend.money import Money


def insert_notes(uow: UnitOfWork, loan_id: str, listing_id: str, notes: list[NoteShare]) -> None:
    now = uow.clock.now()
    uow.conn.execute(
        insert(market_note),
        [
            {
                "holder_id": n.holder_id,
                "id": new_id("note"),
                "holder_kind": n.kind.value,
                "loan_id": loan_id,
                "listing_id": listing_id,
                "currency": n.principal.currency,
                "principal_minor": n.principal.minor,
                "outstanding_minor": n.principal.minor,
                "created_at": now,
            }
            for n in notes
        ],
    )
    if notes:
        open_loan(uow, loan_id, notes[0].principal.currency)


def _view(r: Any) -> NoteView:
    return NoteView(
        r.id,
        r.holder_id,
        HolderKind(r.holder_kind),
        r.loan_id,
        r.listing_id,
        Money(r.principal_minor, r.currency),
        Money(r.outstanding_minor, r.currency),
    )


class Notes:
    def __init__(self, uow: UnitOfWorkFactory) -> None:
        self._uow = uow

    def of_holder(self, holder_id: str) -> list[NoteView]:
        with self._uow(read_only=True) as uow:
            p = positions()
            rows = uow.conn.execute(select(p).where(p.c.holder_id == holder_id).order_by(p.c.id)).all()
        return [_view(r) for r in rows]

    def of_loan(self, loan_id: str) -> list[NoteView]:
        with self._uow(read_only=True) as uow:
            p = positions()
            rows = uow.conn.execute(select(p).where(p.c.loan_id == loan_id).order_by(p.c.holder_id, p.c.id)).all()
        return [_view(r) for r in rows]
