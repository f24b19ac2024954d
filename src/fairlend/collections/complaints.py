"""Complaints: filed by the borrower, worked by a compliance officer, on the clock.

Acknowledge within `acknowledge_days`, answer within `answer_days` of filing,
from the profile's `collections.complaints` (CN-22, US-19); once, in a complex
case, the officer may extend the answer by `extension_days`, and the borrower
is told why. Both sides see the clocks. While a complaint is not answered,
collection contacts on its loan are paused (P-3; the gateway reads the
complaint table at the moment of sending). The complaint's words, the answer
and the files are sealed at rest: they name people and numbers.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update

from fairlend.collections.events import ComplaintChanged
from fairlend.collections.model import ComplaintCategory, ComplaintStatus
from fairlend.collections.ports import COMPLAINT_FILE, COMPLAINT_TEXT, Sealer
from fairlend.collections.service import CollectionsService
from fairlend.collections.tables import complaint, complaint_attachment
from fairlend.db.uow import UnitOfWorkFactory
from fairlend.errors import Conflict, Invalid, NotFound
from fairlend.ids import new_id
from fairlend.jurisdiction.model import ComplaintClocks

MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
MAX_ATTACHMENTS = 10


@dataclass(frozen=True, slots=True)
class AttachmentView:
    seq: int
    filename: str
    content_type: str
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class ComplaintView:
    id: str
    borrower_id: str
    loan_id: str
    category: ComplaintCategory
    text: str
    status: ComplaintStatus
    filed_at: datetime
    ack_due: datetime
    answer_due: datetime
    acknowledged_at: datetime | None
    answered_at: datetime | None
    answer: str | None
    officer_id: str | None
    extended_at: datetime | None
    extension_note: str | None
    ack_breached: bool
    answer_breached: bool
    ack_seconds_left: int | None  # None once acknowledged
    answer_seconds_left: int | None  # None once answered
    attachments: tuple[AttachmentView, ...]


def _breached(done_at: datetime | None, due: datetime, now: datetime) -> bool:
    return (done_at or now) > due


def complaint_view(row: Any, now: datetime, opened: Any, attachments: tuple[AttachmentView, ...] = ()) -> ComplaintView:
    """`opened` holds the row's text, answer and extension note in clear (they are sealed at rest)."""
    return ComplaintView(
        id=row.id,
        borrower_id=row.borrower_id,
        loan_id=row.loan_id,
        category=ComplaintCategory(row.category),
        text=opened.text,
        status=ComplaintStatus(row.status),
        filed_at=row.filed_at,
        ack_due=row.ack_due,
        answer_due=row.answer_due,
        acknowledged_at=row.acknowledged_at,
        answered_at=row.answered_at,
        answer=opened.answer,
        officer_id=row.officer_id,
        extended_at=row.extended_at,
        extension_note=opened.extension_note,
        ack_breached=_breached(row.acknowledged_at, row.ack_due, now),
        answer_breached=_breached(row.answered_at, row.answer_due, now),
        ack_seconds_left=None if row.acknowledged_at else int((row.ack_due - now).total_seconds()),
        answer_seconds_left=None if row.answered_at else int((row.answer_due - now).total_seconds()),
        attachments=attachments,
    )


@dataclass(frozen=True, slots=True)
class _Opened:
    text: str
    answer: str | None
    extension_note: str | None


