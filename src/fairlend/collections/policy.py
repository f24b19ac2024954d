"""The contact policy: plain functions from an attempt to its violations.

`evaluate(attempt, situation, profile)` returns every rule the attempt would
break, each naming its RULES.md id; an empty tuple means the attempt may go.
Every number, word and template comes from the jurisdiction profile
(`CollectionsProfile`, its `content` section included); only fairlend's own
policy ids P-1, P-2 and P-8 are constants here (P-3 and P-10, the pauses, in pauses.py).

Two ideas run through the checks:
- A contact is *collection* when it is a collector's own words or a template
  for collection or for a third party. Reminders, legal notices and answers
  to the borrower's own requests are not: the start day (P-7) and a pause
  (P-3, a hardship request under P-10) hold back only collection. A kept
  hardship plan holds back everything about the loan but its reminders (P-10).
- A person is a number (P-8). Caps, "once", and quiet days follow the keyed
  number wherever it appears; an entry carrying one of the debtor's own
  numbers is the debtor and is refused as anyone else.

These run on every attempt at the moment of sending, so they are written to
be cheap: one time-zone conversion per check, no allocation per prior attempt.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from functools import lru_cache
from zoneinfo import ZoneInfo

from fairlend.collections.content import ContentRules, content_rules
from fairlend.collections.model import (
    PHONE_MEDIA,
    Attempt,
    ContactPersonStatus,
    LoanState,
    Medium,
    PriorAttempt,
    RecipientKind,
    Situation,
    Violation,
)
from fairlend.collections.pauses import COLLECTION_PURPOSES, check_hardship, check_paused
from fairlend.jurisdiction.model import (
    CapCounting,
    CapScope,
    CeaseScope,
    CollectionsProfile,
    Profile,
    TemplatePurpose,
    ThirdPartyAllowance,
)

P_ADDRESS_BOOK = "P-1"
P_SETTLED = "P-2"
P_PERSON_IS_A_NUMBER = "P-8"

# What may go to anyone but the debtor (P-9): third-party templates, and a contact person's consent request.
NOT_DEBTOR_PURPOSES = frozenset({TemplatePurpose.THIRD_PARTY, TemplatePurpose.CONSENT_REQUEST})


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=4096)
def local_midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, dtime(0), tzinfo=tz).astimezone(UTC)


def evaluate(attempt: Attempt, situation: Situation, profile: Profile) -> tuple[Violation, ...]:
    """Every rule this attempt would break, now; empty when it may go."""
    rules = profile.collections
    return evaluate_with(attempt, situation, rules, content_rules(rules.content))


def purpose_of(attempt: Attempt, rules: CollectionsProfile) -> TemplatePurpose | None:
    """The template's purpose; None for free text (or a template the profile does not have)."""
    if attempt.free_text:
        return None
    template = rules.content.template(attempt.template)
    return None if template is None else template.purpose


def is_collection(attempt: Attempt, purpose: TemplatePurpose | None) -> bool:
    return purpose is None or purpose in COLLECTION_PURPOSES


def evaluate_with(
    attempt: Attempt, situation: Situation, rules: CollectionsProfile, content: ContentRules
) -> tuple[Violation, ...]:
    found: list[Violation] = []
    purpose = purpose_of(attempt, rules)
    if attempt.about_loan:
        check_settled(attempt, situation, found)
        check_hardship(situation, purpose, rules, found)
        if is_collection(attempt, purpose):
            check_paused(situation, found)
            check_start_day(situation, rules, found)
    check_cease(attempt, situation, rules, purpose, found)
    check_person(attempt, situation, found)
    check_recipient(attempt, situation, rules, purpose, found)
    check_window(attempt, situation, rules, found)
    if attempt.medium is Medium.CALL:
        check_call_caps(attempt, situation, rules, found)
        check_quiet_days(attempt, situation, rules, found)
    check_content(attempt, situation, content, found)
    return tuple(found)


