"""Asset certificates: upload (sniffed, size-capped, encrypted at rest), underwriter review.

Files are kept in the database (`identity_certificate_file`), encrypted with
the personal-data key: a certificate is personal data, it commits or rolls
back with its record, and backups and both databases need nothing else.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.engine import Row

from fairlend.db.uow import UnitOfWorkFactory
from fairlend.errors import Conflict, Invalid, NotFound
from fairlend.identity.accounts import load_person
from fairlend.identity.checks import EXTENSIONS, check_claimed_type, sniff_content_type
from fairlend.identity.events import CertificateReviewed, CertificateUploaded
from fairlend.identity.model import Certificate, CertificateFacts, CertificateKind, CertificateStatus, Role
from fairlend.identity.pii import PiiVault
from fairlend.identity.tables import identity_certificate, identity_certificate_file
from fairlend.ids import new_id
from fairlend.money import Money

MAX_REASON_LENGTH = 500
MAX_AMOUNT_MINOR = 10**15


@dataclass(frozen=True, slots=True)
class CertificateFile:
    content_type: str
    content: bytes


def served_headers(certificate_id: str, content_type: str) -> dict[str, str]:
    """How an upload is served back: never cached, never sniffed as another type, saved rather than shown.

    Only the first bytes of an upload are checked, so a "PDF" may carry HTML or
    script after its magic; as an attachment it never runs as a page of this site.
    """
    return {
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'attachment; filename="{certificate_id}.{EXTENSIONS[content_type]}"',
    }


def _certificate(r: Row[tuple[object, ...]]) -> Certificate:
    return Certificate(
        certificate_id=r.id,
        person_id=r.person_id,
        kind=CertificateKind(r.kind),
        amount=Money(r.amount_minor, r.currency),
        content_type=r.content_type,
        size=r.size,
        status=CertificateStatus(r.status),
        reason=r.reason,
        uploaded_at=r.uploaded_at,
        reviewed_at=r.reviewed_at,
        reviewed_by=r.reviewed_by,
    )


def parse_kind(kind: CertificateKind | str) -> CertificateKind:
    try:
        return CertificateKind(kind)
    except ValueError:
        choices = ", ".join(k.value for k in CertificateKind)
        raise Invalid("invalid_certificate_kind", f"certificate kinds are: {choices}") from None


class Certificates:
    def __init__(self, uow: UnitOfWorkFactory, vault: PiiVault, currency: str) -> None:
        self._uow = uow
        self._vault = vault
        self._currency = currency

    def upload(
        self,
        person_id: str,
        kind: CertificateKind | str,
        amount: Money,
        content: bytes,
        *,
        claimed_type: str | None = None,
        filename: str | None = None,
    ) -> Certificate:
        parsed = parse_kind(kind)
        if amount.currency != self._currency:
            raise Invalid("currency_mismatch", f"amounts are in {self._currency}")
        if amount.minor <= 0:
            raise Invalid("invalid_amount", "the declared monthly income or value must be positive")
        if amount.minor > MAX_AMOUNT_MINOR:
            raise Invalid("invalid_amount", "the declared amount is implausibly large")
        content_type = sniff_content_type(content)
        check_claimed_type(content_type, claimed_type, filename)
        certificate_id = new_id("cert")
        with self._uow() as uow:
            person = load_person(uow, person_id)
            if person.role != Role.BORROWER.value:
                raise Invalid("not_a_borrower", "only borrowers upload asset certificates")
            now = uow.clock.now()
            uow.conn.execute(
                insert(identity_certificate).values(
                    person_id=person_id,
                    id=certificate_id,
                    kind=parsed.value,
                    amount_minor=amount.minor,
                    currency=amount.currency,
                    content_type=content_type,
                    size=len(content),
                    sha256=hashlib.sha256(content).hexdigest(),
                    status=CertificateStatus.PENDING.value,
                    reason="",
                    uploaded_at=now,
                    reviewed_by="",
                )
            )
            uow.conn.execute(
                insert(identity_certificate_file).values(
                    person_id=person_id,
                    certificate_id=certificate_id,
                    key_id=self._vault.current_key_id,
                    content=self._vault.encrypt_bytes(content, "certificate:" + certificate_id),
                )
            )
            uow.publish(CertificateUploaded(person_id, certificate_id, parsed, amount, uow.clock.business_date()))
            row = self._row(uow.conn, person_id, certificate_id)
            uow.commit()
        return _certificate(row)

    @staticmethod
    def _row(conn: Connection, person_id: str, certificate_id: str) -> Row[tuple[object, ...]]:
        row = conn.execute(
            select(identity_certificate)
            .where(identity_certificate.c.person_id == person_id)
            .where(identity_certificate.c.id == certificate_id)
        ).first()
        if row is None:
            raise NotFound("certificate_not_found", f"no certificate {certificate_id}")
        return row

    def get(self, person_id: str, certificate_id: str) -> Certificate:
        with self._uow(read_only=True) as uow:
            return _certificate(self._row(uow.conn, person_id, certificate_id))

    def list_for(self, person_id: str) -> list[Certificate]:
        with self._uow(read_only=True) as uow:
            load_person(uow, person_id)
            rows = uow.conn.execute(
                select(identity_certificate)
                .where(identity_certificate.c.person_id == person_id)
                .order_by(identity_certificate.c.id)
            ).all()
        return [_certificate(r) for r in rows]

    def queue(self, status: CertificateStatus = CertificateStatus.PENDING, limit: int = 200) -> list[Certificate]:
        """The underwriter's queue, oldest first."""
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(identity_certificate)
                .where(identity_certificate.c.status == status.value)
                .order_by(identity_certificate.c.uploaded_at, identity_certificate.c.id)
                .limit(limit)
            ).all()
        return [_certificate(r) for r in rows]

    def file(self, person_id: str, certificate_id: str) -> CertificateFile:
        with self._uow(read_only=True) as uow:
            meta = self._row(uow.conn, person_id, certificate_id)
            blob = uow.conn.execute(
                select(identity_certificate_file)
                .where(identity_certificate_file.c.person_id == person_id)
                .where(identity_certificate_file.c.certificate_id == certificate_id)
            ).one()
        content = self._vault.decrypt_bytes(blob.key_id, bytes(blob.content), "certificate:" + certificate_id)
        return CertificateFile(meta.content_type, content)

    def review(
        self, person_id: str, certificate_id: str, *, approve: bool, reason: str, reviewer_id: str
    ) -> Certificate:
        reason = reason.strip()
        if not approve and not reason:
            raise Invalid("reason_required", "a rejection gives the borrower a reason")
        if len(reason) > MAX_REASON_LENGTH:
            raise Invalid("reason_too_long", f"a reason has at most {MAX_REASON_LENGTH} characters")
        status = CertificateStatus.APPROVED if approve else CertificateStatus.REJECTED
        with self._uow() as uow:
            current = self._row(uow.conn, person_id, certificate_id)
            if current.status != CertificateStatus.PENDING.value:
                raise Conflict("certificate_already_reviewed", f"this certificate is already {current.status}")
            uow.conn.execute(
                update(identity_certificate)
                .where(identity_certificate.c.person_id == person_id)
                .where(identity_certificate.c.id == certificate_id)
                .values(status=status.value, reason=reason, reviewed_at=uow.clock.now(), reviewed_by=reviewer_id)
            )
            uow.publish(CertificateReviewed(person_id, certificate_id, status, reviewer_id, uow.clock.business_date()))
            row = self._row(uow.conn, person_id, certificate_id)
            uow.commit()
        return _certificate(row)

    def approved(self, person_id: str) -> list[CertificateFacts]:
        """What scoring may use: approved certificates only."""
        with self._uow(read_only=True) as uow:
            return approved(uow.conn, person_id)


def approved(conn: Connection, person_id: str) -> list[CertificateFacts]:
    """`Certificates.approved` inside the caller's transaction."""
    rows = conn.execute(
        select(identity_certificate)
        .where(identity_certificate.c.person_id == person_id)
        .where(identity_certificate.c.status == CertificateStatus.APPROVED.value)
        .order_by(identity_certificate.c.reviewed_at, identity_certificate.c.id)
    ).all()
    return [
        CertificateFacts(r.id, CertificateKind(r.kind), Money(r.amount_minor, r.currency), r.reviewed_at) for r in rows
    ]
