"""The contact gateway: the only way fairlend reaches a person.

Every attempt (SMS, call, e-mail, letter, visit) comes here. The gateway reads
what is true at this moment (lending's loan facts, settlements it has been
told of, the log's recent history, cease requests, complaints, disputes),
runs the policy, hands an allowed message to its channel, and appends the
attempt, allowed or blocked, to the borrower's hash-chained contact log in the
caller's transaction.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfoNotFoundError

from sqlalchemy import Connection, bindparam, exists, select

from fairlend.collections import log
from fairlend.collections.content import TEMPLATES, Template
from fairlend.collections.events import ContactAttempted
from fairlend.collections.model import (
    PHONE_MEDIA,
    Attempt,
    CeaseRequest,
    ComplaintStatus,
    ContactPersonFacts,
    ContactPersonStatus,
    ContactPoint,
    LoanFacts,
    LoanState,
    LogRecord,
    Medium,
    Outcome,
    RecipientKind,
    Situation,
    TaskStatus,
    Violation,
    WindowConsent,
    mask_phone,
)
from fairlend.collections.policy import evaluate, zone
from fairlend.collections.ports import (
    ChannelPort,
    ContactPointPort,
    DisputePort,
    LendingPort,
    OutboundMessage,
    PhoneVault,
)
from fairlend.collections.tables import (
    cease_request,
    collection_task,
    complaint,
    contact_person,
    settled_loan,
    window_consent,
)
from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import Invalid, NotFound
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile

FRIEND_ZH = "指定您为联系人的亲友"
FRIEND_EN = "the person who named you as their contact"


@dataclass(frozen=True, slots=True)
class ContactRequest:
    loan_id: str
    medium: Medium
    recipient_kind: RecipientKind = RecipientKind.DEBTOR
    contact_person_id: str | None = None
    # One number a collector typed for a third party; never a list (P-1).
    third_party_number: str | None = None
    third_party_timezone: str | None = None
    template: str = "collection"
    text: str | None = None  # a call script or message; rendered from the template when absent
    collector_id: str = ""
    task_id: str = ""


@dataclass(frozen=True, slots=True)
class ContactDecision:
    log_id: str
    seq: int
    outcome: Outcome
    violations: tuple[Violation, ...]

    @property
    def allowed(self) -> bool:
        return self.outcome is not Outcome.BLOCKED

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v.rule for v in self.violations))


# Built once (DESIGN 7: hot paths use prebuilt statements): what the policy needs besides the log.
_FLAGS = select(
    exists()
    .where(settled_loan.c.borrower_id == bindparam("b"), settled_loan.c.loan_id == bindparam("loan"))
    .label("settled"),
    exists()
    .where(
        complaint.c.borrower_id == bindparam("b"),
        complaint.c.loan_id == bindparam("loan"),
        complaint.c.status != ComplaintStatus.ANSWERED.value,
    )
    .label("complained"),
    select(window_consent.c.start)
    .where(window_consent.c.borrower_id == bindparam("b"))
    .scalar_subquery()
    .label("start"),
    select(window_consent.c.end).where(window_consent.c.borrower_id == bindparam("b")).scalar_subquery().label("end"),
)
_CEASE = select(
    cease_request.c.scope, cease_request.c.loan_id, cease_request.c.medium, cease_request.c.number_key
).where(cease_request.c.borrower_id == bindparam("b"))


class NumberKeys:
    """A keyed hash of a phone number: groups and matches numbers without storing them in the log."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def __call__(self, number: str) -> str:
        normal = "".join(ch for ch in number if ch.isdigit() or ch == "+")
        return hmac.new(self._key, normal.encode(), hashlib.sha256).hexdigest()[:32]


@lru_cache(maxsize=64)
def _holidays(calendar: str, year: int) -> frozenset[date]:
    import holidays  # only profiles that block holidays pay for loading the calendar

    return frozenset(holidays.country_holidays(calendar, years=year).keys())


