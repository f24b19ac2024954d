"""`fairlend verify`'s distribution checks: every note's principal, every loan's receipts, every holder's ledger.

- each note: principal = outstanding + principal distributed to it + principal written down (at charge-off,
  or by a concession), its amounts as they are now (`positions.py`);
- each loan: what its receipts brought = what its notes received (net + fee, as of their epoch's start)
  + what its current epoch distributed (its cumulative row: the notes' floors and the units it holds);
- each investor: the net their notes received = what distribution entries credited to their cash.
"""

from __future__ import annotations

from sqlalchemy import func, select

from fairlend.db.uow import UnitOfWorkFactory
from fairlend.ledger.model import AccountType
from fairlend.ledger.service import Discrepancy, Ledger
from fairlend.market.distribution_tables import market_loan_share, market_receipt
from fairlend.market.model import HolderKind
from fairlend.market.positions import positions
from fairlend.market.tables import market_note

DISTRIBUTION_KIND = "market_distribution"
TRADE_KIND = "market_note_trade"  # a secondary-market sale: cash buyer to seller, notes payable seller to buyer


def distribution_discrepancies(uow_factory: UnitOfWorkFactory, ledger: Ledger) -> list[Discrepancy]:
    found: list[Discrepancy] = []
    with uow_factory(read_only=True) as uow:
        conn = uow.conn
        p = positions()
        for note_id, principal, outstanding, written, got in conn.execute(
            select(
                p.c.id,
                p.c.principal_minor,
                p.c.outstanding_minor,
                p.c.charged_off_minor + p.c.written_down_minor,
                p.c.paid_principal_minor,
            )
            .where(
                (
                    p.c.principal_minor
                    != p.c.outstanding_minor + p.c.charged_off_minor + p.c.written_down_minor + p.c.paid_principal_minor
                )
                | (p.c.outstanding_minor < 0)
            )
            .order_by(p.c.id)
        ):
            found.append(
                Discrepancy(
                    "market.note_principal",
                    note_id,
                    f"principal {principal}, outstanding {outstanding} + repaid {got} + written down {written}",
                )
            )
        r, n, s = market_receipt, market_note, market_loan_share
        brought = (
            select(r.c.loan_id, func.sum(r.c.amount_minor).label("a"))
            .where(r.c.batch_id.is_not(None))
            .group_by(r.c.loan_id)
            .subquery()
        )
        noted = (
            select(
                n.c.loan_id,
                func.sum(
                    n.c.paid_fee_minor + n.c.paid_net_minor + n.c.recovered_fee_minor + n.c.recovered_net_minor
                ).label("g"),
            )
            .group_by(n.c.loan_id)
            .subquery()
        )
        epoch = s.c.fee_minor + s.c.net_minor + s.c.recovery_fee_minor + s.c.recovery_net_minor
        shared = func.coalesce(noted.c.g, 0) + func.coalesce(epoch, 0)
        for loan_id, a, g in conn.execute(
            select(brought.c.loan_id, brought.c.a, shared)
            .select_from(
                brought.join(noted, noted.c.loan_id == brought.c.loan_id).outerjoin(s, s.c.loan_id == brought.c.loan_id)
            )
            .where(brought.c.a != shared)
            .order_by(brought.c.loan_id)
        ):
            found.append(Discrepancy("market.receipt_shared", loan_id, f"received {a}, shared {g}"))
        nets = dict(
            conn.execute(
                select(p.c.holder_id, func.sum(p.c.paid_net_minor + p.c.recovered_net_minor))
                .where(p.c.holder_kind == HolderKind.INVESTOR.value)
                .group_by(p.c.holder_id)
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
