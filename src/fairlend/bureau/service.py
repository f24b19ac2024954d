"""The bureau's use cases: institutions, intake, reports, inquiries, disputes, retention.

Each use case is one transaction. Rules read the profile's `bureau` section;
rule ids (CN-11 ... CR-8) are named where they are enforced.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import date
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError

from fairlend.bureau import disputes, files, inquiries, retention, sealed
from fairlend.bureau.consent import (
    COUNTER,
    ConsentAttestation,
    InquiryKind,
    InquiryPurpose,
    consent_problem,
    needs_consent,
)
from fairlend.bureau.documents import (
    Ack,
    CreditReport,
    DisputeMark,
    Institution,
    InstitutionCredentials,
    OutcomeNotice,
    RetentionRemoval,
)
from fairlend.bureau.intake import Intake, RefusedFile
from fairlend.bureau.model import index_of_yyyymm, month_label
from fairlend.bureau.records import RecordError, parse_month
from fairlend.bureau.reports import build_report, dispute_mark
from fairlend.bureau.sealing import BureauSealer
from fairlend.bureau.tables import (
    bureau_account,
    bureau_dispute,
    bureau_institution,
)
from fairlend.clock import Clock
from fairlend.db.uow import UnitOfWorkFactory
from fairlend.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile

DISPUTE_OUTCOMES = disputes.DISPUTE_OUTCOMES


def hash_api_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def derive_blind_key(secret: str) -> bytes:
    """The bureau's own blind-index key: a separate institution must not share the platform's."""
    return hmac.new(secret.encode(), b"fairlend.bureau.blind-index.v1", hashlib.sha256).digest()


class BureauService:
    def __init__(
        self, uow: UnitOfWorkFactory, profile: Profile, clock: Clock, blind_key: bytes, sealer: BureauSealer
    ) -> None:
        self._uow = uow
        self._profile = profile
        self._bureau = profile.bureau
        self._clock = clock
        self._key = blind_key
        self._sealer = sealer
        self._intake = Intake(profile.bureau, blind_key, sealer)

    @property
    def profile(self) -> Profile:
        return self._profile

    # -- institutions ---------------------------------------------------------------

    def register_institution(self, name: str, *, institution_id: str | None = None) -> InstitutionCredentials:
        name = name.strip()
        if not name:
            raise Invalid("institution_name_required", "an institution needs a name")
        api_key = "bk_" + secrets.token_urlsafe(32)
        institution_id = institution_id or new_id("inst")
        with self._uow() as uow:
            exists = uow.conn.execute(
                select(bureau_institution.c.id).where(bureau_institution.c.id == institution_id)
            ).first()
            if exists:
                raise Conflict("institution_exists", f"institution {institution_id} is registered")
            uow.conn.execute(
                insert(bureau_institution).values(
                    id=institution_id, name=name, key_hash=hash_api_key(api_key), created_at=self._clock.now()
                )
            )
            uow.commit()
        return InstitutionCredentials(institution_id, name, api_key)

    def ensure_institution(self, institution_id: str, name: str) -> Institution:
        """Register an in-process institution (fairlend itself) if missing; its key is never shown."""
        if not institution_id.strip():
            # "" is the bureau's own counter, which answers self-queries without an attestation.
            raise Invalid("institution_id_required", "an institution needs an id")
        with self._uow() as uow:
            row = uow.conn.execute(select(bureau_institution).where(bureau_institution.c.id == institution_id)).first()
            if row is None:
                uow.conn.execute(
                    insert(bureau_institution).values(
                        id=institution_id,
                        name=name,
                        key_hash=hash_api_key(secrets.token_urlsafe(32)),
                        created_at=self._clock.now(),
                    )
                )
                uow.commit()
                return Institution(institution_id, name)
            return Institution(row.id, row.name)

    def authenticate(self, api_key: str) -> Institution:
        with self._uow(read_only=True) as uow:
            row = uow.conn.execute(
                select(bureau_institution.c.id, bureau_institution.c.name).where(
                    bureau_institution.c.key_hash == hash_api_key(api_key)
                )
            ).first()
        if row is None:
            raise Unauthorized("invalid_api_key", "the API key is not one the bureau issued")
        return Institution(row.id, row.name)

    # -- intake ------------------------------------------------------------------------

    def submit(self, institution_id: str, content: bytes) -> Ack:
        """Apply a JSON Lines reporting file; the same file twice changes nothing."""
        today = self._clock.business_date()
        try:
            try:
                with self._uow() as uow:
                    result = self._intake.apply(uow.conn, institution_id, content, now=self._clock.now(), today=today)
                    for dispute_id, account_id in result.resolved_disputes:
                        self._resolve(uow.conn, institution_id, dispute_id, "corrected", "", today, account_id)
                    uow.commit()
                    return result.ack
            except RefusedFile as refused:
                # A Metro 2 file whose header, trailer or totals refuse it: what its chunks applied is rolled
                # back with the transaction; the file and its one refusal are kept in a new one.
                with self._uow() as uow:
                    ack = self._intake.store_refusal(uow.conn, institution_id, content, refused, self._clock.now())
                    uow.commit()
                    return ack
        except IntegrityError:
            # The same file raced in from another request: answer with its acknowledgement.
            with self._uow(read_only=True) as uow:
                stored = self._intake.stored_ack(uow.conn, institution_id, hashlib.sha256(content).hexdigest())
            if stored is None:
                raise
            return stored

    def submit_records(self, institution_id: str, records: list[dict[str, Any]]) -> Ack:
        """The same records as a file, through the API."""
        lines = "\n".join(json.dumps(r, ensure_ascii=False, sort_keys=True) for r in records)
        return self.submit(institution_id, lines.encode())

    # -- reports and inquiries -----------------------------------------------------------

    def _file(self, conn: Connection, id_number: str) -> Any:
        return files.find(conn, self._key, id_number)

    def report(self, id_number: str) -> CreditReport:
        """The report as it stands, without recording an inquiry (the bureau's own view)."""
        with self._uow(read_only=True) as uow:
            file_row = self._file(uow.conn, id_number)
            if file_row is None:
                raise NotFound("no_credit_file", "the bureau holds no credit file for this ID number")
            return build_report(
                uow.conn, self._bureau, self._profile.code, file_row, self._clock.business_date(), self._sealer
            )

    def _refuse(self, code: str, detail: str) -> Forbidden:
        rule = self._bureau.inquiry_consent_rule
        return Forbidden(code, f"{detail} ({rule})", rule=rule)

    def inquire(
        self,
        institution_id: str,
        id_number: str,
        purpose: InquiryPurpose,
        *,
        name: str = "",
        consent: ConsentAttestation | None = None,
    ) -> CreditReport:
        """An institution's inquiry: it carries the person's live consent (CN-14), self-queries count (CN-13).

        Hard inquiries and self-queries an institution makes on the person's
        behalf need the consent; post-loan management needs an account with
        the person instead; the bureau's own counter needs neither.
        """
        today = self._clock.business_date()
        now = self._clock.now()
        kind = purpose.kind
        if needs_consent(self._bureau, purpose, institution_id):
            problem = consent_problem(
                consent, institution_id=institution_id, id_number=id_number, purpose=purpose, now=now
            )
            if problem is not None:
                raise self._refuse(*problem)
        else:
            consent = None  # nothing checked it, so the row must not look as if something had
        with self._uow() as uow:
            file_row = files.find_or_create(uow.conn, self._key, id_number, name, now)
            if kind is InquiryKind.POST_LOAN and not inquiries.has_open_account(uow.conn, file_row.id, institution_id):
                raise self._refuse(
                    "no_account_relationship",
                    "post-loan management queries are for the institution's own borrowers with a loan not yet settled",
                )
            inquiries.record(uow.conn, self._bureau, file_row.id, institution_id, purpose, consent, today, now)
            report = build_report(uow.conn, self._bureau, self._profile.code, file_row, today, self._sealer)
            uow.commit()
            return report

    def self_query(
        self,
        id_number: str,
        *,
        institution_id: str = COUNTER,
        name: str = "",
        consent: ConsentAttestation | None = None,
    ) -> CreditReport:
        """A person's own report: at the counter (COUNTER) as is, through an institution with their consent."""
        return self.inquire(institution_id, id_number, InquiryPurpose.SELF, name=name, consent=consent)

    # -- disputes --------------------------------------------------------------------------

    def file_dispute(
        self,
        id_number: str,
        institution_id: str,
        account_ref: str,
        reason: str,
        *,
        month: str = "",
        added_information: bool = False,
    ) -> DisputeMark:
        """A person disputes a record: marked at once, the institution must answer by the deadline (CN-15, CR-7)."""
        if not reason.strip():
            raise Invalid("dispute_reason_required", "say what is wrong with the record")
        try:
            month_value = parse_month(month) if month else None
        except RecordError as exc:
            raise Invalid(exc.code, exc.reason) from None
        today = self._clock.business_date()
        with self._uow() as uow:
            file_row = self._file(uow.conn, id_number)
            account = (
                uow.conn.execute(
                    select(bureau_account).where(
                        bureau_account.c.institution_id == institution_id,
                        bureau_account.c.account_ref == account_ref,
                    )
                ).first()
                if file_row is not None
                else None
            )
            if file_row is None or account is None or account.file_id != file_row.id:
                raise NotFound("no_such_record", "no such account on this person's credit file")
            mark = disputes.open_dispute(
                uow.conn,
                self._sealer,
                self._bureau,
                file_id=file_row.id,
                account=account,
                reason=reason.strip(),
                month=month_value,
                added_information=added_information,
                today=today,
            )
            uow.commit()
            return mark

    def disputes_for(self, institution_id: str, *, status: str = "open") -> list[DisputeMark]:
        """The institution-facing list: disputes about its records."""
        with self._uow(read_only=True) as uow:
            query = select(bureau_dispute).where(bureau_dispute.c.institution_id == institution_id)
            if status:
                query = query.where(bureau_dispute.c.status == status)
            rows = uow.conn.execute(query.order_by(bureau_dispute.c.opened_on, bureau_dispute.c.id)).mappings()
            return [dispute_mark(r, self._sealer) for r in rows]

    def has_open_dispute(self, institution_id: str, account_ref: str) -> bool:
        with self._uow(read_only=True) as uow:
            found = uow.conn.execute(
                select(bureau_dispute.c.id).where(
                    bureau_dispute.c.institution_id == institution_id,
                    bureau_dispute.c.account_ref == account_ref,
                    bureau_dispute.c.status == "open",
                )
            ).first()
        return found is not None

    def answer_dispute(
        self,
        institution_id: str,
        dispute_id: str,
        outcome: str,
        *,
        correction: dict[str, Any] | None = None,
        note: str = "",
    ) -> DisputeMark:
        """verified: the record stands; corrected: the correction replaces it; deleted: it is removed."""
        if outcome not in DISPUTE_OUTCOMES:
            raise Invalid("invalid_outcome", f"outcome must be one of {', '.join(DISPUTE_OUTCOMES)}")
        today = self._clock.business_date()
        with self._uow() as uow:
            row = uow.conn.execute(select(bureau_dispute).where(bureau_dispute.c.id == dispute_id)).mappings().first()
            if row is None or row["institution_id"] != institution_id:
                raise NotFound("no_such_dispute", "no such dispute about this institution's records")
            if row["status"] != "open":
                raise Conflict("dispute_closed", f"the dispute was already {row['status']}")
            if outcome == "corrected":
                if correction is None:
                    raise Invalid("correction_required", "a corrected outcome carries the corrected record")
                record = {
                    "record_id": f"dispute:{dispute_id}",
                    "type": "correction",
                    "account_ref": row["account_ref"],
                    "date": today.isoformat(),
                    "month": month_label(index_of_yyyymm(row["month"])) if row["month"] else None,
                    **correction,
                    "dispute_id": dispute_id,
                }
                content = json.dumps(record, sort_keys=True).encode()
                result = self._intake.apply(uow.conn, institution_id, content, now=self._clock.now(), today=today)
                if result.ack.rejected:
                    bad = result.ack.rejected[0]
                    raise Invalid(bad.code, f"the correction was refused: {bad.reason}")
            self._resolve(uow.conn, institution_id, dispute_id, outcome, note, today, row["account_id"])
            answered = disputes.stored_mark(uow.conn, self._sealer, dispute_id)
            uow.commit()
            return answered

    def _resolve(
        self, conn: Connection, institution_id: str, dispute_id: str, outcome: str, note: str, today: date, account: str
    ) -> None:
        disputes.resolve(conn, self._sealer, institution_id, dispute_id, outcome, note, today, account_id=account)

    def outcome_notices(self, id_number: str, *, institution_id: str | None = None) -> list[OutcomeNotice]:
        """The person's notices; with `institution_id`, only those about that institution's records."""
        with self._uow(read_only=True) as uow:
            file_row = self._file(uow.conn, id_number)
            if file_row is None:
                return []
            return disputes.notices(uow.conn, self._sealer, file_row.id, institution_id)

    def expire_disputes(self, on: date) -> list[str]:
        """Disputes unanswered past their deadline suppress the record they name (CN-15, CR-7)."""
        with self._uow() as uow:
            lapsed = list(
                uow.conn.execute(
                    select(bureau_dispute).where(bureau_dispute.c.status == "open", bureau_dispute.c.deadline < on)
                ).mappings()
            )
            for row in lapsed:
                disputes.suppress(uow.conn, row)
                self._resolve(uow.conn, row["institution_id"], row["id"], "suppressed", "", on, row["account_id"])
            uow.commit()
        return [r["id"] for r in lapsed]

    # -- retention ---------------------------------------------------------------------------

    def run_retention(self, on: date) -> list[RetentionRemoval]:
        """Remove negative records whose retention ended on or before `on` (CN-12, CR-6), and log them."""
        return retention.run_retention(self._uow, self._bureau, on)

    def verify(self) -> list[tuple[str, str]]:
        found = retention.verify(self._uow, self._bureau, self._clock.business_date())
        return found + sealed.verify(self._uow, self._sealer)

    def merge_duplicate_files(self) -> int:
        """Re-key the files stored under an ID number with separators and merge each person's into one."""
        return files.merge_duplicates(self._uow, self._sealer, self._key)

    def rotate_keys(self) -> int:
        """Re-seal, under the bureau's current key, every stored value under an older one (or in clear)."""
        return sealed.rotate(self._uow, self._sealer)

    def run_daily(self, on: date | None = None) -> tuple[list[RetentionRemoval], list[str]]:
        """The bureau's daily job: retention, then lapsed disputes."""
        day = on or self._clock.business_date()
        return self.run_retention(day), self.expire_disputes(day)
