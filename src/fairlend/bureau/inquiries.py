"""Inquiries: who looked at a credit file, why, and whether a self-query was free (CN-13, CN-14).

`BureauService.inquire` checks the consent before the transaction and
calls these inside it, with the person's file already found or made.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Connection, func, insert, select

from fairlend.bureau.consent import ConsentAttestation, InquiryKind, InquiryPurpose, self_query_is_free
from fairlend.bureau.model import AccountState
from fairlend.bureau.tables import bureau_account, bureau_inquiry
from fairlend.ids import new_id
from fairlend.jurisdiction.model import BureauProfile


def has_open_account(conn: Connection, file_id: str, institution_id: str) -> bool:
    """Post-loan management is for a loan still being managed: once it is paid off, the institution has no more
    reason to look."""
    found = conn.execute(
        select(bureau_account.c.id).where(
            bureau_account.c.file_id == file_id,
            bureau_account.c.institution_id == institution_id,
            bureau_account.c.state != AccountState.SETTLED.value,
        )
    ).first()
    return found is not None


def record(
    conn: Connection,
    bureau: BureauProfile,
    file_id: str,
    institution_id: str,
    purpose: InquiryPurpose,
    consent: ConsentAttestation | None,
    today: date,
    now: datetime,
) -> None:
    """The inquiry on the file, with the consent that allowed it; a self-query counts against the year's free ones."""
    kind = purpose.kind
    free = True
    if kind is InquiryKind.SELF:
        earlier = conn.execute(
            select(func.count())
            .select_from(bureau_inquiry)
            .where(
                bureau_inquiry.c.file_id == file_id,
                bureau_inquiry.c.kind == InquiryKind.SELF.value,
                bureau_inquiry.c.inquired_on >= date(today.year, 1, 1),
                bureau_inquiry.c.inquired_on <= today,
            )
        ).scalar_one()
        free = self_query_is_free(bureau, int(earlier))
    conn.execute(
        insert(bureau_inquiry).values(
            id=new_id("binq"),
            file_id=file_id,
            institution_id=institution_id,
            kind=kind.value,
            purpose=purpose.value,
            inquired_on=today,
            inquired_at=now,
            free=free,
            consent_id=consent.consent_id if consent else "",
            consent_text_version=consent.text_version if consent else "",
        )
    )
