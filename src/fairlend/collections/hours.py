"""The contact policy's clock: the hours contact may happen, the call caps and the quiet days.

Plain functions like the rest of the policy (policy.py calls them), each in the
recipient's local time: "a day" is a whole local day, and a window or a cap
counts in the zone the person is in, not the platform's.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from functools import lru_cache
from zoneinfo import ZoneInfo

from fairlend.collections.model import Attempt, Medium, Situation, Violation
from fairlend.collections.persons import is_debtor, reaches_debtor, same_person
from fairlend.jurisdiction.model import CapCounting, CapScope, CollectionsProfile


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=4096)
def local_midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, dtime(0), tzinfo=tz).astimezone(UTC)


def windows(attempt: Attempt, situation: Situation, rules: CollectionsProfile) -> tuple[tuple[dtime, dtime], ...]:
    """The hours contact may happen: the law's, and the hours the debtor agreed to (for the debtor only).

    Consent adds its own hours; it never narrows the law's, and never stretches to the
    hours between the two that nobody agreed to.
    """
    law = (rules.contact_window.start, rules.contact_window.end)
    consent = situation.window_consent
    if consent is not None and rules.consent_may_widen_window and reaches_debtor(attempt, situation):
        return law, (consent.start, consent.end)
    return (law,)


def check_window(attempt: Attempt, situation: Situation, rules: CollectionsProfile, found: list[Violation]) -> None:
    if attempt.medium is Medium.LETTER:
        return  # a letter arrives with the post, not at the hour it is written
    rule = rules.contact_window.rule
    local = attempt.at.astimezone(zone(attempt.recipient_tz))
    allowed = windows(attempt, situation, rules)
    clock = local.time()
    if not any(start <= clock < end for start, end in allowed):
        hours = ", ".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in allowed)
        found.append(Violation(rule, "outside_window", f"{clock:%H:%M} local is outside {hours}"))
    if local.weekday() in rules.blocked_weekdays:
        found.append(Violation(rule, "blocked_weekday", f"no contact on {local:%A}"))
    if rules.block_public_holidays and local.date() in situation.holidays:
        found.append(Violation(rule, "public_holiday", f"{local.date()} is a public holiday"))


def check_call_caps(attempt: Attempt, situation: Situation, rules: CollectionsProfile, found: list[Violation]) -> None:
    caps = rules.call_caps
    if not caps:
        return
    at = attempt.at
    keys = situation.debtor_keys
    calls = [p for p in situation.history if p.sent and p.medium is Medium.CALL and p.at <= at]
    tz: ZoneInfo | None = None
    for cap in caps:
        scope = cap.scope
        if scope is CapScope.PER_DEBTOR:
            if not is_debtor(attempt.recipient_kind, attempt.number_key, keys):
                continue
            pool = [p for p in calls if is_debtor(p.recipient_kind, p.number_key, keys)]
        elif scope is CapScope.PER_NUMBER:
            if not attempt.number_key:
                continue
            pool = [p for p in calls if p.number_key == attempt.number_key]
        elif scope is CapScope.PER_DEBT:
            pool = [p for p in calls if p.loan_id == attempt.loan_id]
        else:
            pool = [p for p in calls if p.loan_id == attempt.loan_id and same_person(p, attempt, keys)]
        if len(pool) < cap.count:
            continue  # cannot reach the cap whatever the window: skip the time-zone work
        if tz is None:
            tz = zone(attempt.recipient_tz)
        # The window is whole local days: "a day" is today, "7 days" today and the 6 before.
        today = at.astimezone(tz).date()
        since = local_midnight_utc(today - timedelta(days=cap.window_days - 1), tz)
        if cap.counting is CapCounting.CONNECTED:
            count = sum(1 for p in pool if p.connected and p.at >= since)
            what = "connected calls"
        else:
            count = sum(1 for p in pool if p.at >= since)
            what = "call attempts"
        if count >= cap.count:
            found.append(Violation(cap.rule, f"call_cap_{scope.value}", f"{count} {what} in {cap.window_days} day(s)"))


def check_quiet_days(attempt: Attempt, situation: Situation, rules: CollectionsProfile, found: list[Violation]) -> None:
    days = rules.quiet_days_after_conversation
    if days <= 0:
        return
    tz = zone(attempt.recipient_tz)
    today = attempt.at.astimezone(tz).date()
    # The day of the conversation is day 1: a conversation on any of the last `days` local days blocks.
    since = local_midnight_utc(today - timedelta(days=days - 1), tz)
    for prior in situation.history:
        if (
            prior.sent
            and prior.conversation
            and prior.medium is Medium.CALL
            and prior.at >= since
            and prior.at <= attempt.at
            and prior.loan_id == attempt.loan_id
            and same_person(prior, attempt, situation.debtor_keys)
        ):
            found.append(
                Violation(rules.quiet_days_rule, "quiet_days", f"a conversation on {prior.at.astimezone(tz).date()}")
            )
            return
