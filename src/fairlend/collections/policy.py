"""The contact policy: plain functions from an attempt to its violations.

`evaluate(attempt, situation, profile)` returns every rule the attempt would
break, each naming its RULES.md id; an empty tuple means the attempt may go.
Every number comes from the jurisdiction profile (`CollectionsProfile`); the
few rule ids the profile does not carry come from `content.RuleBook`.

These run on every attempt at the moment of sending, so they are written to
be cheap: one time-zone conversion per check, no allocation per prior attempt.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from functools import lru_cache
from zoneinfo import ZoneInfo

from fairlend.collections.content import RuleBook, content_findings, rule_book
from fairlend.collections.model import (
    Attempt,
    ContactPersonStatus,
    LoanState,
    Medium,
    PriorAttempt,
    RecipientKind,
    Situation,
    Violation,
)
from fairlend.jurisdiction.model import (
    CapCounting,
    CapScope,
    CeaseScope,
    CollectionsProfile,
    Profile,
    ThirdPartyAllowance,
)

P_ADDRESS_BOOK = "P-1"
P_SETTLED = "P-2"
P_PAUSED = "P-3"


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=4096)
def local_midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, dtime(0), tzinfo=tz).astimezone(UTC)


def evaluate(attempt: Attempt, situation: Situation, profile: Profile) -> tuple[Violation, ...]:
    """Every rule this attempt would break, now; empty when it may go."""
    return evaluate_with(attempt, situation, profile.collections, rule_book(profile.code))


def evaluate_with(
    attempt: Attempt, situation: Situation, rules: CollectionsProfile, book: RuleBook
) -> tuple[Violation, ...]:
    found: list[Violation] = []
    check_settled(attempt, situation, found)
    check_paused(attempt, situation, found)
    check_cease(attempt, situation, rules, book, found)
    check_recipient(attempt, situation, rules, book, found)
    check_window(attempt, situation, rules, found)
    if attempt.medium is Medium.CALL:
        check_call_caps(attempt, situation, rules, found)
        check_quiet_days(attempt, situation, rules, found)
    check_content(attempt, rules, book, found)
    return tuple(found)


def check_settled(attempt: Attempt, situation: Situation, found: list[Violation]) -> None:
    # P-2: checked at the moment of sending, whatever was planned earlier.
    if situation.loan_state is LoanState.SETTLED:
        found.append(Violation(P_SETTLED, "loan_settled", f"loan {attempt.loan_id} is settled"))


def check_paused(attempt: Attempt, situation: Situation, found: list[Violation]) -> None:
    if situation.open_dispute:
        found.append(Violation(P_PAUSED, "open_dispute", "a credit-report dispute about this loan is open"))
    if situation.open_complaint:
        found.append(Violation(P_PAUSED, "open_complaint", "a complaint about this loan is open"))


def check_cease(
    attempt: Attempt, situation: Situation, rules: CollectionsProfile, book: RuleBook, found: list[Violation]
) -> None:
    for request in situation.cease_requests:
        if request.loan_id is not None and request.loan_id != attempt.loan_id:
            continue
        scope = request.scope
        if scope == CeaseScope.ALL and CeaseScope.ALL in rules.cease_scopes:
            if attempt.template not in book.cease_exempt_templates:
                found.append(Violation(rules.cease_rule, "cease_all", "the borrower asked to stop all contact"))
        elif scope == CeaseScope.MEDIUM and CeaseScope.MEDIUM in rules.cease_scopes:
            if request.medium is attempt.medium:
                rule = book.cease_scoped_rule or rules.cease_rule
                found.append(Violation(rule, "cease_medium", f"the borrower forbade {attempt.medium.value}"))
        elif (
            scope == CeaseScope.NUMBER
            and CeaseScope.NUMBER in rules.cease_scopes
            and attempt.number_key
            and request.number_key == attempt.number_key
        ):
            rule = book.cease_scoped_rule or rules.cease_rule
            found.append(Violation(rule, "cease_number", "the borrower forbade this number"))


def debtor_unreachable_for(history: tuple[PriorAttempt, ...], now: datetime) -> timedelta | None:
    """How long calls to the debtor have gone unanswered (None: reachable or never tried)."""
    last_connected: datetime | None = None
    for prior in history:
        if (
            prior.sent
            and prior.connected
            and prior.medium is Medium.CALL
            and prior.recipient_kind is RecipientKind.DEBTOR
            and (last_connected is None or prior.at > last_connected)
        ):
            last_connected = prior.at
    first_unanswered: datetime | None = None
    for prior in history:
        if (
            prior.sent
            and prior.medium is Medium.CALL
            and prior.recipient_kind is RecipientKind.DEBTOR
            and not prior.connected
            and (last_connected is None or prior.at > last_connected)
            and (first_unanswered is None or prior.at < first_unanswered)
        ):
            first_unanswered = prior.at
    return None if first_unanswered is None else now - first_unanswered


def check_recipient(
    attempt: Attempt, situation: Situation, rules: CollectionsProfile, book: RuleBook, found: list[Violation]
) -> None:
    if attempt.recipient_kind is RecipientKind.DEBTOR:
        return
    third = rules.third_party
    rule = third.rule
    if third.allowed is ThirdPartyAllowance.NONE:
        found.append(Violation(rule, "third_party_forbidden", "only the debtor may be contacted"))
        return
    if third.allowed is ThirdPartyAllowance.PRE_AGREED_CONTACT_WHEN_UNREACHABLE:
        person = situation.contact_person
        if attempt.recipient_kind is not RecipientKind.CONTACT_PERSON:
            found.append(Violation(rule, "not_a_contact_person", "not a contact person the debtor named in advance"))
            return
        if (
            person is None
            or person.contact_id != attempt.recipient_id
            or person.status is not ContactPersonStatus.CONFIRMED
        ):
            found.append(Violation(rule, "contact_not_confirmed", "the contact person has not confirmed themselves"))
        if third.unreachable_days > 0:
            gone = debtor_unreachable_for(situation.history, attempt.at)
            if gone is None or gone < timedelta(days=third.unreachable_days):
                found.append(
                    Violation(
                        rule,
                        "debtor_reachable",
                        f"the debtor has not been unreachable for {third.unreachable_days} days",
                    )
                )
    if attempt.template not in book.third_party_templates:
        found.append(Violation(rule, "third_party_template", f"template {attempt.template!r} is not allowed here"))
    sent_before = situation.prior_sent_to_recipient
    if sent_before is None:
        sent_before = sum(1 for p in situation.history if p.sent and p.recipient_id == attempt.recipient_id)
    if sent_before >= third.max_contacts_per_person:
        found.append(Violation(rule, "third_party_cap", f"this person was already contacted {sent_before} time(s)"))


def window_bounds(attempt: Attempt, situation: Situation, rules: CollectionsProfile) -> tuple[dtime, dtime]:
    start, end = rules.contact_window.start, rules.contact_window.end
    consent = situation.window_consent
    if consent is not None and rules.consent_may_widen_window and attempt.recipient_kind is RecipientKind.DEBTOR:
        # Consent only ever widens the window; it cannot be used to narrow the law's.
        start, end = min(start, consent.start), max(end, consent.end)
    return start, end


def check_window(attempt: Attempt, situation: Situation, rules: CollectionsProfile, found: list[Violation]) -> None:
    if attempt.medium is Medium.LETTER:
        return  # a letter arrives with the post, not at the hour it is written
    rule = rules.contact_window.rule
    local = attempt.at.astimezone(zone(attempt.recipient_tz))
    start, end = window_bounds(attempt, situation, rules)
    clock = local.time()
    if not (start <= clock < end):
        found.append(Violation(rule, "outside_window", f"{clock:%H:%M} local is outside {start:%H:%M}-{end:%H:%M}"))
    if local.weekday() in rules.blocked_weekdays:
        found.append(Violation(rule, "blocked_weekday", f"no contact on {local:%A}"))
    if rules.block_public_holidays and local.date() in situation.holidays:
        found.append(Violation(rule, "public_holiday", f"{local.date()} is a public holiday"))


def check_call_caps(attempt: Attempt, situation: Situation, rules: CollectionsProfile, found: list[Violation]) -> None:
    caps = rules.call_caps
    if not caps:
        return
    at = attempt.at
    calls = [p for p in situation.history if p.sent and p.medium is Medium.CALL and p.at <= at]
    tz: ZoneInfo | None = None
    for cap in caps:
        scope = cap.scope
        if scope is CapScope.PER_DEBTOR:
            if attempt.recipient_kind is not RecipientKind.DEBTOR:
                continue
            pool = [p for p in calls if p.recipient_kind is RecipientKind.DEBTOR]
        elif scope is CapScope.PER_NUMBER:
            if not attempt.number_key:
                continue
            pool = [p for p in calls if p.number_key == attempt.number_key]
        elif scope is CapScope.PER_DEBT:
            pool = [p for p in calls if p.loan_id == attempt.loan_id]
        else:
            pool = [p for p in calls if p.loan_id == attempt.loan_id and p.recipient_id == attempt.recipient_id]
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
            and prior.recipient_id == attempt.recipient_id
        ):
            found.append(
                Violation(rules.quiet_days_rule, "quiet_days", f"a conversation on {prior.at.astimezone(tz).date()}")
            )
            return


def check_content(attempt: Attempt, rules: CollectionsProfile, book: RuleBook, found: list[Violation]) -> None:
    threat, authority, abuse, debt, opt_out = content_findings(attempt.text, attempt.medium)
    if threat:
        found.append(Violation(book.threat_rule, "threat", "the message threatens or exposes the person"))
    if authority:
        found.append(Violation(book.authority_rule, "authority", "the message pretends to be an authority"))
    if abuse:
        found.append(Violation(book.abuse_rule, "abusive_words", "the message uses abusive words"))
    if debt and attempt.recipient_kind is not RecipientKind.DEBTOR:
        found.append(Violation(book.disclosure_rule, "debt_disclosed", "the message tells a third person of the debt"))
    if not opt_out and book.opt_out_rule:
        found.append(Violation(book.opt_out_rule, "no_opt_out", "the message has no simple opt-out"))


def retention_until(last_activity: date, profile: Profile) -> date:
    """The first day a collection record may be purged (CN-3 five years, US-13 three)."""
    years = profile.collections.record_retention_years
    try:
        return last_activity.replace(year=last_activity.year + years)
    except ValueError:  # 29 February
        return last_activity.replace(year=last_activity.year + years, day=28)
