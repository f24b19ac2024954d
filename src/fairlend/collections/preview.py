"""What the gateway would allow *now* for an account: which media, which numbers, until when.

The gateway builds each option by asking the very function an attempt asks
(`ContactGateway._judge`) and records nothing, so the collector's screen can
never say "allowed" for an attempt the gateway would then block (or the
reverse) at the same moment. "Until" is only the contact window's edge: a cap
may close a medium sooner, and the preview says so the moment it does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fairlend.collections.model import Attempt, Medium, RecipientKind, Situation, Violation
from fairlend.collections.policy import windows, zone
from fairlend.jurisdiction.model import CollectionsProfile


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
