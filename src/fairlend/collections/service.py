"""Collections use cases: cease requests, the borrower's view, the compliance
view, settlement halting collections, automated dispatch, the evidence
package, and verifying the log.

Contact persons live in contact_persons.py (mixed in), complaints in
complaints.py, planning in planner.py, the PDF in evidence.py; the gateway
(gateway.py) makes every contact.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from datetime import date
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from fairlend.collections import log
from fairlend.collections.addresses import NumberKeys, parse_hhmm
from fairlend.collections.at_rest import AtRest
from fairlend.collections.automated import AutomatedDispatch, Task
from fairlend.collections.chain import first_break
from fairlend.collections.contact_persons import ContactPersons
from fairlend.collections.events import CeaseRequested, TasksCancelled
from fairlend.collections.gateway import ContactGateway, ContactRequest
from fairlend.collections.model import (
    LoanFacts,
    Medium,
    Outcome,
    RecipientKind,
    TaskStatus,
    mask_phone,
)
from fairlend.collections.ports import LendingPort, OtpPort, Sealer
from fairlend.collections.tables import (
    cease_request,
    collection_task,
    contact_log,
    settled_loan,
    window_consent,
)
from fairlend.collections.views import (
    CeaseView,
    ContactView,
    TaskView,
    contact_views,
    task_view,
)
from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Invalid, NotFound
from fairlend.events import DomainEvent, to_payload
from fairlend.ids import new_id
from fairlend.jurisdiction.model import CeaseScope, Profile
from fairlend.ledger.service import Discrepancy

if TYPE_CHECKING:
    from fairlend.collections.evidence import EvidencePackage

SYSTEM_COLLECTOR = "system"
AUTOMATED_MEDIA = (Medium.SMS, Medium.EMAIL, Medium.LETTER)
# Messages that tell the debtor the overdue will be reported to the credit bureau (CN-11).
NEGATIVE_NOTICE_TEMPLATES = ("gentle_reminder", "formal_letter")
ACTION_TEMPLATES = {
    "reminder": "reminder",
    "gentle_reminder": "gentle_reminder",
    "escalate": "formal_letter",
    "plan_reminder": "plan_reminder",  # P-10: a kept hardship plan's payment (planner.py)
}


def _upsert(dialect: str) -> Any:
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


class CollectionsService(ContactPersons, AtRest):
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        profile: Profile,
        gateway: ContactGateway,
        lending: LendingPort,
        otp: OtpPort,
        number_key: NumberKeys,
        sealer: Sealer,
    ) -> None:
        self._uow = uow
        self._profile = profile
        self.gateway = gateway
        self._lending = lending
        self._otp = otp
        self._number_key = number_key
        self._sealer = sealer

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
            records = log.records_for(uow.conn, self._sealer, borrower_id, [loan_id] if loan_id else None)
        return contact_views(records)

    def notice_sent_on(self, loan_id: str) -> date | None:
        """When the debtor was first told of the overdue and that it will be reported (CN-11).

        The gentle overdue reminder says so; the credit reporter asks this
        before sending a loan's first negative record to the bureau.
        """
        return self.notices_sent_on([loan_id]).get(loan_id)

    def notices_sent_on(self, loan_ids: Collection[str]) -> dict[str, date]:
        """`notice_sent_on` for many loans in one query per thousand (end-of-day asks for a day's worth)."""
        wanted = sorted(set(loan_ids))
        zone = ZoneInfo(self._profile.timezone)
        found: dict[str, date] = {}
        with self._uow(read_only=True) as uow:
            for start in range(0, len(wanted), 1_000):
                rows = uow.conn.execute(
                    select(contact_log.c.loan_id, func.min(contact_log.c.at))
                    .where(
                        contact_log.c.loan_id.in_(wanted[start : start + 1_000]),
                        contact_log.c.template.in_(NEGATIVE_NOTICE_TEMPLATES),
                        contact_log.c.recipient_kind == RecipientKind.DEBTOR.value,
                        contact_log.c.outcome == Outcome.SENT.value,
                    )
                    .group_by(contact_log.c.loan_id)
                )
                for loan_id, first in rows:
                    if first is not None:
                        found[str(loan_id)] = first.astimezone(zone).date()
        return found

    # -- settlement halts collections in the settling transaction (P-2) --------

    def on_loan_settled(self, uow: UnitOfWork, event: DomainEvent) -> None:
        payload = to_payload(event)
        loan_id, borrower_id = str(payload["loan_id"]), str(payload["borrower_id"])
        settled_on = date.fromisoformat(str(payload.get("settled_on") or uow.clock.business_date().isoformat()))
        conn = uow.conn
        # The borrower's chain lock orders settlement against attempts: one in flight finishes
        # first (it was made before repayment); every later one waits and then sees the loan settled.
        log.lock_head(conn, borrower_id)
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

    def finish_dispatches(self) -> dict[str, int]:
        """Finish, cancel or expire what a crash left between a decision and its outcome (dispatch.py)."""
        return self.gateway.resolver.finish_stranded()

    def dispatch_automated(self, business_date: date, *, limit: int = 100_000) -> dict[str, int]:
        """Send the day's automated tasks (texts, e-mails, letters) through the gateway; calls and
        visits wait for a collector, reviews and decisions for a person. Returns counts by outcome,
        after first finishing any dispatch a crash left unresolved."""
        counts: Counter[str] = Counter()
        for outcome, n in self.finish_dispatches().items():
            counts[f"stranded_{outcome}"] += n
        with self._uow(read_only=True) as uow:
            rows = uow.conn.execute(
                select(
                    collection_task.c.borrower_id,
                    collection_task.c.id,
                    collection_task.c.loan_id,
                    collection_task.c.medium,
                    collection_task.c.action,
                )
                .where(
                    collection_task.c.business_date == business_date,
                    collection_task.c.status == TaskStatus.PENDING.value,
                    collection_task.c.medium.in_([m.value for m in AUTOMATED_MEDIA]),
                )
                .order_by(collection_task.c.priority.desc(), collection_task.c.id)
                .limit(limit)
            ).all()
        # Decided set-based, a batch of borrowers at a time, with the gateway's policy (automated.py).
        tasks = [
            Task(
                borrower_id,
                ContactRequest(
                    loan_id,
                    Medium(medium),
                    template=ACTION_TEMPLATES.get(action, "reminder"),
                    collector_id=SYSTEM_COLLECTOR,
                    task_id=task_id,
                ),
            )
            for borrower_id, task_id, loan_id, medium, action in rows
        ]
        counts.update(AutomatedDispatch(self._uow, self._profile, self.gateway, self._sealer).send(tasks))
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
            chain = log.chain_of(uow.conn, self._sealer, borrower_id)
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
            breaks = log.verify_all(uow.conn, self._sealer)
        return [
            Discrepancy(
                "contact_log", f"{b.borrower_id} record #{b.seq}{f' ({b.record_id})' if b.record_id else ''}", b.reason
            )
            for b in breaks
        ] + self.verify_sealed()

    def verify_borrower(self, borrower_id: str) -> str | None:
        """None when this borrower's chain holds, else what is wrong with its first broken record."""
        with self._uow(read_only=True) as uow:
            records = log.chain_of(uow.conn, self._sealer, borrower_id)
        broken = first_break(records)
        return None if broken is None else f"record #{broken.seq}: {broken.reason}"