class ComplaintService:
    def __init__(
        self, uow: UnitOfWorkFactory, clocks: ComplaintClocks, collections: CollectionsService, sealer: Sealer
    ) -> None:
        self._uow = uow
        self._clocks = clocks
        self._collections = collections
        self._sealer = sealer

    def _seal(self, value: str | None) -> str | None:
        return None if value is None else self._sealer.seal(value, COMPLAINT_TEXT)

    def _open(self, row: Any) -> _Opened:
        def opened(value: str | None) -> str | None:
            if value is None or not row.sealed:
                return value  # filed before complaints were sealed
            return self._sealer.open(value, COMPLAINT_TEXT)

        return _Opened(opened(row.text) or "", opened(row.answer), opened(row.extension_note))

    def file(self, borrower_id: str, loan_id: str, category: ComplaintCategory, text: str) -> ComplaintView:
        text = text.strip()
        if not text:
            raise Invalid("complaint_empty", "say what happened")
        if len(text) > 10_000:
            raise Invalid("complaint_too_long", "at most 10,000 characters")
        self._collections.owned_loan(borrower_id, loan_id)
        complaint_id = new_id("cmp")
        with self._uow() as uow:
            now = uow.clock.now()
            uow.conn.execute(
                insert(complaint).values(
                    borrower_id=borrower_id,
                    id=complaint_id,
                    loan_id=loan_id,
                    category=category.value,
                    text=self._seal(text),
                    sealed=True,
                    status=ComplaintStatus.OPEN.value,
                    filed_at=now,
                    ack_due=now + timedelta(days=self._clocks.acknowledge_days),
                    answer_due=now + timedelta(days=self._clocks.answer_days),
                )
            )
            uow.publish(
                ComplaintChanged(complaint_id, borrower_id, loan_id, category.value, "open", uow.clock.business_date())
            )
            uow.commit()
        return self.get(complaint_id)

    def attach(
        self, borrower_id: str, complaint_id: str, filename: str, content_type: str, data: bytes
    ) -> AttachmentView:
        if not data:
            raise Invalid("attachment_empty", "the file is empty")
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise Invalid("attachment_too_large", f"at most {MAX_ATTACHMENT_BYTES} bytes")
        with self._uow() as uow:
            row = uow.conn.execute(
                select(complaint.c.id).where(complaint.c.borrower_id == borrower_id, complaint.c.id == complaint_id)
            ).first()
            if row is None:
                raise NotFound("complaint_not_found", f"no complaint {complaint_id}")
            count = int(
                uow.conn.execute(
                    select(func.count()).where(
                        complaint_attachment.c.borrower_id == borrower_id,
                        complaint_attachment.c.complaint_id == complaint_id,
                    )
                ).scalar()
                or 0
            )
            if count >= MAX_ATTACHMENTS:
                raise Conflict("too_many_attachments", f"at most {MAX_ATTACHMENTS} files")
            view = AttachmentView(
                count + 1, filename[:200] or "file", content_type[:100], hashlib.sha256(data).hexdigest(), len(data)
            )
            uow.conn.execute(
                insert(complaint_attachment).values(
                    borrower_id=borrower_id,
                    complaint_id=complaint_id,
                    seq=view.seq,
                    filename=view.filename,
                    content_type=view.content_type,
                    sha256=view.sha256,
                    size=view.size,
                    data=self._sealer.seal(base64.b64encode(data).decode(), COMPLAINT_FILE).encode(),
                    sealed=True,
                    uploaded_at=uow.clock.now(),
                )
            )
            uow.commit()
        return view

    def attachment(self, borrower_id: str, complaint_id: str, seq: int) -> tuple[AttachmentView, bytes]:
        """One file of the borrower's complaint, opened."""
        with self._uow(read_only=True) as uow:
            row = uow.conn.execute(
                select(complaint_attachment).where(
                    complaint_attachment.c.borrower_id == borrower_id,
                    complaint_attachment.c.complaint_id == complaint_id,
                    complaint_attachment.c.seq == seq,
                )
            ).first()
        if row is None:
            raise NotFound("attachment_not_found", f"no file {seq} on complaint {complaint_id}")
        data = bytes(row.data)
        if row.sealed:
            data = base64.b64decode(self._sealer.open(data.decode(), COMPLAINT_FILE))
        return AttachmentView(row.seq, row.filename, row.content_type, row.sha256, row.size), data

    def extend(self, complaint_id: str, officer_id: str, reason: str) -> ComplaintView:
        """Once, in a complex case: the answer is due `extension_days` later, and the borrower sees why."""
        reason = reason.strip()
        if not reason:
            raise Invalid("extension_reason_required", "tell the borrower why the answer needs more time")
        if self._clocks.extension_days <= 0:
            raise Conflict("extension_not_allowed", "this jurisdiction allows no extension")
        with self._uow() as uow:
            row = uow.conn.execute(select(complaint).where(complaint.c.id == complaint_id)).first()
            if row is None:
                raise NotFound("complaint_not_found", f"no complaint {complaint_id}")
            if row.status == ComplaintStatus.ANSWERED.value:
                raise Conflict("complaint_state", "the complaint is answered")
            if row.extended_at is not None:
                raise Conflict("complaint_already_extended", f"{self._clocks.rule} allows one extension")
            now = uow.clock.now()
            if now > row.answer_due:
                raise Conflict("complaint_answer_overdue", "the answer is already late; it cannot be extended now")
            uow.conn.execute(
                update(complaint)
                .where(complaint.c.borrower_id == row.borrower_id, complaint.c.id == complaint_id)
                .values(
                    answer_due=row.answer_due + timedelta(days=self._clocks.extension_days),
                    extended_at=now,
                    extension_note=self._sealer.seal(reason, COMPLAINT_TEXT) if row.sealed else reason,
                    officer_id=officer_id,
                )
            )
            uow.publish(
                ComplaintChanged(
                    complaint_id, row.borrower_id, row.loan_id, row.category, "extended", uow.clock.business_date()
                )
            )
            uow.commit()
        return self.get(complaint_id)

    def acknowledge(self, complaint_id: str, officer_id: str) -> ComplaintView:
        return self._move(complaint_id, officer_id, ComplaintStatus.OPEN, ComplaintStatus.ACKNOWLEDGED, None)

    def answer(self, complaint_id: str, officer_id: str, answer: str) -> ComplaintView:
        if not answer.strip():
            raise Invalid("answer_empty", "an answer needs words")
        current = self.get(complaint_id)
        if current.status is ComplaintStatus.OPEN:
            self.acknowledge(complaint_id, officer_id)
        return self._move(
            complaint_id, officer_id, ComplaintStatus.ACKNOWLEDGED, ComplaintStatus.ANSWERED, answer.strip()
        )

    def _move(
        self, complaint_id: str, officer_id: str, source: ComplaintStatus, target: ComplaintStatus, answer: str | None
    ) -> ComplaintView:
        with self._uow() as uow:
            row = uow.conn.execute(select(complaint).where(complaint.c.id == complaint_id)).first()
            if row is None:
                raise NotFound("complaint_not_found", f"no complaint {complaint_id}")
            if row.status != source.value:
                raise Conflict("complaint_state", f"the complaint is {row.status}, not {source.value}")
            now = uow.clock.now()
            values: dict[str, Any] = {"status": target.value, "officer_id": officer_id}
            if target is ComplaintStatus.ACKNOWLEDGED:
                values["acknowledged_at"] = now
            else:
                values.update(answered_at=now, answer=self._seal(answer) if row.sealed else answer)
            uow.conn.execute(
                update(complaint)
                .where(complaint.c.borrower_id == row.borrower_id, complaint.c.id == complaint_id)
                .values(**values)
            )
            uow.publish(
                ComplaintChanged(
                    complaint_id, row.borrower_id, row.loan_id, row.category, target.value, uow.clock.business_date()
                )
            )
            uow.commit()
        return self.get(complaint_id)

    def get(self, complaint_id: str) -> ComplaintView:
        with self._uow(read_only=True) as uow:
            row = uow.conn.execute(select(complaint).where(complaint.c.id == complaint_id)).first()
            if row is None:
                raise NotFound("complaint_not_found", f"no complaint {complaint_id}")
            files = tuple(
                AttachmentView(a.seq, a.filename, a.content_type, a.sha256, a.size)
                for a in uow.conn.execute(
                    select(
                        complaint_attachment.c.seq,
                        complaint_attachment.c.filename,
                        complaint_attachment.c.content_type,
                        complaint_attachment.c.sha256,
                        complaint_attachment.c.size,
                    )
                    .where(
                        complaint_attachment.c.borrower_id == row.borrower_id,
                        complaint_attachment.c.complaint_id == complaint_id,
                    )
                    .order_by(complaint_attachment.c.seq)
                )
            )
            return complaint_view(row, uow.clock.now(), self._open(row), files)

    def list(
        self, *, borrower_id: str | None = None, status: ComplaintStatus | None = None, loan_id: str | None = None
    ) -> list[ComplaintView]:
        query = select(complaint).order_by(complaint.c.answer_due, complaint.c.id)
        if borrower_id is not None:
            query = query.where(complaint.c.borrower_id == borrower_id)
        if status is not None:
            query = query.where(complaint.c.status == status.value)
        if loan_id is not None:
            query = query.where(complaint.c.loan_id == loan_id)
        with self._uow(read_only=True) as uow:
            now = uow.clock.now()
            return [complaint_view(r, now, self._open(r)) for r in uow.conn.execute(query)]

    def sla_summary(self) -> tuple[dict[str, int], int, int]:
        """(complaints per status, acknowledgement breaches, answer breaches)."""
        views = self.list()
        per_status = Counter(v.status.value for v in views)
        return (
            {s.value: per_status.get(s.value, 0) for s in ComplaintStatus},
            sum(1 for v in views if v.ack_breached),
            sum(1 for v in views if v.answer_breached),
        )
