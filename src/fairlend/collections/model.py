"""Collections vocabulary: attempts, what the policy knows, violations, records.

Pure data. Rule ids are RULES.md's; their plain-words explanations (English and
Chinese) live here so the borrower's page, the API and the evidence package say
the same thing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, time

from fairlend.money import Money


class Medium(enum.StrEnum):
    SMS = "sms"
    CALL = "call"
    EMAIL = "email"
    LETTER = "letter"
    VISIT = "visit"


# Media that reach a phone number: cease-per-number and per-number caps apply.
PHONE_MEDIA = frozenset({Medium.SMS, Medium.CALL})


class RecipientKind(enum.StrEnum):
    DEBTOR = "debtor"
    CONTACT_PERSON = "contact_person"  # named in advance by the debtor, confirmed by themselves
    THIRD_PARTY = "third_party"  # anyone else


class LoanState(enum.StrEnum):
    ACTIVE = "active"
    SETTLED = "settled"
    CHARGED_OFF = "charged_off"
    WRITTEN_OFF = "written_off"


class Outcome(enum.StrEnum):
    """What a log row says. An attempt row is BLOCKED or DISPATCHING; an outcome row resolves a dispatch."""

    BLOCKED = "blocked"  # refused by the policy; nothing reached anyone
    DISPATCHING = "dispatching"  # allowed and recorded; the channel is called after this commits
    SENT = "sent"  # outcome: the channel took it
    FAILED = "failed"  # outcome: the channel refused or broke; nothing was delivered
    CANCELLED = "cancelled"  # outcome: a stranded dispatch re-checked before sending was no longer allowed
    EXPIRED = "expired"  # outcome: a stranded dispatch too old to send; never sent

    @property
    def resolves(self) -> bool:
        return self in RESOLUTIONS


RESOLUTIONS = frozenset({Outcome.SENT, Outcome.FAILED, Outcome.CANCELLED, Outcome.EXPIRED})
# Outcomes after which nothing can have reached the person.
NOT_DELIVERED = frozenset({Outcome.FAILED, Outcome.CANCELLED, Outcome.EXPIRED})
FREE_TEXT = "free_text"  # the template id a collector's own words are logged under


class TaskStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    BLOCKED = "blocked"  # the gateway refused it; the log says why
    CANCELLED = "cancelled"


class ComplaintCategory(enum.StrEnum):
    HARASSMENT = "harassment"
    THIRD_PARTY_CONTACT = "third_party_contact"
    CONTACT_AFTER_REPAYMENT = "contact_after_repayment"
    WRONG_AMOUNT = "wrong_amount"
    OTHER = "other"


class ComplaintStatus(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    ANSWERED = "answered"

    @property
    def pauses_contact(self) -> bool:
        return self is not ComplaintStatus.ANSWERED


class CallOutcome(enum.StrEnum):
    """What a collector heard on a call (the channel's own report stays in the log)."""

    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    VOICEMAIL = "voicemail"
    WRONG_NUMBER = "wrong_number"
    REFUSED = "refused"  # answered and would not discuss or pay
    DISPUTED = "disputed"  # answered and says the debt is wrong: compliance should hear of it


# Outcomes where the collector spoke with the person called: the policy counts the call as connected
# (CN-5's connected-call cap) and as a conversation (US-2's quiet days), whatever the channel reported.
# A refusal or a dispute is still a conversation about the debt. Voicemail and a wrong number are not:
# nobody on the debt's side of the line was reached.
REACHED = frozenset({CallOutcome.ANSWERED, CallOutcome.REFUSED, CallOutcome.DISPUTED})


class PromiseStatus(enum.StrEnum):
    PENDING = "pending"
    KEPT = "kept"  # repayments reached the amount by the date
    BROKEN = "broken"  # they did not: the account goes back to the queue


class HardshipState(enum.StrEnum):
    """Where the borrower's own hardship request about a loan stands, as collections knows it (P-10)."""

    NONE = "none"
    REQUEST = "request"  # asked for a plan, not yet answered or accepted: collection contacts pause
    PLAN = "plan"  # a plan in force and kept: only its reminders go out; broken or ended, back to NONE


class ContactPersonStatus(enum.StrEnum):
    PENDING = "pending"  # named by the borrower, not yet confirmed: does not exist for collections
    CONFIRMED = "confirmed"
    REVOKED = "revoked"


@dataclass(frozen=True, slots=True)
class LoanFacts:
    """What lending says about a loan, read at the moment of sending."""

    loan_id: str
    borrower_id: str
    state: LoanState
    currency: str
    overdue_amount: Money
    days_past_due: int
    bucket: str
    settled_on: date | None = None
    # The next installment (a plan reminder names it): None when nothing more falls due.
    next_due_date: date | None = None
    next_due_amount: Money | None = None


@dataclass(frozen=True, slots=True)
class DelinquentLoan:
    loan_id: str
    borrower_id: str
    days_past_due: int
    overdue_amount: Money
    bucket: str


@dataclass(frozen=True, slots=True)
class ContactPoint:
    phone_e164: str
    masked_phone: str
    timezone: str


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try to reach one person about one loan."""

    loan_id: str
    borrower_id: str
    recipient_kind: RecipientKind
    recipient_id: str  # the borrower's id, a contact person's id, or "tp:<number key>"
    medium: Medium
    number_key: str  # keyed hash of the phone number or address; "" when none
    template: str  # a profile template id, or FREE_TEXT
    text: str
    at: datetime  # UTC
    recipient_tz: str
    collector_id: str = ""

    @property
    def free_text(self) -> bool:
        return self.template == FREE_TEXT

    @property
    def about_loan(self) -> bool:
        """False for a message about no loan (a contact person's consent request)."""
        return bool(self.loan_id)


@dataclass(frozen=True, slots=True)
class PriorAttempt:
    """An earlier attempt as the policy needs it (from the contact log).

    `sent` is true for an attempt that may have reached the person: sent, or
    still dispatching (then `connected` and `conversation` are true as well,
    the worst case, until its outcome is recorded).
    """

    loan_id: str
    recipient_kind: RecipientKind
    recipient_id: str
    medium: Medium
    number_key: str
    at: datetime
    sent: bool
    connected: bool
    conversation: bool


@dataclass(frozen=True, slots=True)
class CeaseRequest:
    scope: str  # CeaseScope value: all | medium | number
    loan_id: str | None = None  # None: every loan of the borrower
    medium: Medium | None = None
    number_key: str | None = None


@dataclass(frozen=True, slots=True)
class WindowConsent:
    """The debtor agreed to be contacted in a wider window (where the profile allows it)."""

    start: time
    end: time


@dataclass(frozen=True, slots=True)
class ContactPersonFacts:
    contact_id: str
    status: ContactPersonStatus


@dataclass(frozen=True, slots=True)
class Situation:
    """Everything true at the moment of sending that the policy reads."""

    loan_state: LoanState
    history: tuple[PriorAttempt, ...] = ()
    cease_requests: tuple[CeaseRequest, ...] = ()
    open_dispute: bool = False
    open_complaint: bool = False
    hardship: HardshipState = HardshipState.NONE  # the borrower's hardship request or plan (P-10)
    window_consent: WindowConsent | None = None
    contact_person: ContactPersonFacts | None = None
    holidays: frozenset[date] = frozenset()
    # Earlier contacts about a loan that reached this person (by number, P-8) as other than the
    # debtor, ever: third-party caps are for all time. None: count them in `history`.
    prior_sent_to_person: int | None = None
    days_past_due: int = 0  # at the moment of sending (P-7)
    # The debtor's own numbers (keyed): an entry with one of them is the debtor (P-8).
    debtor_keys: frozenset[str] = frozenset()
    # Every call to the debtor ever (for how long they have been unreachable, CN-1); None: use `history`.
    debtor_calls: tuple[PriorAttempt, ...] | None = None


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str  # a RULES.md id
    check: str  # which check found it (stable, for compliance statistics)
    detail: str


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    connected: bool = False
    conversation: bool = False
    reference: str = ""


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One contact-log row: what the chain hashes."""

    borrower_id: str
    seq: int
    id: str
    loan_id: str
    at: datetime
    medium: Medium
    recipient_kind: RecipientKind
    recipient_id: str
    recipient_masked: str
    recipient_tz: str
    number_key: str
    template: str
    text: str
    outcome: Outcome
    rules: tuple[str, ...]
    connected: bool
    conversation: bool
    collector_id: str
    task_id: str
    prev_hash: str
    hash: str = field(default="")
    # On an outcome row: the id of the attempt (the DISPATCHING row) it resolves.
    resolves: str = ""


# Plain words for each rule a blocked attempt names (P-4: the borrower sees why).
RULE_TEXT: dict[str, tuple[str, str]] = {
    "P-1": (
        "fairlend never collects or uses an address book; only contact persons you named and who confirmed may be reached",
        "平台从不收集或使用通讯录；只有您事先指定并本人确认的联系人才可能被联系",
    ),
    "P-2": (
        "the loan is settled: every contact about it stops at once",
        "该笔借款已结清：与之相关的一切联系立即停止",
    ),
    "P-3": (
        "a dispute or complaint about this loan is open: collection contacts are paused until it is answered",
        "该笔借款有未处理的异议或投诉：答复之前暂停催收联系",
    ),
    "P-10": (
        "you asked for a repayment plan: collection contacts pause while your request is open, and while you keep the plan only reminders of its payments are sent",
        "您申请了协商还款：申请处理期间暂停催收联系；按计划还款期间只发送计划还款提醒",
    ),
    "P-6": (
        "you asked us to stop: only statements the law requires and answers to your own requests go out",
        "您已要求停止联系：此后只发送法律要求的告知和对您本人请求的答复",
    ),
    "P-7": (
        "collection may not start before the loan is more than the allowed number of days overdue (3 in China)",
        "逾期未满规定天数（中国为3天）不得开始催收",
    ),
    "P-8": (
        "a person is a phone number: the same number under another entry is still the same person",
        "一个号码就是一个人：同一号码换一个身份登记仍是同一人",
    ),
    "P-9": (
        "anyone but you may get only an approved message with nothing about the debt; a collector's own words go only to you",
        "除您本人外，他人只能收到不含债务内容的规定文本；催收员自拟的内容只能发给您本人",
    ),
    "US-16": (
        "no threats, no false claim to be a lawyer or an official, no obscene words, no telling others of the debt",
        "不得威胁、不得冒充律师或公职人员、不得使用污言秽语、不得向他人透露债务",
    ),
    "CN-22": (
        "a complaint is answered within 15 days (once extended by 15 days in complex cases, with notice)",
        "投诉须在15天内答复（复杂情况可延长一次15天，并告知）",
    ),
    "US-19": (
        "a complaint is answered within 15 days, and closed within 60 days when more time was needed",
        "投诉须在15天内答复；需要更多时间的，须在60天内办结",
    ),
    "CN-1": (
        "people other than the borrower may not be contacted about the debt; a named contact person only to restore contact, never told of the debt",
        "不得骚扰与债务无关的人；事先指定的联系人仅可在联系不上借款人时用于恢复联系，且不得告知债务",
    ),
    "CN-5": (
        "no collection between 22:00 and 08:00, and at most 3 connected calls a day",
        "22:00至次日08:00不得催收，每天接通电话不超过3次",
    ),
    "CN-6": (
        "at most 6 call attempts a day to one number; no threats, no exposing privacy, no pretending to be an authority",
        "每天对同一号码拨打不超过6次；不得威胁、不得泄露隐私、不得冒充公检法等机关",
    ),
    "US-1": (
        "no more than 7 calls in 7 days to a person about one debt",
        "7天内就同一笔债务致电同一人不得超过7次",
    ),
    "US-2": (
        "no call for 7 days after a telephone conversation about the debt",
        "就债务通话后7天内不得再次致电",
    ),
    "US-4": (
        "no contact before 08:00 or after 21:00 in your local time",
        "当地时间08:00前或21:00后不得联系",
    ),
    "US-5": (
        "the debt may be discussed only with you (or your spouse, guardian, executor or attorney)",
        "债务只能与您本人（或配偶、监护人、遗嘱执行人、律师）讨论",
    ),
    "US-6": (
        "another person may be contacted only once, only to learn your location, never told of the debt",
        "他人只能被联系一次，仅用于获取您的联系方式，且不得告知债务",
    ),
    "US-7": (
        "you asked in writing to stop: communication has ended",
        "您已书面要求停止联系：联系已终止",
    ),
    "US-8": (
        "you forbade this medium or this number",
        "您已禁止使用该方式或该号码联系",
    ),
    "US-9": (
        "every text or email must carry a simple way to opt out",
        "每条短信或邮件都必须提供简单的退订方式",
    ),
    "US-14": (
        "unfair or abusive collection practices are forbidden",
        "禁止不公平或滥用的催收手段",
    ),
    "US-15": ("no more than 2 calls in 7 days (state rule)", "7天内致电不超过2次（州规定）"),
    "EU-6": (
        "no calls or visits at night, on Sundays or public holidays",
        "夜间、周日及公共假日不得致电或上门",
    ),
}


def rule_text(rule: str, lang: str) -> str:
    en, zh = RULE_TEXT.get(rule, (f"rule {rule}", f"规则 {rule}"))
    return zh if lang.lower().startswith("zh") else en


def mask_name(name: str) -> str:
    """张三 -> 张*, Sam Lee -> S******: enough to tell one's own contact persons apart, not to identify them."""
    name = name.strip()
    return (name[:1] + "*" * max(len(name) - 1, 1)) if name else ""


def mask_phone(phone: str) -> str:
    """+8613812345678 -> +86138****5678: enough for the person to recognise, not to dial."""
    if len(phone) <= 8:
        return "*" * len(phone)
    return phone[:-8] + "****" + phone[-4:]
