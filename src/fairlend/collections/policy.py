"""The contact policy: plain functions from an attempt to its violations.

`evaluate(attempt, situation, profile)` returns every rule the attempt would
break, each naming its RULES.md id; an empty tuple means the attempt may go.
Every number, word and template comes from the jurisdiction profile
(`CollectionsProfile`, its `content` section included); only fairlend's own
policy ids P-1, P-2 and P-8 are constants here (P-3 and P-10, the pauses, in pauses.py;
the window, caps and quiet days, in the recipient's local time, in hours.py; who an
attempt reaches, P-8, in persons.py).

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

from datetime import date, datetime, timedelta

from fairlend.collections.content import ContentRules, content_rules
from fairlend.collections.hours import check_call_caps, check_quiet_days, check_window
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
from fairlend.collections.persons import is_debtor, reaches_debtor, same_person
from fairlend.jurisdiction.model import (
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
