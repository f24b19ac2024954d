"""`fairlend verify`'s distribution checks: every note's receipts reconcile to its principal and to the ledger.

- each note: principal = outstanding + principal distributed to it + principal written down (at charge-off, or by a concession);
- each batch and loan: what the receipts brought = what its notes got (net + fee), to the fen;
- each investor: the net shares of their notes = what distribution entries credited to their cash;
- each batch has its ledger entries (one per currency it moved money in), none missing.
"""

from __future__ import annotations

from sqlalchemy import func, select

from fairlend.db.uow import UnitOfWorkFactory
from fairlend.ledger.model import AccountType
from fairlend.ledger.service import Discrepancy, Ledger
from fairlend.market.model import HolderKind
from fairlend.market.tables import market_distribution, market_note, market_receipt

DISTRIBUTION_KIND = "market_distribution"
TRADE_KIND = "market_note_trade"  # a secondary-market sale: cash buyer to seller, notes payable seller to buyer


def distribution_discrepancies(uow_factory: UnitOfWorkFactory, ledger: Ledger) -> list[Discrepancy]:
    found: list[Discrepancy] = []
    d = market_distribution
    with uow_factory(read_only=True) as uow:
        conn = uow.conn
        repaid = (
            select(d.c.holder_id, d.c.note_id, func.sum(d.c.principal_minor).label("repaid"))
            .group_by(d.c.holder_id, d.c.note_id)
            .subquery()
        )
        n = market_note
        for note_id, principal, outstanding, written, got in conn.execute(
            select(
                n.c.id,
                n.c.principal_minor,
                n.c.outstanding_minor,
                n.c.charged_off_minor + n.c.written_down_minor,
                func.coalesce(repaid.c.repaid, 0),
            )
            .select_from(n.outerjoin(repaid, (repaid.c.holder_id == n.c.holder_id) & (repaid.c.note_id == n.c.id)))
            .where(
                n.c.principal_minor
                != n.c.outstanding_minor
                + n.c.charged_off_minor
                + n.c.written_down_minor
                + func.coalesce(repaid.c.repaid, 0)
            )
            .order_by(n.c.id)
        ):
            found.append(
                Discrepancy(
                    "market.note_principal",
                    note_id,
                    f"principal {principal}, outstanding {outstanding} + repaid {got} + written down {written}",
                )
            )
        brought = (
            select(
                market_receipt.c.batch_id, market_receipt.c.loan_id, func.sum(market_receipt.c.amount_minor).label("a")
            )
            .where(market_receipt.c.batch_id.is_not(None))
            .group_by(market_receipt.c.batch_id, market_receipt.c.loan_id)
            .subquery()
        )
        shared = (
            select(d.c.batch_id, d.c.loan_id, func.sum(d.c.net_minor + d.c.fee_minor).label("g"))
            .group_by(d.c.batch_id, d.c.loan_id)
            .subquery()
        )
        for batch_id, loan_id, a, g in conn.execute(
            select(brought.c.batch_id, brought.c.loan_id, brought.c.a, shared.c.g)
            .select_from(
                brought.join(
                    shared, (shared.c.batch_id == brought.c.batch_id) & (shared.c.loan_id == brought.c.loan_id)
                )
            )
            .where(brought.c.a != shared.c.g)
            .order_by(brought.c.batch_id, brought.c.loan_id)
        ):
            found.append(Discrepancy("market.receipt_shared", f"{batch_id} {loan_id}", f"received {a}, shared {g}"))
        nets = dict(
            conn.execute(
                select(d.c.holder_id, func.sum(d.c.net_minor))
                .where(d.c.holder_kind == HolderKind.INVESTOR.value)
                .group_by(d.c.holder_id)
            ).all()
        )
    credited = {
        owner: -total for owner, total in ledger.kind_totals(DISTRIBUTION_KIND, AccountType.INVESTOR_CASH).items()
    }
    for holder in sorted(set(nets) | set(credited)):
        got, booked = int(nets.get(holder, 0)), credited.get(holder, 0)
        if got != booked:
            found.append(Discrepancy("market.holder_received", holder, f"notes received {got}, ledger {booked}"))
    return found
