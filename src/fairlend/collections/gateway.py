"""The contact gateway: the only way fairlend reaches a person.

Every message to a person (SMS, call, e-mail, letter, visit, and the code
that asks a contact person to confirm) comes here. The gateway reads what is
true at this moment, runs the policy, and records the decision in the
borrower's hash-chained contact log *before* anything leaves: a blocked
attempt as BLOCKED, an allowed one as DISPATCHING together with its sealed
address and text in `contact_dispatch`. Only after that commits does it call
the channel, and then it records the outcome (dispatch.py). A crash anywhere
leaves either nothing (before the decision commits) or a recorded dispatch
that the dispatcher finishes or expires: never a message without a record
(P-4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from fairlend.collections import log
from fairlend.collections.addresses import NumberKeys, normalise_phone, valid_zone
from fairlend.collections.content import render
from fairlend.collections.dispatch import Dispatch, Resolver
from fairlend.collections.events import ContactAttempted
from fairlend.collections.model import (
    FREE_TEXT,
    PHONE_MEDIA,
    Attempt,
    ContactPersonFacts,
    ContactPersonStatus,
    ContactPoint,
    LoanFacts,
    LogRecord,
    Medium,
    Outcome,
    RecipientKind,
    Situation,
    TaskStatus,
    Violation,
    mask_phone,
)
from fairlend.collections.policy import evaluate
from fairlend.collections.ports import (
    CONTACT_PERSON_PHONE,
    DISPATCH,
    ChannelPort,
    ContactPointPort,
    DisputePort,
    LendingPort,
    Sealer,
)
from fairlend.collections.preview import AllowedNow, Preview, window_edges
from fairlend.collections.situation import read_situation
from fairlend.collections.tables import collection_task, contact_dispatch, contact_person
from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Invalid, NotFound
from fairlend.faults import crash_point
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile, TemplatePurpose

FRIEND_ZH = "指定您为紧急联系人的人"
FRIEND_EN = "the person who named you as their contact"
DEFAULT_TEMPLATE = "collection"
MAX_FREE_TEXT = 2_000


@dataclass(frozen=True, slots=True)
class ContactRequest:
    loan_id: str  # "" only for a message about no loan: a contact person's consent request
    medium: Medium
    recipient_kind: RecipientKind = RecipientKind.DEBTOR
    contact_person_id: str | None = None
    # One number a collector typed for a third party; never a list (P-1).
    third_party_number: str | None = None
    third_party_timezone: str | None = None
    template: str | None = None  # a profile template id; with neither template nor text: "collection"
    text: str | None = None  # a collector's own words: only ever to the debtor (P-9), checked for content
    collector_id: str = ""
    task_id: str = ""
    borrower_id: str = ""  # whose log it goes in, when no loan says so
    # Values the person must receive but the log must not keep (a one-time code): shown masked there.
    secrets: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ContactDecision:
    log_id: str  # the attempt's row
    seq: int
    outcome: Outcome  # BLOCKED, or what became of the allowed attempt (SENT, FAILED)
    violations: tuple[Violation, ...]

    @property
    def allowed(self) -> bool:
        return self.outcome is not Outcome.BLOCKED

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v.rule for v in self.violations))


@dataclass(frozen=True, slots=True)
class _Recipient:
    id: str
    masked: str
    timezone: str
    address: str
    contact: ContactPersonFacts | None


@dataclass(frozen=True, slots=True)
class Judged:
    recipient: _Recipient
    attempt: Attempt
    situation: Situation
    to_send: str
    to_log: str
    violations: tuple[Violation, ...]


class ContactGateway:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        profile: Profile,
        lending: LendingPort,
        contact_points: ContactPointPort,
        disputes: DisputePort,
        channels: Mapping[Medium, ChannelPort],
        number_key: NumberKeys,
        sealer: Sealer,
    ) -> None:
        self._uow = uow
        self._profile = profile
        self._lending = lending
        self._contact_points = contact_points
        self._disputes = disputes
        self.number_key = number_key
        self._sealer = sealer
        self.resolver = Resolver(uow, profile, channels, sealer)
        self._media = tuple(m for m in Medium if m in channels)  # what the preview offers: what can go out

    def attempt(self, request: ContactRequest) -> ContactDecision:
        """Decide and record (one transaction), then send, then record the outcome (another).

        The other contexts' ports are asked first, outside any transaction:
        they keep their own (identity audit-logs every contact point it hands
        out), and on SQLite a second writer inside ours would wait on our lock.
        What the policy must see race-free (settlement, complaints, cease
        requests, the log) is read inside it, under the borrower's chain lock.
        The channel is called only once the decision is committed, so a
        message never leaves without its record; it is never called inside a
        transaction, so a slow provider holds no lock.
        """
        facts, borrower_id = self._loan(request)
        template, free_text = self._what(request)
        point = self._contact_points.contact_point(borrower_id)
        dispute = facts is not None and self._disputes.has_open_dispute(borrower_id, facts.loan_id)
        with self._uow() as uow:
            decision, dispatch = self._decide(uow, request, facts, borrower_id, template, free_text, point, dispute)
            crash_point("gateway.before_record")
            uow.commit()
        crash_point("gateway.after_record")
        if dispatch is None:
            return decision
        outcome = self.resolver.send_and_resolve(dispatch)
        return ContactDecision(decision.log_id, decision.seq, outcome, ())

    def preview(self, loan_id: str) -> Preview:
        """What an attempt about this loan would be told now, for every medium and confirmed number.

        Each option is judged by `_judge`, exactly as `attempt` judges (same reads, same
        policy, same moment's clock), and nothing is recorded.
        """
        facts, borrower_id = self._loan(ContactRequest(loan_id, Medium.CALL))
        point = self._contact_points.contact_point(borrower_id)
        dispute = facts is not None and self._disputes.has_open_dispute(borrower_id, loan_id)
        content = self._profile.collections.content
        third_party = next((t.id for t in content.templates if t.purpose is TemplatePurpose.THIRD_PARTY), None)
        options: list[AllowedNow] = []
        with self._uow(read_only=True) as uow:
            now = uow.clock.now()
            requests = [ContactRequest(loan_id, medium) for medium in self._media]
            if third_party is not None:
                requests += [
                    ContactRequest(
                        loan_id, medium, RecipientKind.CONTACT_PERSON, contact_person_id=person, template=third_party
                    )
                    for person in _confirmed_contact_persons(uow.conn, borrower_id)
                    for medium in sorted(PHONE_MEDIA)
                ]
            for request in requests:
                template = request.template or DEFAULT_TEMPLATE
                judged = self._judge(uow.conn, request, facts, borrower_id, template, False, point, dispute, now)
                until, opens = window_edges(judged.attempt, judged.situation, self._profile.collections)
                options.append(
                    AllowedNow(
                        request.medium,
                        request.recipient_kind,
                        judged.recipient.id,
                        judged.recipient.masked,
                        template,
                        judged.violations,
                        until,
                        opens,
                    )
                )
        zone = point.timezone if point else self._profile.timezone
        return Preview(loan_id, borrower_id, now, zone, tuple(options))

    def contact_point(self, person_id: str) -> ContactPoint | None:
        return self._contact_points.contact_point(person_id)

    # -- before the transaction: what is asked, about what -------------------------------

    def _loan(self, request: ContactRequest) -> tuple[LoanFacts | None, str]:
        if not request.loan_id:
            if not request.borrower_id:
                raise Invalid("loan_required", "name the loan the contact is about")
            return None, request.borrower_id
        facts = self._lending.loan_facts(request.loan_id)
        if facts is None:
            raise NotFound("loan_not_found", f"no loan {request.loan_id}")
        return facts, facts.borrower_id

    def _what(self, request: ContactRequest) -> tuple[str, bool]:
        """(template id, free text?) after checking the request names one well-formed message."""
        if request.text is not None:
            if request.template not in (None, FREE_TEXT):
                raise Invalid("template_or_text", "send a template id or your own words, not both")
            if not request.text.strip():
                raise Invalid("empty_text", "a message needs words")
            if len(request.text) > MAX_FREE_TEXT:
                raise Invalid("text_too_long", f"at most {MAX_FREE_TEXT} characters")
            if not request.loan_id:
                raise Invalid("loan_required", "a collector's own words are about a loan")
            return FREE_TEXT, True
        template_id = request.template or DEFAULT_TEMPLATE
        template = self._profile.collections.content.template(template_id)
        if template is None:
            raise Invalid("unknown_template", f"no template {template_id!r} in this jurisdiction")
        consent = template.purpose is TemplatePurpose.CONSENT_REQUEST
        if consent and request.loan_id:
            raise Invalid("consent_request_has_no_loan", "a consent request is about no loan")
        if not consent and not request.loan_id:
            raise Invalid("loan_required", "name the loan the contact is about")
        return template_id, False

    # -- in the transaction: decide and record --------------------------------------------

    def _decide(
        self,
        uow: UnitOfWork,
        request: ContactRequest,
        facts: LoanFacts | None,
        borrower_id: str,
        template_id: str,
        free_text: bool,
        point: ContactPoint | None,
        open_dispute: bool,
    ) -> tuple[ContactDecision, Dispatch | None]:
        conn = uow.conn
        head = log.lock_head(conn, borrower_id)
        now = uow.clock.now()
        judged = self._judge(conn, request, facts, borrower_id, template_id, free_text, point, open_dispute, now)
        recipient, attempt, violations = judged.recipient, judged.attempt, judged.violations
        number_key, to_send, to_log = attempt.number_key, judged.to_send, judged.to_log
        outcome = Outcome.BLOCKED if violations else Outcome.DISPATCHING
        record = log.append(
            conn,
            LogRecord(
                borrower_id=borrower_id,
                seq=0,
                id=new_id("ctc"),
                loan_id=attempt.loan_id,
                at=now,
                medium=request.medium,
                recipient_kind=request.recipient_kind,
                recipient_id=recipient.id,
                recipient_masked=recipient.masked,
                recipient_tz=recipient.timezone,
                number_key=number_key,
                template=template_id,
                text=to_log,
                outcome=outcome,
                rules=tuple(dict.fromkeys(v.rule for v in violations)),
                connected=False,
                conversation=False,
                collector_id=request.collector_id,
                task_id=request.task_id,
                prev_hash="",
            ),
            self._sealer,
            head,
        )
        uow.publish(
            ContactAttempted(
                log_id=record.id,
                borrower_id=borrower_id,
                loan_id=record.loan_id,
                medium=request.medium.value,
                recipient_kind=request.recipient_kind.value,
                outcome=outcome.value,
                rules=record.rules,
                business_date=uow.clock.business_date(),
            )
        )
        decision = ContactDecision(record.id, record.seq, outcome, violations)
        if violations:
            if request.task_id:
                self._mark_task(conn, borrower_id, request.task_id, TaskStatus.BLOCKED, ",".join(record.rules))
            return decision, None
        dispatch = Dispatch(record, recipient.address, to_send, dict(request.secrets))
        conn.execute(
            insert(contact_dispatch).values(
                borrower_id=borrower_id,
                log_id=record.id,
                loan_id=record.loan_id,
                medium=request.medium.value,
                template=template_id,
                sealed=self._sealer.seal(dispatch.sealed_form(), DISPATCH),
                created_at=now,
                tries=1,
                last_try_at=now,
            )
        )
        return decision, dispatch

    def _judge(
        self,
        conn: Connection,
        request: ContactRequest,
        facts: LoanFacts | None,
        borrower_id: str,
        template_id: str,
        free_text: bool,
        point: ContactPoint | None,
        open_dispute: bool,
        now: datetime,
    ) -> Judged:
        """The decision itself, recording nothing: an attempt and the preview both ask this, so they cannot disagree."""
        recipient = self._recipient(conn, borrower_id, request, point)
        debtor = request.recipient_kind is RecipientKind.DEBTOR
        # P-8: anyone but the debtor is their number, whatever the medium; the debtor's number
        # counts where a phone is used.
        number_key = (
            self.number_key(recipient.address)
            if recipient.address and (not debtor or request.medium in PHONE_MEDIA)
            else ""
        )
        debtor_keys = frozenset({self.number_key(point.phone_e164)}) if point and point.phone_e164 else frozenset()
        to_send, to_log = self._texts(request, facts, template_id, free_text)
        attempt = Attempt(
            loan_id=facts.loan_id if facts else "",
            borrower_id=borrower_id,
            recipient_kind=request.recipient_kind,
            recipient_id=recipient.id,
            medium=request.medium,
            number_key=number_key,
            template=template_id,
            text=to_send,  # the policy reads what the person would receive
            at=now,
            recipient_tz=recipient.timezone,
            collector_id=request.collector_id,
        )
        situation = read_situation(conn, self._profile, facts, attempt, recipient.contact, open_dispute, debtor_keys)
        violations = evaluate(attempt, situation, self._profile)
        return Judged(recipient, attempt, situation, to_send, to_log, violations)

    def _texts(
        self, request: ContactRequest, facts: LoanFacts | None, template_id: str, free_text: bool
    ) -> tuple[str, str]:
        """(what the person receives, what the log keeps): they differ only by masked secrets."""
        if free_text:
            text = (request.text or "").strip()
            return text, text
        template = self._profile.collections.content.template(template_id)
        assert template is not None  # checked in _what
        locale = self._profile.locale
        values = {
            "amount": facts.overdue_amount.format(locale) if facts else "",
            "dpd": str(facts.days_past_due) if facts else "",
            # No name reaches a third person from here: only who named them (CN-1 restore contact).
            "name": FRIEND_ZH if locale.startswith("zh") else FRIEND_EN,
        }
        masked = {name: "*" * len(value) for name, value in request.secrets.items()}
        return render(template, locale, **values, **request.secrets), render(template, locale, **values, **masked)

    @staticmethod
    def _mark_task(conn: Connection, borrower_id: str, task_id: str, status: TaskStatus, note: str) -> None:
        conn.execute(
            update(collection_task)
            .where(
                collection_task.c.borrower_id == borrower_id,
                collection_task.c.id == task_id,
                collection_task.c.status == TaskStatus.PENDING.value,
            )
            .values(status=status.value, note=note[:200])
        )

    def _recipient(
        self, conn: Connection, borrower_id: str, request: ContactRequest, point: ContactPoint | None
    ) -> _Recipient:
        kind = request.recipient_kind
        if kind is RecipientKind.DEBTOR:
            if point is None:
                return _Recipient(borrower_id, "(no number on file)", self._profile.timezone, "", None)
            return _Recipient(borrower_id, point.masked_phone, point.timezone, point.phone_e164, None)
        if kind is RecipientKind.CONTACT_PERSON:
            if not request.contact_person_id:
                raise Invalid("contact_person_required", "name the contact person to reach")
            row = conn.execute(
                select(
                    contact_person.c.id,
                    contact_person.c.status,
                    contact_person.c.phone_sealed,
                    contact_person.c.phone_masked,
                    contact_person.c.timezone,
                ).where(contact_person.c.borrower_id == borrower_id, contact_person.c.id == request.contact_person_id)
            ).first()
            if row is None:
                raise NotFound("contact_person_not_found", "the borrower named no such contact person")
            facts = ContactPersonFacts(row.id, ContactPersonStatus(row.status))
            # Opened only here, to key the number and hand the channel its address; the log keeps the masked form.
            address = self._sealer.open(row.phone_sealed, CONTACT_PERSON_PHONE)
            return _Recipient(row.id, row.phone_masked, row.timezone, address, facts)
        if not (request.third_party_number or "").strip():
            raise Invalid("number_required", "a third-party attempt needs the one number tried")
        # E.164, as every other number here: a person is a number however it was typed (P-8).
        number = normalise_phone(request.third_party_number or "", self._profile.phone_region)
        tz = valid_zone(request.third_party_timezone or self._profile.timezone)
        return _Recipient(f"tp:{self.number_key(number)[:16]}", mask_phone(number), tz, number, None)


def _confirmed_contact_persons(conn: Connection, borrower_id: str) -> list[str]:
    status = ContactPersonStatus.CONFIRMED.value
    return list(
        conn.execute(
            select(contact_person.c.id)
            .where(contact_person.c.borrower_id == borrower_id, contact_person.c.status == status)
            .order_by(contact_person.c.id)
        ).scalars()
    )
