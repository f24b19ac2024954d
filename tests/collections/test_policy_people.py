"""P-8 in the policy: a person is a number, the debtor is one person whatever the entry.

Each case is the edge where a slip in `same_person`, `is_debtor` or
`debtor_unreachable_for` would change who is counted: it is blocked with its
rule id and check code, and its twin, differing only in that edge, goes through.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from fairlend.collections.model import (
    Attempt,
    ContactPersonFacts,
    ContactPersonStatus,
    Medium,
    PriorAttempt,
    RecipientKind,
    Situation,
)
from fairlend.collections.policy import evaluate
from fairlend.jurisdiction.model import Profile
from tests.collections.helpers import CN, NEW_YORK, SHANGHAI, US, attempt, local, prior, situation

DAY = timedelta(days=1)
CONFIRMED = ContactPersonFacts("cp_1", ContactPersonStatus.CONFIRMED)
DEBTOR_KEYS = frozenset({"home", "mobile"})  # the debtor's own numbers; "work" is not one of them
US1 = ("US-1", "call_cap_per_person_per_debt")
US6 = ("US-6", "third_party_cap")
CN1_ONCE = ("CN-1", "third_party_cap")
CN1_REACHABLE = ("CN-1", "debtor_reachable")
P8 = ("P-8", "number_is_debtor")


def found(a: Attempt, s: Situation, profile: Profile | None = None) -> set[tuple[str, str]]:
    chosen = profile or (CN if a.recipient_tz == SHANGHAI else US)
    return {(v.rule, v.check) for v in evaluate(a, s, chosen)}


def _us_call(kind: RecipientKind, key: str) -> Attempt:
    rid = "brw_1" if kind is RecipientKind.DEBTOR else f"tp:{key}"
    return attempt(US, at=local(NEW_YORK, 2026, 3, 9, 12), recipient_kind=kind, recipient_id=rid, number_key=key)


def _calls(to: Attempt, n: int) -> tuple[PriorAttempt, ...]:
    return tuple(prior(to, timedelta(days=i, hours=1)) for i in range(n))


# -- US-1 counts the person, whichever number or entry reached them ------------------

D, T = RecipientKind.DEBTOR, RecipientKind.THIRD_PARTY


@pytest.mark.parametrize(
    ("earlier", "now", "also"),
    [
        ((D, "work"), (D, "home"), set()),  # the debtor on a number of theirs not on file, then on file
        ((D, "home"), (D, "work"), set()),  # and the other way round
        ((T, "mobile"), (D, "home"), set()),  # the debtor's number typed as a third party
        ((D, "home"), (T, "mobile"), {P8}),  # ... and now the debtor called that way
    ],
    ids=["work-then-home", "home-then-work", "as-third-party-then-debtor", "debtor-then-as-third-party"],
)
def test_us1_seven_calls_to_the_debtor_block_the_eighth_however_each_was_entered(
    earlier: tuple[RecipientKind, str], now: tuple[RecipientKind, str], also: set[tuple[str, str]]
) -> None:
    before, a = _us_call(*earlier), _us_call(*now)
    assert found(a, situation(history=_calls(before, 7), debtor_keys=DEBTOR_KEYS)) == {US1} | also
    assert found(a, situation(history=_calls(before, 6), debtor_keys=DEBTOR_KEYS)) == also


def test_us1_calls_to_someone_else_on_another_number_do_not_count_for_the_debtor() -> None:
    neighbour = _us_call(T, "neighbour")
    assert found(_us_call(D, "home"), situation(history=_calls(neighbour, 7), debtor_keys=DEBTOR_KEYS)) == set()


# -- the third-party "once" without a number: the entry, unless the debtor was reached ----


def _cn_person(**changes: object) -> Attempt:
    base = attempt(
        CN,
        recipient_kind=RecipientKind.CONTACT_PERSON,
        recipient_id="cp_1",
        number_key="num_cp",
        template="restore_contact",
        text="您好，这里是fairlend，请转告张三回电。",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _debtor_unanswered(days: float, **changes: object) -> PriorAttempt:
    debtor = _cn_person(recipient_kind=RecipientKind.DEBTOR, recipient_id="brw_1", number_key="num_debtor")
    return prior(debtor, timedelta(days=days), **changes)


def test_cn1_a_contact_person_without_a_number_is_counted_by_their_entry() -> None:
    a = _cn_person(number_key="")
    same_entry = prior(a, DAY, number_key="")
    s = situation(contact_person=CONFIRMED, history=(_debtor_unanswered(4), same_entry))
    assert found(a, s) == {CN1_ONCE}
    other_entry = prior(a, DAY, number_key="", recipient_id="cp_2")
    assert found(a, replace(s, history=(_debtor_unanswered(4), other_entry))) == set()


def test_cn1_an_entry_reached_on_a_number_counts_when_it_is_tried_again_without_one() -> None:
    a = _cn_person(number_key="")
    s = situation(contact_person=CONFIRMED, history=(_debtor_unanswered(4), prior(a, DAY, number_key="num_cp")))
    assert found(a, s) == {CN1_ONCE}


def test_us6_whoever_answered_the_debtors_number_was_the_debtor_not_a_third_party() -> None:
    a = attempt(
        US,
        recipient_kind=RecipientKind.THIRD_PARTY,
        recipient_id="tp:1",
        number_key="",
        template="location_inquiry",
        text="Hello, this is fairlend. We are trying to confirm contact details for Sam. Reply STOP to opt out.",
    )
    on_debtors_number = prior(a, DAY, number_key="home")
    assert found(a, situation(history=(on_debtors_number,), debtor_keys=DEBTOR_KEYS)) == set()
    on_another_number = prior(a, DAY, number_key="work")
    assert found(a, situation(history=(on_another_number,), debtor_keys=DEBTOR_KEYS)) == {US6}


# -- CN-1: how long the debtor has been unreachable ----------------------------------


def _unreachable_case(*history: PriorAttempt) -> Situation:
    return situation(
        contact_person=CONFIRMED, history=history, prior_sent_to_person=0, debtor_keys=frozenset({"num_debtor"})
    )


def test_cn1_a_later_answered_call_makes_the_debtor_reachable_whatever_came_first_in_the_log() -> None:
    a = _cn_person()
    text_first = _debtor_unanswered(5, medium=Medium.SMS)  # not a call: skipped, not the end of the log
    answered = _debtor_unanswered(1, connected=True)
    assert found(a, _unreachable_case(text_first, _debtor_unanswered(4), answered)) == {CN1_REACHABLE}
    assert found(a, _unreachable_case(text_first, _debtor_unanswered(4))) == set()


def test_cn1_a_call_the_contact_person_answered_does_not_make_the_debtor_reachable() -> None:
    a = _cn_person()
    answered_by_person = prior(a, DAY, connected=True)
    assert found(a, _unreachable_case(_debtor_unanswered(4), answered_by_person)) == set()
    assert found(a, _unreachable_case(_debtor_unanswered(4), _debtor_unanswered(1, connected=True))) == {CN1_REACHABLE}


def test_cn1_calls_to_the_debtors_number_under_another_entry_are_calls_to_the_debtor() -> None:
    a = _cn_person()
    as_third_party = {"recipient_kind": RecipientKind.THIRD_PARTY, "recipient_id": "tp:1"}
    answered = _debtor_unanswered(1, connected=True, **as_third_party)
    assert found(a, _unreachable_case(_debtor_unanswered(4), answered)) == {CN1_REACHABLE}
    answered_elsewhere = replace(answered, number_key="num_other")
    assert found(a, _unreachable_case(_debtor_unanswered(4), answered_elsewhere)) == set()
    unanswered = _debtor_unanswered(4, **as_third_party)
    assert found(a, _unreachable_case(unanswered)) == set()
    assert found(a, _unreachable_case(replace(unanswered, number_key="num_other"))) == {CN1_REACHABLE}


def test_cn1_an_unanswered_call_at_the_moment_of_an_answered_one_is_not_after_it() -> None:
    a = _cn_person()
    answered = _debtor_unanswered(5, connected=True)
    same_moment = _debtor_unanswered(5, number_key="mobile")
    assert found(a, _unreachable_case(answered, same_moment)) == {CN1_REACHABLE}
    a_minute_later = replace(same_moment, at=same_moment.at + timedelta(minutes=1))
    assert found(a, _unreachable_case(answered, a_minute_later)) == set()


# -- what a profile may set: how long unreachable, how many contacts per person ----------


def _cn_third_party(**changes: object) -> Profile:
    rules = CN.collections
    return replace(CN, collections=replace(rules, third_party=replace(rules.third_party, **changes)))


def test_cn1_with_no_unreachable_days_a_confirmed_contact_person_may_be_asked_at_once() -> None:
    at_once = _cn_third_party(unreachable_days=0)
    s = situation(contact_person=CONFIRMED, prior_sent_to_person=0)  # the debtor never tried
    assert found(_cn_person(), s, at_once) == set()
    assert found(_cn_person(), s, CN) == {CN1_REACHABLE}


def test_cn1_one_unreachable_day_is_still_a_day_to_wait() -> None:
    one_day = _cn_third_party(unreachable_days=1)
    a = _cn_person()
    hours_ago = situation(contact_person=CONFIRMED, prior_sent_to_person=0, history=(_debtor_unanswered(5 / 24),))
    assert found(a, hours_ago, one_day) == {CN1_REACHABLE}
    a_day_ago = replace(hours_ago, history=(_debtor_unanswered(1),))
    assert found(a, a_day_ago, one_day) == set()


def test_cn1_a_profile_allowing_two_contacts_counts_each_sent_one_once() -> None:
    twice = _cn_third_party(max_contacts_per_person=2)
    a = _cn_person()
    one = situation(contact_person=CONFIRMED, history=(_debtor_unanswered(4), prior(a, DAY)))
    assert found(a, one, twice) == set()
    two = replace(one, history=(*one.history, prior(a, 2 * DAY)))
    assert found(a, two, twice) == {CN1_ONCE}


def test_cn1_a_blocked_attempt_to_the_contact_person_does_not_use_up_their_once() -> None:
    a = _cn_person()
    blocked = situation(contact_person=CONFIRMED, history=(_debtor_unanswered(4), prior(a, DAY, sent=False)))
    assert found(a, blocked) == set()
    sent = replace(blocked, history=(_debtor_unanswered(4), prior(a, DAY)))
    assert found(a, sent) == {CN1_ONCE}