def check_settled(attempt: Attempt, situation: Situation, found: list[Violation]) -> None:
    # P-2: checked at the moment of sending, whatever was planned earlier.
    if situation.loan_state is LoanState.SETTLED:
        found.append(Violation(P_SETTLED, "loan_settled", f"loan {attempt.loan_id} is settled"))


def check_start_day(situation: Situation, rules: CollectionsProfile, found: list[Violation]) -> None:
    # P-7: at the moment of sending, not only when the plan was made.
    if situation.days_past_due <= rules.collection_start_dpd:
        found.append(
            Violation(
                rules.collection_start_rule,
                "before_collection_start",
                f"{situation.days_past_due} day(s) overdue; collection starts after {rules.collection_start_dpd}",
            )
        )


def check_cease(
    attempt: Attempt,
    situation: Situation,
    rules: CollectionsProfile,
    purpose: TemplatePurpose | None,
    found: list[Violation],
) -> None:
    for request in situation.cease_requests:
        if request.loan_id is not None and request.loan_id != attempt.loan_id:
            continue
        scope = request.scope
        if scope == CeaseScope.ALL and CeaseScope.ALL in rules.cease_scopes:
            if purpose is None or purpose not in rules.cease_exempt_purposes:
                found.append(Violation(rules.cease_rule, "cease_all", "the borrower asked to stop all contact"))
        elif scope == CeaseScope.MEDIUM and CeaseScope.MEDIUM in rules.cease_scopes:
            if request.medium is attempt.medium:
                found.append(
                    Violation(rules.cease_scoped_rule, "cease_medium", f"the borrower forbade {attempt.medium.value}")
                )
        elif (
            scope == CeaseScope.NUMBER
            and CeaseScope.NUMBER in rules.cease_scopes
            and attempt.number_key
            and request.number_key == attempt.number_key
        ):
            found.append(Violation(rules.cease_scoped_rule, "cease_number", "the borrower forbade this number"))


def is_debtor(kind: RecipientKind, number_key: str, debtor_keys: frozenset[str]) -> bool:
    return kind is RecipientKind.DEBTOR or (bool(number_key) and number_key in debtor_keys)


def same_person(prior: PriorAttempt, attempt: Attempt, debtor_keys: frozenset[str]) -> bool:
    """P-8: a number is one person wherever it appears, and the debtor is one person whatever the entry.

    So calls to a number count for whoever is reached on it now, even if it was the
    debtor's before; and calls to the debtor count whichever of their numbers was used.
    """
    if prior.number_key and prior.number_key == attempt.number_key:
        return True
    prior_debtor = is_debtor(prior.recipient_kind, prior.number_key, debtor_keys)
    attempt_debtor = is_debtor(attempt.recipient_kind, attempt.number_key, debtor_keys)
    if prior_debtor or attempt_debtor:
        return prior_debtor and attempt_debtor
    if prior.number_key and attempt.number_key:
        return False
    return prior.recipient_id == attempt.recipient_id


def reaches_debtor(attempt: Attempt, situation: Situation) -> bool:
    """The person this attempt reaches is the debtor: as the debtor, or on one of the debtor's numbers."""
    return is_debtor(attempt.recipient_kind, attempt.number_key, situation.debtor_keys)


def check_person(attempt: Attempt, situation: Situation, found: list[Violation]) -> None:
    # P-8: the debtor's own number entered as a contact person or third party is still the debtor,
    # and the rules for the debtor cannot be left behind by entering them as somebody else.
    if (
        attempt.recipient_kind is not RecipientKind.DEBTOR
        and attempt.number_key
        and attempt.number_key in situation.debtor_keys
    ):
        found.append(Violation(P_PERSON_IS_A_NUMBER, "number_is_debtor", "this number is the debtor's own"))


