"""The decision itself: what an attempt would be told at one moment, recording nothing.

`Judge.judge` reads what is true (the recipient, the texts, the situation under
the caller's connection) and runs the policy. The gateway asks it inside the
transaction that records the attempt; the "allowed now" preview asks it for
every option it shows. One function for both, so the collector's screen and
the gateway cannot disagree at the same moment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, select

from fairlend.collections.addresses import NumberKeys, normalise_phone, valid_zone
from fairlend.collections.content import render
from fairlend.collections.model import (
    FREE_TEXT,
    PHONE_MEDIA,
    Attempt,
    ContactPersonFacts,
    ContactPersonStatus,
    ContactPoint,
    LoanFacts,
    Medium,
    RecipientKind,
    Situation,
    Violation,
    mask_phone,
)
from fairlend.collections.policy import evaluate
from fairlend.collections.ports import CONTACT_PERSON_PHONE, ContactPointPort, DisputePort, LendingPort, Sealer
from fairlend.collections.situation import read_situation
from fairlend.collections.tables import contact_person
from fairlend.errors import Invalid, NotFound
from fairlend.jurisdiction.model import Profile, TemplatePurpose

FRIEND_ZH = "指定您为紧急联系人的人"
FRIEND_EN = "the person who named you as their contact"
DEFAULT_TEMPLATE = "collection"
MAX_FREE_TEXT = 2_000


CONTACT_PURPOSE = "collections_contact"  # identity's audit purpose for an attempt's reading of the number
PREVIEW_PURPOSE = "collections_preview"  # ... and for the collector's "allowed now" preview


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
class Recipient:
    id: str
    masked: str
    timezone: str
    address: str
    contact: ContactPersonFacts | None


@dataclass(frozen=True, slots=True)
class Judged:
    recipient: Recipient
    attempt: Attempt
    situation: Situation
    to_send: str
    to_log: str
    violations: tuple[Violation, ...]


@dataclass(frozen=True, slots=True)
class Framed:
    """An attempt before its situation is read: recipient, attempt, texts, the debtor's own numbers."""

    recipient: Recipient
    attempt: Attempt
    to_send: str
    to_log: str
    debtor_keys: frozenset[str]


@dataclass(frozen=True, slots=True)
class Asked:
    """What the other contexts said before the transaction: the loan, whose it is, their number, a dispute."""

    facts: LoanFacts | None
    borrower_id: str
    point: ContactPoint | None
    open_dispute: bool


class Judge:
    def __init__(
        self,
        profile: Profile,
        lending: LendingPort,
        contact_points: ContactPointPort,
        disputes: DisputePort,
        number_key: NumberKeys,
        sealer: Sealer,
    ) -> None:
        self._profile = profile
        self._lending = lending
        self._contact_points = contact_points
        self._disputes = disputes
        self.number_key = number_key
        self._sealer = sealer

    def ask(self, request: ContactRequest, *, purpose: str = CONTACT_PURPOSE) -> Asked:
        """The other contexts' facts, asked outside any transaction (they keep their own).

        Reading the debtor's number is logged by identity under `purpose`: a real attempt's
        reading is a contact use, the collector's preview's is a preview (PREVIEW_PURPOSE)."""
        facts, borrower_id = self.loan(request)
        point = self._contact_points.contact_point(borrower_id, purpose)
        dispute = facts is not None and self._disputes.has_open_dispute(borrower_id, facts.loan_id)
        return Asked(facts, borrower_id, point, dispute)

    def ask_many(self, requests: Sequence[ContactRequest], *, purpose: str = CONTACT_PURPOSE) -> list[Asked]:
        """`ask` for each request, the numbers read from identity in one call (each reading logged)."""
        loans = [self.loan(r) for r in requests]
        points = self._contact_points.contact_points({b for _f, b in loans}, purpose)
        return [
            Asked(facts, b, points.get(b), facts is not None and self._disputes.has_open_dispute(b, facts.loan_id))
            for facts, b in loans
        ]

    # -- before the transaction: what is asked, about what -------------------------------

    def loan(self, request: ContactRequest) -> tuple[LoanFacts | None, str]:
        if not request.loan_id:
            if not request.borrower_id:
                raise Invalid("loan_required", "name the loan the contact is about")
            return None, request.borrower_id
        facts = self._lending.loan_facts(request.loan_id)
        if facts is None:
            raise NotFound("loan_not_found", f"no loan {request.loan_id}")
        return facts, facts.borrower_id

    def what(self, request: ContactRequest) -> tuple[str, bool]:
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

    # -- the decision ------------------------------------------------------------------

    def judge(
        self,
        conn: Connection,
        request: ContactRequest,
        asked: Asked,
        template_id: str,
        free_text: bool,
        now: datetime,
    ) -> Judged:
        """The decision itself, recording nothing: an attempt and the preview both ask this, so they cannot disagree."""
        framed = self.frame(conn, request, asked, template_id, free_text, now)
        situation = read_situation(
            conn,
            self._profile,
            asked.facts,
            framed.attempt,
            framed.recipient.contact,
            asked.open_dispute,
            framed.debtor_keys,
        )
        return self.decide(framed, situation)

    def decide(self, framed: Framed, situation: Situation) -> Judged:
        """The policy over a framed attempt and the situation read for it (one at a time, or a batch's)."""
        violations = evaluate(framed.attempt, situation, self._profile)
        return Judged(framed.recipient, framed.attempt, situation, framed.to_send, framed.to_log, violations)

    def frame(
        self,
        conn: Connection,
        request: ContactRequest,
        asked: Asked,
        template_id: str,
        free_text: bool,
        now: datetime,
    ) -> Framed:
        """Who receives what, as what attempt: everything the decision needs but the situation."""
        facts, borrower_id, point = asked.facts, asked.borrower_id, asked.point
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
        return Framed(recipient, attempt, to_send, to_log, debtor_keys)

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
        due = facts.next_due_amount if facts else None
        values = {
            "amount": facts.overdue_amount.format(locale) if facts else "",
            "dpd": str(facts.days_past_due) if facts else "",
            # A plan reminder's: the next installment, whatever is overdue (a kept plan has nothing overdue).
            "due_amount": due.format(locale) if due is not None else "",
            "due_date": facts.next_due_date.isoformat() if facts and facts.next_due_date else "",
            # No name reaches a third person from here: only who named them (CN-1 restore contact).
            "name": FRIEND_ZH if locale.startswith("zh") else FRIEND_EN,
        }
        masked = {name: "*" * len(value) for name, value in request.secrets.items()}
        return render(template, locale, **values, **request.secrets), render(template, locale, **values, **masked)

    def _recipient(
        self, conn: Connection, borrower_id: str, request: ContactRequest, point: ContactPoint | None
    ) -> Recipient:
        kind = request.recipient_kind
        if kind is RecipientKind.DEBTOR:
            if point is None:
                return Recipient(borrower_id, "(no number on file)", self._profile.timezone, "", None)
            return Recipient(borrower_id, point.masked_phone, point.timezone, point.phone_e164, None)
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
            return Recipient(row.id, row.phone_masked, row.timezone, address, facts)
        if not (request.third_party_number or "").strip():
            raise Invalid("number_required", "a third-party attempt needs the one number tried")
        # E.164, as every other number here: a person is a number however it was typed (P-8).
        number = normalise_phone(request.third_party_number or "", self._profile.phone_region)
        tz = valid_zone(request.third_party_timezone or self._profile.timezone)
        return Recipient(f"tp:{self.number_key(number)[:16]}", mask_phone(number), tz, number, None)