def normalise_phone(raw: str, region: str) -> str:
    import phonenumbers

    try:
        parsed = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise Invalid("bad_phone", f"not a phone number: {raw!r}") from None
    if not phonenumbers.is_valid_number(parsed):
        raise Invalid("bad_phone", f"not a valid phone number: {raw!r}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def valid_zone(name: str) -> str:
    try:
        zone(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid("bad_timezone", f"not an IANA time zone: {name!r}") from None
    return name


def parse_hhmm(value: str) -> time:
    try:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise Invalid("bad_time", f"expected HH:MM, got {value!r}") from None


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
        phone_vault: PhoneVault,
    ) -> None:
        self._uow = uow
        self._profile = profile
        self._lending = lending
        self._contact_points = contact_points
        self._disputes = disputes
        self._channels = channels
        self.number_key = number_key
        self._phone_vault = phone_vault
        rules = profile.collections
        self._lookback = timedelta(
            days=max(
                [c.window_days for c in rules.call_caps]
                + [rules.quiet_days_after_conversation, rules.third_party.unreachable_days, 1]
            )
            + 1
        )

    def attempt(self, request: ContactRequest) -> ContactDecision:
        """Decide, send if allowed, and log: one transaction.

        The other contexts' ports are asked first, outside this transaction:
        they keep their own (identity audit-logs every contact point it hands
        out), and on SQLite a second writer inside ours would wait on our lock.
        What the policy must see race-free (settlement, complaints, cease
        requests, the log) is read inside it, under the borrower's chain lock.
        """
        facts = self._lending.loan_facts(request.loan_id)
        if facts is None:
            raise NotFound("loan_not_found", f"no loan {request.loan_id}")
        template = TEMPLATES.get(request.template)
        if template is None:
            raise Invalid("unknown_template", f"no template {request.template!r}")
        point = (
            self._contact_points.contact_point(facts.borrower_id)
            if request.recipient_kind is RecipientKind.DEBTOR
            else None
        )
        dispute = self._disputes.has_open_dispute(facts.borrower_id, facts.loan_id)
        with self._uow() as uow:
            decision = self._decide(uow, request, facts, template, point, dispute)
            uow.commit()
            return decision

    def _decide(
        self,
        uow: UnitOfWork,
        request: ContactRequest,
        facts: LoanFacts,
        template: Template,
        point: ContactPoint | None,
        open_dispute: bool,
    ) -> ContactDecision:
        conn = uow.conn
        borrower_id = facts.borrower_id
        head = log.lock_head(conn, borrower_id)
        now = uow.clock.now()
        recipient_id, masked, tz, address, contact = self._recipient(conn, borrower_id, request, point)
        number_key = self.number_key(address) if address and request.medium in PHONE_MEDIA else ""
        text = request.text
        if text is None:
            text = template.render(
                self._profile.locale,
                amount=facts.overdue_amount.format(self._profile.locale),
                dpd=str(facts.days_past_due),
                due="",
                # No name reaches a third person from here: only who named them (CN-1 restore contact).
                name=FRIEND_ZH if self._profile.locale.startswith("zh") else FRIEND_EN,
            )
        attempt = Attempt(
            loan_id=facts.loan_id,
            borrower_id=borrower_id,
            recipient_kind=request.recipient_kind,
            recipient_id=recipient_id,
            medium=request.medium,
            number_key=number_key,
            template=request.template,
            text=text,
            at=now,
            recipient_tz=tz,
            collector_id=request.collector_id,
        )
        situation = self.situation(conn, facts, attempt, contact, open_dispute)
        violations = evaluate(attempt, situation, self._profile)
        log_id = new_id("ctc")
        outcome = Outcome.BLOCKED if violations else Outcome.SENT
        connected = conversation = False
        if not violations:
            channel = self._channels.get(request.medium)
            try:
                if channel is None:
                    raise RuntimeError(f"no channel for {request.medium.value}")
                result = channel.send(OutboundMessage(request.medium, address, text, request.template, log_id))
                connected, conversation = result.connected, result.conversation
            except Exception:  # a channel failure is logged, never lost
                outcome = Outcome.FAILED
        record = log.append(
            conn,
            LogRecord(
                borrower_id=borrower_id,
                seq=0,
                id=log_id,
                loan_id=facts.loan_id,
                at=now,
                medium=request.medium,
                recipient_kind=request.recipient_kind,
                recipient_id=recipient_id,
                recipient_masked=masked,
                recipient_tz=tz,
                number_key=number_key,
                template=request.template,
                text=text,
                outcome=outcome,
                rules=tuple(dict.fromkeys(v.rule for v in violations)),
                connected=connected,
                conversation=conversation,
                collector_id=request.collector_id,
                task_id=request.task_id,
                prev_hash="",
            ),
            head,
        )
        uow.publish(
            ContactAttempted(
                log_id=record.id,
                borrower_id=borrower_id,
                loan_id=facts.loan_id,
                medium=request.medium.value,
                recipient_kind=request.recipient_kind.value,
                outcome=outcome.value,
                rules=record.rules,
                business_date=uow.clock.business_date(),
            )
        )
        if request.task_id:
            conn.execute(
                collection_task.update()
                .where(
                    collection_task.c.borrower_id == borrower_id,
                    collection_task.c.id == request.task_id,
                    collection_task.c.status == TaskStatus.PENDING.value,
                )
                .values(
                    status=(TaskStatus.DONE if outcome is Outcome.SENT else TaskStatus.BLOCKED).value
                    if outcome is not Outcome.FAILED
                    else TaskStatus.PENDING.value,
                    note=",".join(record.rules)[:200],
                )
            )
        return ContactDecision(record.id, record.seq, outcome, violations)

    def contact_point(self, person_id: str) -> ContactPoint | None:
        return self._contact_points.contact_point(person_id)

    def _recipient(
        self, conn: Connection, borrower_id: str, request: ContactRequest, point: ContactPoint | None
    ) -> tuple[str, str, str, str, ContactPersonFacts | None]:
        """(recipient id, masked, time zone, address, contact person facts)."""
        kind = request.recipient_kind
        if kind is RecipientKind.DEBTOR:
            if point is None:
                return borrower_id, "(no number on file)", self._profile.timezone, "", None
            return borrower_id, point.masked_phone, point.timezone, point.phone_e164, None
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
            # Opened only here, to hand the channel its address; the log keeps the masked form.
            address = self._phone_vault.open(row.phone_sealed)
            return row.id, row.phone_masked, row.timezone, address, facts
        if not (request.third_party_number or "").strip():
            raise Invalid("number_required", "a third-party attempt needs the one number tried")
        # E.164, as every other number here: a cease request for a number must match however it was typed.
        number = normalise_phone(request.third_party_number or "", self._profile.phone_region)
        tz = valid_zone(request.third_party_timezone or self._profile.timezone)
        return f"tp:{self.number_key(number)[:16]}", mask_phone(number), tz, number, None

    def situation(
        self,
        conn: Connection,
        facts: LoanFacts,
        attempt: Attempt,
        contact: ContactPersonFacts | None,
        open_dispute: bool,
    ) -> Situation:
        borrower_id, loan_id = facts.borrower_id, facts.loan_id
        flags = conn.execute(_FLAGS, {"b": borrower_id, "loan": loan_id}).one()
        settled = facts.state is LoanState.SETTLED or bool(flags.settled)
        open_complaint = bool(flags.complained)
        consent = WindowConsent(parse_hhmm(flags.start), parse_hhmm(flags.end)) if flags.start and flags.end else None
        cease = tuple(
            CeaseRequest(
                scope=r.scope,
                loan_id=r.loan_id,
                medium=Medium(r.medium) if r.medium else None,
                number_key=r.number_key,
            )
            for r in conn.execute(_CEASE, {"b": borrower_id})
        )
        holidays: frozenset[date] = frozenset()
        if self._profile.collections.block_public_holidays:
            year = attempt.at.astimezone(zone(attempt.recipient_tz)).year
            holidays = _holidays(self._profile.holiday_calendar, year)
        prior_sent = (
            None
            if attempt.recipient_kind is RecipientKind.DEBTOR
            else log.sent_to_recipient(conn, borrower_id, attempt.recipient_id)
        )
        return Situation(
            loan_state=LoanState.SETTLED if settled else facts.state,
            history=log.history(conn, borrower_id, attempt.at - self._lookback),
            cease_requests=cease,
            open_dispute=open_dispute,
            open_complaint=open_complaint,
            window_consent=consent,
            contact_person=contact,
            holidays=holidays,
            prior_sent_to_recipient=prior_sent,
        )
