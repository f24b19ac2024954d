"""Collections use cases: contact persons, cease requests, the borrower's view,
the compliance view, settlement halting collections, and verifying the log.

Complaints live in complaints.py, planning in planner.py, the evidence
package in evidence.py; the gateway (gateway.py) makes every contact.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from fairlend.collections import log
from fairlend.collections.chain import first_break
from fairlend.collections.events import CeaseRequested, ContactPersonConfirmed, ContactPersonNamed, TasksCancelled
from fairlend.collections.gateway import (
    ContactGateway,
    ContactRequest,
    NumberKeys,
    normalise_phone,
    parse_hhmm,
    valid_zone,
)
from fairlend.collections.model import (
    ContactPersonStatus,
    LoanFacts,
    Medium,
    TaskStatus,
    mask_phone,
)
from fairlend.collections.ports import LendingPort, OtpPort
from fairlend.collections.tables import (
    cease_request,
    collection_task,
    contact_person,
    settled_loan,
    window_consent,
)
from fairlend.collections.views import (
    CeaseView,
    ContactPersonView,
    ContactView,
    TaskView,
    contact_view,
    person_view,
    task_view,
)
from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Conflict, Forbidden, Invalid, NotFound
from fairlend.events import DomainEvent, to_payload
from fairlend.ids import new_id
from fairlend.jurisdiction.model import CeaseScope, Profile
from fairlend.ledger.service import Discrepancy

if TYPE_CHECKING:
    from fairlend.collections.evidence import EvidencePackage

# identity's OtpPurpose.CONFIRM_CONTACT: the code text tells the person what they agree to.
CONTACT_PERSON_PURPOSE = "confirm_contact"
SYSTEM_COLLECTOR = "system"
MAX_CONTACT_PERSONS = 5
AUTOMATED_MEDIA = (Medium.SMS, Medium.EMAIL, Medium.LETTER)
ACTION_TEMPLATES = {"reminder": "reminder", "gentle_reminder": "gentle_reminder", "escalate": "formal_letter"}


def _upsert(dialect: str) -> Any:
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


class CollectionsService:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        profile: Profile,
        gateway: ContactGateway,
        lending: LendingPort,
        otp: OtpPort,
        number_key: NumberKeys,
    ) -> None:
        self._uow = uow
        self._profile = profile
        self.gateway = gateway
        self._lending = lending
        self._otp = otp
        self._number_key = number_key

    # -- loans -----------------------------------------------------------------

    def owned_loan(self, borrower_id: str, loan_id: str) -> LoanFacts:
        facts = self._lending.loan_facts(loan_id)
        if facts is None or facts.borrower_id != borrower_id:
            # The same answer whether the loan is someone else's or absent: no probing.
            raise NotFound("loan_not_found", f"borrower {borrower_id} has no loan {loan_id}")
        return facts

    def loan_owner(self, loan_id: str) -> str:
        facts = self._lending.loan_facts(loan_id)
        if facts is None:
            raise NotFound("loan_not_found", f"no loan {loan_id}")
        return facts.borrower_id

    # -- contact persons (one at a time, each confirmed by themselves; P-1) ----

    def _phone(self, raw: str) -> str:
        return normalise_phone(raw, self._profile.phone_region)

    def name_contact_person(
        self, borrower_id: str, name: str, relation: str, phone: str, purpose: str = "", timezone: str | None = None
    ) -> ContactPersonView:
        """Name one contact person; they exist for collections only once they confirm with their own code."""
        name, relation = name.strip(), relation.strip()
        if not name or not relation:
            raise Invalid("contact_person_incomplete", "a contact person needs a name and a relation")
        e164 = self._phone(phone)
        tz = valid_zone(timezone or self._profile.timezone)
        contact_id = new_id("cp")
        with self._uow(read_only=True) as uow:
            own = uow.conn.execute(
                select(func.count()).where(
                    contact_person.c.borrower_id == borrower_id,
                    contact_person.c.status != ContactPersonStatus.REVOKED.value,
                )
            ).scalar()
        if int(own or 0) >= MAX_CONTACT_PERSONS:
            raise Conflict(
                "too_many_contact_persons", f"at most {MAX_CONTACT_PERSONS} contact persons; revoke one first"
            )
        # The code goes to the contact person's own phone: only they can confirm. It is sent
        # first, through identity's own transaction (its rate limits and audit), so a refused
        # send leaves no half-named contact person behind.
        self._otp.send_code(e164, CONTACT_PERSON_PURPOSE)
        with self._uow() as uow:
            uow.conn.execute(
                insert(contact_person).values(
                    borrower_id=borrower_id,
                    id=contact_id,
                    name=name[:80],
                    relation=relation[:40],
                    purpose=(purpose or "restore contact when the borrower cannot be reached")[:200],
                    phone_e164=e164,
                    phone_masked=mask_phone(e164),
                    number_key=self._number_key(e164),
                    timezone=tz,
                    status=ContactPersonStatus.PENDING.value,
                    created_at=uow.clock.now(),
                    confirmed_at=None,
                )
            )
            uow.publish(ContactPersonNamed(contact_id, borrower_id, uow.clock.business_date()))
            uow.commit()
        return self.contact_person(contact_id)

    def resend_contact_code(self, borrower_id: str, contact_id: str) -> ContactPersonView:
        """Send a pending contact person a new code (identity's limits apply)."""
        with self._uow(read_only=True) as uow:
            row = uow.conn.execute(
                select(contact_person.c.phone_e164, contact_person.c.status).where(
                    contact_person.c.borrower_id == borrower_id, contact_person.c.id == contact_id
                )
            ).first()
        if row is None:
            raise NotFound("contact_person_not_found", f"no contact person {contact_id}")
        if row.status != ContactPersonStatus.PENDING.value:
            raise Conflict("contact_person_not_pending", f"the contact person is {row.status}")
        self._otp.send_code(row.phone_e164, CONTACT_PERSON_PURPOSE)
        return self.contact_person(contact_id)

    def confirm_contact_person(self, contact_id: str, code: str) -> ContactPersonView:
        with self._uow(read_only=True) as uow:
            row = uow.conn.execute(
                select(contact_person.c.borrower_id, contact_person.c.phone_e164, contact_person.c.status).where(
                    contact_person.c.id == contact_id
                )
            ).first()
        if row is None:
            raise NotFound("contact_person_not_found", f"no contact person {contact_id}")
        if row.status != ContactPersonStatus.PENDING.value:
            raise Conflict("contact_person_not_pending", f"the contact person is {row.status}")
        # Checked in identity's transaction (it counts wrong tries), before ours opens.
        if not self._otp.verify_code(row.phone_e164, code, CONTACT_PERSON_PURPOSE):
            raise Forbidden("bad_code", "the code is wrong or has expired")
        with self._uow() as uow:
            changed = uow.conn.execute(
                update(contact_person)
                .where(
                    contact_person.c.borrower_id == row.borrower_id,
                    contact_person.c.id == contact_id,
                    contact_person.c.status == ContactPersonStatus.PENDING.value,
                )
                .values(status=ContactPersonStatus.CONFIRMED.value, confirmed_at=uow.clock.now())
            ).rowcount
            if not changed:
                raise Conflict("contact_person_not_pending", "the contact person changed meanwhile")
            uow.publish(ContactPersonConfirmed(contact_id, row.borrower_id, uow.clock.business_date()))
            uow.commit()
        return self.contact_person(contact_id)

    def revoke_contact_person(self, borrower_id: str, contact_id: str) -> ContactPersonView:
        with self._uow() as uow:
            changed = uow.conn.execute(
                update(contact_person)
                .where(contact_person.c.borrower_id == borrower_id, contact_person.c.id == contact_id)
                .values(status=ContactPersonStatus.REVOKED.value)
            ).rowcount
            if not changed:
                raise NotFound("contact_person_not_found", f"no contact person {contact_id}")
            uow.commit()
        return self.contact_person(contact_id)

    def contact_person(self, contact_id: str) -> ContactPersonView:
        with self._uow(read_only=True) as uow:
            row = uow.conn.execute(select(contact_person).where(contact_person.c.id == contact_id)).first()
        if row is None:
            raise NotFound("contact_person_not_found", f"no contact person {contact_id}")
        return person_view(row)

    def contact_persons(self, borrower_id: str) -> list[ContactPersonView]:
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(contact_person).where(contact_person.c.borrower_id == borrower_id).order_by(contact_person.c.id)
            ).all()
        return [person_view(r) for r in rows]

    # -- cease requests and consent (effective at once) ------------------------

    def request_cease(
        self,
        borrower_id: str,
        scope: CeaseScope,
        *,
        medium: Medium | None = None,
        number: str | None = None,
        loan_id: str | None = None,
    ) -> CeaseView:
        if scope not in self._profile.collections.cease_scopes:
            raise Invalid("cease_scope_unsupported", f"this jurisdiction does not take {scope.value} requests")
        if scope is CeaseScope.MEDIUM and medium is None:
            raise Invalid("cease_medium_required", "name the medium to stop")
        e164 = self._phone(number) if scope is CeaseScope.NUMBER and number else None
        if scope is CeaseScope.NUMBER and e164 is None:
            raise Invalid("cease_number_required", "name the number to stop")
        if loan_id is not None:
            self.owned_loan(borrower_id, loan_id)
        cease_id = new_id("cease")
        with self._uow() as uow:
            now = uow.clock.now()
            uow.conn.execute(
                insert(cease_request).values(
                    borrower_id=borrower_id,
                    id=cease_id,
                    loan_id=loan_id,
                    scope=scope.value,
                    medium=medium.value if scope is CeaseScope.MEDIUM and medium else None,
                    number_key=self._number_key(e164) if e164 else None,
                    number_masked=mask_phone(e164) if e164 else None,
                    created_at=now,
                )
            )
            uow.publish(CeaseRequested(cease_id, borrower_id, scope.value, loan_id, uow.clock.business_date()))
            uow.commit()
        return CeaseView(
            cease_id,
            borrower_id,
            scope.value,
            loan_id,
            medium.value if scope is CeaseScope.MEDIUM and medium else None,
            mask_phone(e164) if e164 else None,
            now,
        )

    def cease_requests(self, borrower_id: str) -> list[CeaseView]:
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(cease_request).where(cease_request.c.borrower_id == borrower_id).order_by(cease_request.c.id)
            ).all()
        return [
            CeaseView(r.id, r.borrower_id, r.scope, r.loan_id, r.medium, r.number_masked, r.created_at) for r in rows
        ]

    def consent_to_window(self, borrower_id: str, start: str, end: str) -> None:
        if not self._profile.collections.consent_may_widen_window:
            raise Invalid("consent_not_allowed", "this jurisdiction does not let consent widen the contact window")
        begins, ends = parse_hhmm(start), parse_hhmm(end)
        if begins >= ends:
            raise Invalid("bad_window", "the window must start before it ends")
        with self._uow() as uow:
            values = {"borrower_id": borrower_id, "start": f"{begins:%H:%M}", "end": f"{ends:%H:%M}"}
            stmt = _upsert(uow.dialect)(window_consent).values(**values, given_at=uow.clock.now())
            uow.conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=[window_consent.c.borrower_id],
                    set_={"start": stmt.excluded.start, "end": stmt.excluded.end, "given_at": stmt.excluded.given_at},
                )
            )
            uow.commit()

    # -- what the borrower sees (P-4) ------------------------------------------

    def contacts_about(self, borrower_id: str, loan_id: str | None = None) -> list[ContactView]:
        with self._uow(read_only=True) as uow:
            records = log.records_for(uow.conn, borrower_id, [loan_id] if loan_id else None)
        return [contact_view(r) for r in records]

    # -- settlement halts collections in the settling transaction (P-2) --------

    def on_loan_settled(self, uow: UnitOfWork, event: DomainEvent) -> None:
        payload = to_payload(event)
        loan_id, borrower_id = str(payload["loan_id"]), str(payload["borrower_id"])
        settled_on = date.fromisoformat(str(payload.get("settled_on") or uow.clock.business_date().isoformat()))
        conn = uow.conn
        stmt = _upsert(uow.dialect)(settled_loan).values(
            borrower_id=borrower_id, loan_id=loan_id, settled_on=settled_on, recorded_at=uow.clock.now()
        )
        conn.execute(stmt.on_conflict_do_nothing(index_elements=[settled_loan.c.borrower_id, settled_loan.c.loan_id]))
        cancelled = conn.execute(
            update(collection_task)
            .where(
                collection_task.c.borrower_id == borrower_id,
                collection_task.c.loan_id == loan_id,
                collection_task.c.status == TaskStatus.PENDING.value,
            )
            .values(status=TaskStatus.CANCELLED.value, note="loan settled (P-2)")
        ).rowcount
        uow.publish(
            TasksCancelled(loan_id, borrower_id, int(cancelled or 0), "loan settled", uow.clock.business_date())
        )

    # -- collectors' queue ------------------------------------------------------

    def queue(self, business_date: date, *, limit: int = 50, offset: int = 0) -> list[TaskView]:
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(collection_task)
                .where(
                    collection_task.c.business_date == business_date,
                    collection_task.c.status == TaskStatus.PENDING.value,
                )
                .order_by(collection_task.c.priority.desc(), collection_task.c.id)
                .limit(limit)
                .offset(offset)
            ).all()
        return [task_view(r) for r in rows]

    def dispatch_automated(self, business_date: date, *, limit: int = 100_000) -> dict[str, int]:
        """Send the day's automated tasks (texts, e-mails, letters) through the gateway; calls and
        visits wait for a collector, reviews and decisions for a person. Returns counts by outcome."""
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(
                    collection_task.c.id, collection_task.c.loan_id, collection_task.c.medium, collection_task.c.action
                )
                .where(
                    collection_task.c.business_date == business_date,
                    collection_task.c.status == TaskStatus.PENDING.value,
                    collection_task.c.medium.in_([m.value for m in AUTOMATED_MEDIA]),
                )
                .order_by(collection_task.c.priority.desc(), collection_task.c.id)
                .limit(limit)
            ).all()
        counts: Counter[str] = Counter()
        for task_id, loan_id, medium, action in rows:
            decision = self.gateway.attempt(
                ContactRequest(
                    loan_id,
                    Medium(medium),
                    template=ACTION_TEMPLATES.get(action, "reminder"),
                    collector_id=SYSTEM_COLLECTOR,
                    task_id=task_id,
                )
            )
            counts[decision.outcome.value] += 1
        return dict(counts)

    def tasks_for_loan(self, loan_id: str) -> list[TaskView]:
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(collection_task).where(collection_task.c.loan_id == loan_id).order_by(collection_task.c.id)
            ).all()
        return [task_view(r) for r in rows]

    # -- compliance --------------------------------------------------------------

    def blocked_summary(self) -> tuple[dict[str, int], dict[str, int]]:
        """Blocked attempts per rule and per collector."""
        per_rule: Counter[str] = Counter()
        per_collector: Counter[str] = Counter()
        with self._uow(read_only=True) as uow:
            for rules, collector, count in log.blocked_counts(uow.conn):
                for rule in rules.split(","):
                    if rule:
                        per_rule[rule] += count
                per_collector[collector or "(system)"] += count
        return dict(sorted(per_rule.items())), dict(sorted(per_collector.items()))

    # -- the evidence package ----------------------------------------------------

    def evidence_package(self, borrower_id: str, loan_id: str, lang: str) -> EvidencePackage:
        from fairlend.collections.evidence import LANGS, EvidencePackage, letters

        if lang not in LANGS:
            raise Invalid("unsupported_language", f"the evidence package comes in {', '.join(LANGS)}")
        facts = self.owned_loan(borrower_id, loan_id)
        with self._uow(read_only=True) as uow:
            chain = log.chain_of(uow.conn, borrower_id)
            now = uow.clock.now()
            settled_at = uow.conn.execute(
                select(settled_loan.c.recorded_at).where(
                    settled_loan.c.borrower_id == borrower_id, settled_loan.c.loan_id == loan_id
                )
            ).scalar()
        broken = first_break(chain)
        records = tuple(r for r in chain if r.loan_id == loan_id)
        point = self.gateway.contact_point(borrower_id)
        tz = point.timezone if point else self._profile.timezone
        letter, report = letters(lang, borrower_id, facts, records, settled_at, tz)
        return EvidencePackage(
            lang=lang,
            generated_at=now,
            timezone=tz,
            borrower_id=borrower_id,
            loan=facts,
            records=records,
            chain_records=len(chain),
            settled_at=settled_at,
            chain_problem=None if broken is None else f"record #{broken.seq}: {broken.reason}",
            letter_to_lender=letter,
            report_to_authority=report,
        )

    def evidence_pdf(self, borrower_id: str, loan_id: str, lang: str) -> bytes:
        from fairlend.collections.evidence import render_pdf

        return render_pdf(self.evidence_package(borrower_id, loan_id, lang), self._profile.locale)

    # -- verify ------------------------------------------------------------------

    def verify(self) -> list[Discrepancy]:
        with self._uow(read_only=True) as uow:
            breaks = log.verify_all(uow.conn)
        return [
            Discrepancy(
                "contact_log", f"{b.borrower_id} record #{b.seq}{f' ({b.record_id})' if b.record_id else ''}", b.reason
            )
            for b in breaks
        ]

    def verify_borrower(self, borrower_id: str) -> str | None:
        """None when this borrower's chain holds, else what is wrong with its first broken record."""
        with self._uow(read_only=True) as uow:
            records = log.chain_of(uow.conn, borrower_id)
        broken = first_break(records)
        return None if broken is None else f"record #{broken.seq}: {broken.reason}"