def debtor_unreachable_for(
    history: tuple[PriorAttempt, ...], now: datetime, debtor_keys: frozenset[str] = frozenset()
) -> timedelta | None:
    """How long calls to the debtor have gone unanswered (None: reachable or never tried)."""
    last_connected: datetime | None = None
    first_unanswered: datetime | None = None
    for prior in history:
        if not (
            prior.sent
            and prior.medium is Medium.CALL
            and is_debtor(prior.recipient_kind, prior.number_key, debtor_keys)
        ):
            continue
        if prior.connected and (last_connected is None or prior.at > last_connected):
            last_connected = prior.at
    for prior in history:
        if (
            prior.sent
            and prior.medium is Medium.CALL
            and not prior.connected
            and is_debtor(prior.recipient_kind, prior.number_key, debtor_keys)
            and (last_connected is None or prior.at > last_connected)
            and (first_unanswered is None or prior.at < first_unanswered)
        ):
            first_unanswered = prior.at
    return None if first_unanswered is None else now - first_unanswered


def check_recipient(
    attempt: Attempt,
    situation: Situation,
    rules: CollectionsProfile,
    purpose: TemplatePurpose | None,
    found: list[Violation],
) -> None:
    if reaches_debtor(attempt, situation):
        return  # the debtor, however entered (P-8 refuses the entry itself): the rules for others do not apply
    # P-9: anyone but the debtor gets an approved template for them, never a collector's own words.
    content_rule = rules.content.third_party_rule
    if attempt.free_text:
        found.append(
            Violation(content_rule, "free_text_to_third_party", "a collector's own words go only to the debtor")
        )
    elif purpose not in NOT_DEBTOR_PURPOSES:
        found.append(
            Violation(content_rule, "third_party_template", f"template {attempt.template!r} is not for third parties")
        )
    third = rules.third_party
    rule = third.rule
    if attempt.medium not in PHONE_MEDIA:
        found.append(Violation(rule, "third_party_medium", "a person other than the debtor is reached only by phone"))
    if purpose is TemplatePurpose.CONSENT_REQUEST:
        # Asking a named contact person to confirm: about no loan, only to the person being named.
        person = situation.contact_person
        if attempt.recipient_kind is not RecipientKind.CONTACT_PERSON or person is None:
            found.append(
                Violation(content_rule, "consent_not_a_contact_person", "only a named contact person is asked")
            )
        return
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
            calls = situation.history if situation.debtor_calls is None else situation.debtor_calls
            gone = debtor_unreachable_for(calls, attempt.at, situation.debtor_keys)
            if gone is None or gone < timedelta(days=third.unreachable_days):
                found.append(
                    Violation(
                        rule,
                        "debtor_reachable",
                        f"the debtor has not been unreachable for {third.unreachable_days} days",
                    )
                )
    sent_before = situation.prior_sent_to_person
    if sent_before is None:
        sent_before = sum(
            1
            for p in situation.history
            if p.sent
            and p.loan_id
            and p.recipient_kind is not RecipientKind.DEBTOR
            and same_person(p, attempt, situation.debtor_keys)
        )
    if sent_before >= third.max_contacts_per_person:
        found.append(Violation(rule, "third_party_cap", f"this person was already contacted {sent_before} time(s)"))


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


def check_content(attempt: Attempt, situation: Situation, content: ContentRules, found: list[Violation]) -> None:
    findings = content.findings(attempt.text)
    for prohibited in findings.prohibited:
        found.append(Violation(prohibited.rule, prohibited.category, f"the message carries {prohibited.category}"))
    if findings.tells_of_debt and not reaches_debtor(attempt, situation):
        rule = content.content.disclosure_rule
        found.append(Violation(rule, "debt_disclosed", "the message tells someone other than the debtor of the debt"))
    if content.needs_opt_out(attempt.medium) and not findings.has_opt_out:
        found.append(Violation(content.content.opt_out.rule, "no_opt_out", "the message has no simple opt-out"))


def retention_until(last_activity: date, profile: Profile) -> date:
    """The first day a collection record may be purged (CN-3 five years, US-13 three)."""
    years = profile.collections.record_retention_years
    try:
        return last_activity.replace(year=last_activity.year + years)
    except ValueError:  # 29 February
        return last_activity.replace(year=last_activity.year + years, day=28)
