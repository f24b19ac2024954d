"""What the gateway would allow *now* for an account: which media, which numbers, until when.

`allowed_now` builds each option by asking the very function an attempt asks
(`Judge.judge`, judge.py) and records nothing, so the collector's screen can
never say "allowed" for an attempt the gateway would then block (or the
reverse) at the same moment. "Until" is only the contact window's edge: a cap
may close a medium sooner, and the preview says so the moment it does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, select

from fairlend.collections.hours import windows, zone
from fairlend.collections.judge import DEFAULT_TEMPLATE, PREVIEW_PURPOSE, ContactRequest, Judge
from fairlend.collections.model import (
    PHONE_MEDIA,
    Attempt,
    ContactPersonStatus,
    Medium,
    RecipientKind,
    Situation,
    Violation,
)
from fairlend.collections.tables import contact_person
from fairlend.db.uow import UnitOfWorkFactory
from fairlend.jurisdiction.model import CollectionsProfile, Profile, TemplatePurpose


@dataclass(frozen=True, slots=True)
class AllowedNow:
    medium: Medium
    recipient_kind: RecipientKind
    recipient_id: str
    masked: str  # the number (or "(no number on file)"), masked
    template: str
    violations: tuple[Violation, ...]
    # Allowed: when the window it is in closes; blocked by the window: when the next one opens.
    # None for a letter (no window) or when nothing opens within a week.
    until: datetime | None
    opens: datetime | None

    @property
    def allowed(self) -> bool:
        return not self.violations

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v.rule for v in self.violations))


@dataclass(frozen=True, slots=True)
class Preview:
    loan_id: str
    borrower_id: str
    at: datetime  # UTC, the moment judged
    debtor_timezone: str
    options: tuple[AllowedNow, ...]

    @property
    def debtor_local(self) -> datetime:
        return self.at.astimezone(zone(self.debtor_timezone))


def window_edges(
    attempt: Attempt, situation: Situation, rules: CollectionsProfile
) -> tuple[datetime | None, datetime | None]:
    """(until, opens) in the recipient's zone: the end of the window now is in, else the next start."""
    if attempt.medium is Medium.LETTER:
        return None, None
    tz = zone(attempt.recipient_tz)
    local = attempt.at.astimezone(tz)
    hours = windows(attempt, situation, rules)
    for start, end in hours:
        if start <= local.time() < end:
            return datetime.combine(local.date(), end, tzinfo=tz), None
    for days in range(8):
        day = local.date() + timedelta(days=days)
        if day.weekday() in rules.blocked_weekdays or day in situation.holidays:
            continue
        starts = sorted(
            datetime.combine(day, start, tzinfo=tz)
            for start, _ in hours
            if datetime.combine(day, start, tzinfo=tz) > local
        )
        if starts:
            return None, starts[0]
    return None, None


def allowed_now(
    uow: UnitOfWorkFactory, judge: Judge, profile: Profile, media: Sequence[Medium], loan_id: str
) -> Preview:
    """What an attempt about this loan would be told now, for every medium and confirmed number.

    Each option is judged by `Judge.judge`, exactly as an attempt is (same reads, same
    policy, same moment's clock), and nothing is recorded.
    """
    asked = judge.ask(ContactRequest(loan_id, Medium.CALL), purpose=PREVIEW_PURPOSE)
    content = profile.collections.content
    third_party = next((t.id for t in content.templates if t.purpose is TemplatePurpose.THIRD_PARTY), None)
    options: list[AllowedNow] = []
    with uow(read_only=True) as work:
        now = work.clock.now()
        requests = [ContactRequest(loan_id, medium) for medium in media]
        if third_party is not None:
            requests += [
                ContactRequest(
                    loan_id, medium, RecipientKind.CONTACT_PERSON, contact_person_id=person, template=third_party
                )
                for person in _confirmed_contact_persons(work.conn, asked.borrower_id)
                for medium in sorted(PHONE_MEDIA)
            ]
        for request in requests:
            template = request.template or DEFAULT_TEMPLATE
            judged = judge.judge(work.conn, request, asked, template, False, now)
            until, opens = window_edges(judged.attempt, judged.situation, profile.collections)
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
    zone_name = asked.point.timezone if asked.point else profile.timezone
    return Preview(loan_id, asked.borrower_id, now, zone_name, tuple(options))


def _confirmed_contact_persons(conn: Connection, borrower_id: str) -> list[str]:
    status = ContactPersonStatus.CONFIRMED.value
    return list(
        conn.execute(
            select(contact_person.c.id)
            .where(contact_person.c.borrower_id == borrower_id, contact_person.c.status == status)
            .order_by(contact_person.c.id)
        ).scalars()
    )
