"""Call caps and quiet days at their edges: local days, who is counted, and caps a profile may add.

Each blocked case names its rule and check code; its twin differs only at the edge.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from fairlend.collections.model import (
    Attempt,
    ContactPersonFacts,
    ContactPersonStatus,
    PriorAttempt,
    RecipientKind,
    Situation,
    Violation,
)
from fairlend.collections.policy import evaluate
from fairlend.jurisdiction.model import CallCap, CapCounting, CapScope, Profile
from tests.collections.helpers import CN, NEW_YORK, SHANGHAI, US, attempt, local, prior, situation

CN5 = ("CN-5", "call_cap_per_debtor")
CN6 = ("CN-6", "call_cap_per_number")
US2 = ("US-2", "quiet_days")
P8 = ("P-8", "number_is_debtor")
CONFIRMED = ContactPersonFacts("cp_1", ContactPersonStatus.CONFIRMED)


def found(a: Attempt, s: Situation, profile: Profile | None = None) -> set[tuple[str, str]]:
    chosen = profile or (CN if a.recipient_tz == SHANGHAI else US)
    return {(v.rule, v.check) for v in evaluate(a, s, chosen)}


def at(a: Attempt, when: datetime, **changes: object) -> PriorAttempt:
    return prior(a, a.at - when, **changes)


def with_caps(profile: Profile, *caps: CallCap) -> Profile:
    return replace(profile, collections=replace(profile.collections, call_caps=(*profile.collections.call_caps, *caps)))


# -- CN-5: connected calls to the debtor, whatever entry or number ---------------------


def test_cn5_connected_calls_to_the_debtors_number_under_another_entry_count_for_the_debtor() -> None:
    a = attempt(CN, at=local(SHANGHAI, 2026, 3, 2, 15))
    keys = frozenset({"num_debtor"})
    as_person = {"recipient_kind": RecipientKind.CONTACT_PERSON, "recipient_id": "cp_1", "connected": True}
    three = tuple(prior(a, timedelta(hours=h), **as_person) for h in (1, 2, 3))
    assert found(a, situation(history=three, debtor_keys=keys)) == {CN5}
    elsewhere = tuple(replace(p, number_key="num_cp") for p in three)
    assert found(a, situation(history=elsewhere, debtor_keys=keys)) == set()


def test_cn5_the_debtor_entered_as_a_contact_person_still_meets_the_debtors_cap() -> None:
    debtor = attempt(CN, at=local(SHANGHAI, 2026, 3, 2, 15))
    three = tuple(prior(debtor, timedelta(hours=h), connected=True) for h in (1, 2, 3))
    a = replace(debtor, recipient_kind=RecipientKind.CONTACT_PERSON, recipient_id="cp_1", template="restore_contact")
    keys = frozenset({"num_debtor"})
    assert found(a, situation(history=three, debtor_keys=keys)) == {P8, CN5}
    assert found(a, situation(history=three[:2], debtor_keys=keys)) == {P8}


def test_cn5_unanswered_calls_beside_connected_ones_do_not_count() -> None:
    a = attempt(CN, at=local(SHANGHAI, 2026, 3, 2, 15))
    two_and_one = (
        prior(a, timedelta(hours=1), connected=True),
        prior(a, timedelta(hours=2), connected=True),
        prior(a, timedelta(hours=3), connected=False),
    )
    assert found(a, situation(history=two_and_one)) == set()
    assert found(a, situation(history=tuple(replace(p, connected=True) for p in two_and_one))) == {CN5}


def test_cn5_a_call_at_local_midnight_is_today_and_one_a_second_earlier_is_yesterday() -> None:
    a = attempt(CN, at=local(SHANGHAI, 2026, 3, 2, 15))
    midnight = local(SHANGHAI, 2026, 3, 2, 0)
    two = tuple(prior(a, timedelta(hours=h), connected=True) for h in (1, 2))
    assert found(a, situation(history=(*two, at(a, midnight, connected=True)))) == {CN5}
    before = midnight - timedelta(seconds=1)
    assert found(a, situation(history=(*two, at(a, before, connected=True)))) == set()


def test_cn5_days_are_the_debtors_local_days_wherever_they_live() -> None:
    # 20:00 in New York is 01:00 the next day in UTC: the day is New York's.
    a = attempt(CN, at=local(NEW_YORK, 2026, 3, 2, 20), recipient_tz=NEW_YORK)
    this_morning = tuple(at(a, local(NEW_YORK, 2026, 3, 2, h), connected=True) for h in (9, 10, 11))
    assert found(a, situation(history=this_morning), CN) == {CN5}
    last_evening = tuple(at(a, local(NEW_YORK, 2026, 3, 1, 20, m), connected=True) for m in (0, 20, 40))
    assert found(a, situation(history=last_evening), CN) == set()


# -- CN-6: attempts to one number -------------------------------------------------------


def test_cn6_a_contact_persons_number_has_its_own_cap_after_the_debtors() -> None:
    a = replace(
        attempt(CN, at=local(SHANGHAI, 2026, 3, 2, 20)),
        recipient_kind=RecipientKind.CONTACT_PERSON,
        recipient_id="cp_1",
        number_key="num_cp",
        template="restore_contact",
        text="您好，这里是fairlend，请转告张三回电。",
    )
    unanswered = prior(a, timedelta(days=4), recipient_kind=RecipientKind.DEBTOR, number_key="num_debtor")
    six = tuple(prior(a, timedelta(minutes=10 * i)) for i in range(1, 7))
    s = situation(contact_person=CONFIRMED, prior_sent_to_person=0, history=(unanswered, *six))
    assert found(a, s) == {CN6}
    assert found(a, replace(s, history=(unanswered, *six[:5]))) == set()


def test_cn6_yesterdays_attempts_make_the_pool_but_not_the_count() -> None:
    a = attempt(CN, at=local(SHANGHAI, 2026, 3, 2, 20))
    five = tuple(prior(a, timedelta(minutes=10 * i)) for i in range(1, 6))
    yesterday = prior(a, timedelta(days=1))
    assert found(a, situation(history=(*five, yesterday))) == set()
    assert found(a, situation(history=(*five, prior(a, timedelta(minutes=70))))) == {CN6}


def test_cn6_an_attempt_at_local_midnight_is_today() -> None:
    a = attempt(CN, at=local(SHANGHAI, 2026, 3, 2, 20))
    five = tuple(prior(a, timedelta(minutes=10 * i)) for i in range(1, 6))
    midnight = local(SHANGHAI, 2026, 3, 2, 0)
    assert found(a, situation(history=(*five, at(a, midnight)))) == {CN6}
    assert found(a, situation(history=(*five, at(a, midnight - timedelta(seconds=1))))) == set()


# -- caps a profile may add (state overlays): per debt, and after a per-number cap ----------

PER_DEBT = CallCap("US-15", 2, 7, CapScope.PER_DEBT, CapCounting.ATTEMPTS)


def test_a_per_debt_cap_counts_calls_to_anyone_about_the_debt_and_only_that_debt() -> None:
    profile = with_caps(US, PER_DEBT)
    a = attempt(US, at=local(NEW_YORK, 2026, 3, 9, 12))
    neighbour = {"recipient_kind": RecipientKind.THIRD_PARTY, "recipient_id": "tp:n", "number_key": "num_n"}
    about_this_debt = (prior(a, timedelta(days=1), **neighbour), prior(a, timedelta(days=2), **neighbour))
    assert found(a, situation(history=about_this_debt), profile) == {("US-15", "call_cap_per_debt")}
    about_another = tuple(replace(p, loan_id="loan_2") for p in about_this_debt)
    assert found(a, situation(history=about_another), profile) == set()


def test_us1_a_per_person_cap_does_not_count_calls_to_others_about_the_same_debt() -> None:
    a = attempt(US, at=local(NEW_YORK, 2026, 3, 9, 12))
    neighbour = {"recipient_kind": RecipientKind.THIRD_PARTY, "recipient_id": "tp:n", "number_key": "num_n"}
    seven = tuple(prior(a, timedelta(days=i, hours=1), **neighbour) for i in range(7))
    assert found(a, situation(history=seven)) == set()
    assert found(a, situation(history=tuple(prior(a, timedelta(days=i, hours=1)) for i in range(7)))) == {
        ("US-1", "call_cap_per_person_per_debt")
    }


def test_a_cap_after_the_per_number_cap_still_binds_a_call_with_no_number() -> None:
    profile = with_caps(CN, PER_DEBT)  # CN's caps end with CN-6 per number
    a = attempt(CN, at=local(SHANGHAI, 2026, 3, 2, 15), number_key="")
    two = (prior(a, timedelta(hours=1)), prior(a, timedelta(hours=2)))
    assert found(a, situation(history=two), profile) == {("US-15", "call_cap_per_debt")}
    assert found(a, situation(history=two[:1]), profile) == set()


# -- US-2: quiet days after a conversation ---------------------------------------------------


def test_us2_the_seven_days_are_the_debtors_local_days_and_the_words_name_the_local_day() -> None:
    a = attempt(US, at=local(NEW_YORK, 2026, 3, 9, 20))  # 01:00 on the 10th in UTC
    day_7 = at(a, local(NEW_YORK, 2026, 3, 3, 20, 30), connected=True, conversation=True)  # 01:30 UTC on the 4th
    assert evaluate(a, situation(history=(day_7,)), US) == (
        Violation("US-2", "quiet_days", "a conversation on 2026-03-03"),
    )
    day_8 = at(a, local(NEW_YORK, 2026, 3, 2, 20, 30), connected=True, conversation=True)
    assert found(a, situation(history=(day_8,))) == set()


def test_us2_a_conversation_at_local_midnight_of_day_7_blocks_and_one_a_second_before_does_not() -> None:
    a = attempt(US, at=local(NEW_YORK, 2026, 3, 9, 12))
    midnight = local(NEW_YORK, 2026, 3, 3, 0)
    assert found(a, situation(history=(at(a, midnight, connected=True, conversation=True),))) == {US2}
    before = midnight - timedelta(seconds=1)
    assert found(a, situation(history=(at(a, before, connected=True, conversation=True),))) == set()


def test_us2_a_conversation_logged_at_this_very_moment_blocks_and_one_after_it_does_not() -> None:
    a = attempt(US, at=local(NEW_YORK, 2026, 3, 9, 12))
    assert found(a, situation(history=(at(a, a.at, connected=True, conversation=True),))) == {US2}
    later = a.at + timedelta(seconds=1)
    assert found(a, situation(history=(at(a, later, connected=True, conversation=True),))) == set()


def test_one_quiet_day_keeps_the_rest_of_the_conversations_day_quiet() -> None:
    one_day = replace(US, collections=replace(US.collections, quiet_days_after_conversation=1))
    a = attempt(US, at=local(NEW_YORK, 2026, 3, 9, 15))
    this_morning = at(a, local(NEW_YORK, 2026, 3, 9, 9), connected=True, conversation=True)
    assert found(a, situation(history=(this_morning,)), one_day) == {US2}
    yesterday = at(a, local(NEW_YORK, 2026, 3, 8, 15), connected=True, conversation=True)
    assert found(a, situation(history=(yesterday,)), one_day) == set()
