"""Disputes (CN-15, CR-7): marked at once, answered by the institution, suppressed when it is late.

A dispute's reason is the person's own words and often names them; the
institution's answer note is quoted in the notice the person is sent. Both
are stored sealed (sealed.py) and opened only to be shown. Each function
runs inside the caller's transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, insert, select, update

from fairlend.bureau.documents import DisputeMark, OutcomeNotice
from fairlend.bureau.negatives import dispute_deadline
from fairlend.bureau.reports import dispute_mark
from fairlend.bureau.sealing import BureauSealer, purpose
from fairlend.bureau.tables import bureau_account, bureau_dispute, bureau_month, bureau_outcome_notice
from fairlend.ids import new_id
from fairlend.jurisdiction.model import BureauProfile

DISPUTE_OUTCOMES = ("verified", "corrected", "deleted")
NOTICE_TEXTS = {
    "verified": "The institution checked the record and confirmed it; it stays on your report.",
    "corrected": "The institution corrected the record; your report shows the corrected record.",
    "deleted": "The institution withdrew the record; it no longer appears on your report.",
    "suppressed": "The institution did not answer in time; the record is suppressed from your report.",
}


def _sealed(sealer: BureauSealer, table: str, column: str, row_id: str, text: str) -> str:
    return sealer.seal_text(text, purpose(table, column, row_id))


def open_dispute(
    conn: Connection,
    sealer: BureauSealer,
    profile: BureauProfile,
    *,
    file_id: str,
    account: Any,
    reason: str,
    month: int | None,
    added_information: bool,
    today: date,
) -> DisputeMark:
    dispute_id = new_id("bdsp")
    table = bureau_dispute.name
    conn.execute(
        insert(bureau_dispute).values(
            id=dispute_id,
            file_id=file_id,
            account_id=account.id,
            institution_id=account.institution_id,
            account_ref=account.account_ref,
            month=month,
            key_id=sealer.key_id,
            reason=_sealed(sealer, table, "reason", dispute_id, reason),
            added_information=added_information,
            opened_on=today,
            deadline=dispute_deadline(profile, today, added_information=added_information),
            status="open",
            answered_on=None,
            answer_note=_sealed(sealer, table, "answer_note", dispute_id, ""),
        )
    )
    return stored_mark(conn, sealer, dispute_id)


def stored_mark(conn: Connection, sealer: BureauSealer, dispute_id: str) -> DisputeMark:
    row = conn.execute(select(bureau_dispute).where(bureau_dispute.c.id == dispute_id)).mappings().one()
    return dispute_mark(row, sealer)


def resolve(
    conn: Connection,
    sealer: BureauSealer,
    institution_id: str,
    dispute_id: str,
    outcome: str,
    note: str,
    today: date,
    *,
    account_id: str,
) -> None:
    """Close an open dispute with its outcome and write the person's notice; anything else is left alone."""
    row = conn.execute(select(bureau_dispute).where(bureau_dispute.c.id == dispute_id)).mappings().first()
    if row is None or row["institution_id"] != institution_id or row["account_id"] != account_id:
        return
    if row["status"] != "open":
        return
    if outcome == "deleted":
        suppress(conn, row)
    table = bureau_dispute.name
    # The row's two values share one key id: the reason is re-sealed with the note under today's key.
    reason = sealer.open_text(row["key_id"], row["reason"], purpose(table, "reason", dispute_id))
    conn.execute(
        update(bureau_dispute)
        .where(bureau_dispute.c.id == dispute_id)
        .values(
            status=outcome,
            answered_on=today,
            key_id=sealer.key_id,
            reason=_sealed(sealer, table, "reason", dispute_id, reason),
            answer_note=_sealed(sealer, table, "answer_note", dispute_id, note),
        )
    )
    notice_id = new_id("bntc")
    text = NOTICE_TEXTS[outcome] + (f" Note: {note}" if note else "")
    conn.execute(
        insert(bureau_outcome_notice).values(
            id=notice_id,
            file_id=row["file_id"],
            dispute_id=dispute_id,
            outcome=outcome,
            key_id=sealer.key_id,
            text=_sealed(sealer, bureau_outcome_notice.name, "text", notice_id, text),
            created_on=today,
        )
    )


def suppress(conn: Connection, dispute: Any) -> None:
    if dispute["month"]:
        conn.execute(
            update(bureau_month)
            .where(bureau_month.c.account_id == dispute["account_id"], bureau_month.c.month == dispute["month"])
            .values(suppressed=True)
        )
    else:
        conn.execute(update(bureau_account).where(bureau_account.c.id == dispute["account_id"]).values(suppressed=True))


def notices(conn: Connection, sealer: BureauSealer, file_id: str, institution_id: str | None) -> list[OutcomeNotice]:
    """A credit file's notices; with `institution_id`, only those about that institution's records."""
    query = select(bureau_outcome_notice).where(bureau_outcome_notice.c.file_id == file_id)
    if institution_id is not None:
        # An institution learns how disputes about its own records ended, never about another's.
        query = query.where(
            bureau_outcome_notice.c.dispute_id.in_(
                select(bureau_dispute.c.id).where(bureau_dispute.c.institution_id == institution_id)
            )
        )
    rows = conn.execute(query.order_by(bureau_outcome_notice.c.created_on, bureau_outcome_notice.c.id)).mappings()
    table = bureau_outcome_notice.name
    return [
        OutcomeNotice(
            r["id"],
            r["dispute_id"],
            r["outcome"],
            sealer.open_text(r["key_id"], r["text"], purpose(table, "text", r["id"])),
            r["created_on"],
        )
        for r in rows
    ]
