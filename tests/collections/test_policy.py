"""One test per rule id, both sides: the attempt that may go and the one that may not."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from fairlend.collections.model import (
    CeaseRequest,
    ContactPersonFacts,
    ContactPersonStatus,
    LoanState,
    Medium,
    RecipientKind,
    WindowConsent,
)
from fairlend.collections.policy import evaluate, is_collection, purpose_of, retention_until
from fairlend.jurisdiction.model import CallCap, CapCounting, CapScope, ContactWindow
from tests.collections.helpers import CN, NEW_YORK, SHANGHAI, US, attempt, check, local, prior, situation

DAY = timedelta(days=1)


def _contact_person_attempt(**changes: object):  # type: ignore[no-untyped-def]
    base = attempt(
        CN,
        recipient_kind=RecipientKind.CONTACT_PERSON,
        recipient_id="cp_1",
        number_key="num_cp",
        template="restore_contact",
        text="您好，这里是fairlend，请转告张三回电。",
    )
    return replace(base, **changes)


def _unreachable_history(a, days: int):  # type: ignore[no-untyped-def]
    debtor_call = replace(a, recipient_kind=RecipientKind.DEBTOR, recipient_id="brw_1", number_key="num_debtor")
    return (prior(debtor_call, timedelta(days=days), connected=False),)


CONFIRMED = ContactPersonFacts("cp_1", ContactPersonStatus.CONFIRMED)


# -- P-2 ---------------------------------------------------------------------------


def test_a_settled_loan_blocks_every_contact_with_p2() -> None:
    assert "P-2" in check(attempt(), situation(loan_state=LoanState.SETTLED))
    assert "P-2" in check(attempt(medium=Medium.LETTER), situation(loan_state=LoanState.SETTLED))


def test_an_active_loan_lets_a_clean_call_to_the_debtor_go() -> None:
    assert check(attempt()) == set()
    assert check(attempt(US)) == set()


def test_a_charged_off_loan_may_still_be_collected() -> None:
    assert "P-2" not in check(attempt(), situation(loan_state=LoanState.CHARGED_OFF))


# -- P-3 ---------------------------------------------------------------------------


def test_an_open_dispute_or_complaint_pauses_contact_with_p3() -> None:
    assert check(attempt(), situation(open_dispute=True)) == {"P-3"}
    assert check(attempt(), situation(open_complaint=True)) == {"P-3"}
    assert check(attempt(), situation(open_dispute=False, open_complaint=False)) == set()


# -- CN-1 --------------------------------------------------------------------------


def test_cn1_a_confirmed_contact_person_may_be_asked_to_restore_contact_when_the_debtor_is_unreachable() -> None:
    a = _contact_person_attempt()
    s = situation(contact_person=CONFIRMED, history=_unreachable_history(a, 3), prior_sent_to_person=0)
    assert check(a, s) == set()


def test_cn1_an_unconfirmed_contact_person_is_never_reached() -> None:
    a = _contact_person_attempt()
    pending = ContactPersonFacts("cp_1", ContactPersonStatus.PENDING)
    s = situation(contact_person=pending, history=_unreachable_history(a, 5), prior_sent_to_person=0)
    assert check(a, s) == {"CN-1"}


def test_cn1_a_contact_person_is_not_reached_while_the_debtor_is_reachable() -> None:
    a = _contact_person_attempt()
    assert check(a, situation(contact_person=CONFIRMED, history=_unreachable_history(a, 2))) == {"CN-1"}
    assert check(a, situation(contact_person=CONFIRMED, history=())) == {"CN-1"}
    debtor = replace(a, recipient_kind=RecipientKind.DEBTOR, recipient_id="brw_1")
    answered = (*_unreachable_history(a, 5), prior(debtor, DAY, connected=True))
    assert check(a, situation(contact_person=CONFIRMED, history=answered)) == {"CN-1"}


def test_cn1_a_contact_person_hears_only_the_restore_contact_template_and_never_the_debt() -> None:
    history = _unreachable_history(_contact_person_attempt(), 4)
    s = situation(contact_person=CONFIRMED, history=history, prior_sent_to_person=0)
    # P-9: a collection template is not for a contact person at all.
    assert check(_contact_person_attempt(template="collection"), s) == {"P-9"}
    told = _contact_person_attempt(text="请转告张三，他的借款已逾期，尽快还款。")
    assert check(told, s) == {"CN-1"}


def test_cn1_a_contact_person_is_reached_at_most_the_profiles_number_of_times() -> None:
    a = _contact_person_attempt()
    history = _unreachable_history(a, 4)
    limit = CN.collections.third_party.max_contacts_per_person
    assert check(a, situation(contact_person=CONFIRMED, history=history, prior_sent_to_person=limit - 1)) == set()
    assert check(a, situation(contact_person=CONFIRMED, history=history, prior_sent_to_person=limit)) == {"CN-1"}


def test_cn1_anyone_not_named_in_advance_is_never_reached() -> None:
    a = attempt(CN, recipient_kind=RecipientKind.THIRD_PARTY, recipient_id="tp:x", template="restore_contact")
    assert check(a, situation(history=_unreachable_history(a, 10))) == {"CN-1"}


# -- CN-5 --------------------------------------------------------------------------


def test_cn5_no_collection_between_22_and_8_in_the_debtors_local_time() -> None:
    assert check(attempt(at=local(SHANGHAI, 2026, 3, 2, 21, 59))) == set()
    assert check(attempt(at=local(SHANGHAI, 2026, 3, 2, 8, 0))) == set()
    assert check(attempt(at=local(SHANGHAI, 2026, 3, 2, 22, 0))) == {"CN-5"}
    assert check(attempt(at=local(SHANGHAI, 2026, 3, 2, 7, 59))) == {"CN-5"}
    # The window is the recipient's: noon in Shanghai is 23:00 the evening before in New York.
    far = attempt(at=local(SHANGHAI, 2026, 3, 2, 12), recipient_tz=NEW_YORK)
    assert check(far, profile=CN) == {"CN-5"}


def test_cn5_the_debtors_consent_widens_the_window_but_not_for_anyone_else() -> None:
    late = attempt(at=local(SHANGHAI, 2026, 3, 2, 22, 30))
    consent = WindowConsent(time(7, 0), time(23, 0))
    assert check(late, situation(window_consent=consent)) == set()
    narrow = WindowConsent(time(12, 0), time(13, 0))
    assert check(attempt(at=local(SHANGHAI, 2026, 3, 2, 10)), situation(window_consent=narrow)) == set()
    cp = _contact_person_attempt(at=local(SHANGHAI, 2026, 3, 2, 22, 30))
    s = situation(window_consent=consent, contact_person=CONFIRMED, history=_unreachable_history(cp, 4))
    assert check(cp, s) == {"CN-5"}


def test_cn5_at_most_3_connected_calls_a_day_to_the_debtor() -> None:
    a = attempt(at=local(SHANGHAI, 2026, 3, 2, 15))
    two = tuple(prior(a, timedelta(hours=h), connected=True, number_key=f"n{h}") for h in (1, 2))
    assert check(a, situation(history=two)) == set()
    three = tuple(prior(a, timedelta(hours=h), connected=True, number_key=f"n{h}") for h in (1, 2, 3))
    assert check(a, situation(history=three)) == {"CN-5"}
    # Unanswered attempts do not count against the connected cap; yesterday's calls do not either.
    unanswered = tuple(prior(a, timedelta(hours=h), connected=False, number_key=f"n{h}") for h in (1, 2, 3))
    assert check(a, situation(history=unanswered)) == set()
    yesterday = tuple(prior(a, timedelta(hours=h), connected=True, number_key=f"n{h}") for h in (16, 17, 18))
    assert check(a, situation(history=yesterday)) == set()


def test_cn5_blocked_attempts_are_not_calls() -> None:
    a = attempt(at=local(SHANGHAI, 2026, 3, 2, 15))
    blocked = tuple(prior(a, timedelta(hours=h), sent=False, connected=True) for h in (1, 2, 3))
    assert check(a, situation(history=blocked)) == set()


# -- CN-6 --------------------------------------------------------------------------


def test_cn6_at_most_6_call_attempts_a_day_to_one_number() -> None:
    a = attempt(at=local(SHANGHAI, 2026, 3, 2, 20))
    five = tuple(prior(a, timedelta(minutes=10 * i)) for i in range(1, 6))
    assert check(a, situation(history=five)) == set()
    six = tuple(prior(a, timedelta(minutes=10 * i)) for i in range(1, 7))
    assert check(a, situation(history=six)) == {"CN-6"}
    assert check(replace(a, number_key="another"), situation(history=six)) == set()


def test_cn6_no_threats_no_exposure_no_pretending_to_be_an_authority() -> None:
    assert check(attempt(text="再不还钱就爆通讯录，让你坐牢")) == {"CN-6"}
    assert check(attempt(text="我们是公安局的，请配合调查")) == {"CN-6"}
    assert check(attempt(text="你这个老赖")) == {"CN-6"}
    assert check(attempt(text="您好，您的借款已逾期，请尽快还款。")) == set()


# -- US-1, US-2, US-4 ------------------------------------------------------------


def test_us1_no_more_than_7_calls_in_7_days_per_person_per_debt() -> None:
    a = attempt(US, at=local(NEW_YORK, 2026, 3, 9, 12))
    six = tuple(prior(a, timedelta(days=i, hours=1)) for i in range(6))
    assert check(a, situation(history=six)) == set()
    seven = tuple(prior(a, timedelta(days=i, hours=1)) for i in range(7))
    assert check(a, situation(history=seven)) == {"US-1"}
    old = tuple(prior(a, timedelta(days=7, hours=i)) for i in range(7))  # all on the 8th day back
    assert check(a, situation(history=old)) == set()
    other_debt = tuple(prior(a, timedelta(days=i, hours=1), loan_id="loan_2") for i in range(7))
    assert check(a, situation(history=other_debt)) == set()


def test_us2_no_call_for_7_days_after_a_conversation_counting_its_day_as_day_1() -> None:
    a = attempt(US, at=local(NEW_YORK, 2026, 3, 9, 12))
    six_days = (prior(a, timedelta(days=6), connected=True, conversation=True),)
    assert check(a, situation(history=six_days)) == {"US-2"}
    seven_days = (prior(a, timedelta(days=7), connected=True, conversation=True),)
    assert check(a, situation(history=seven_days)) == set()
    letter = replace(a, medium=Medium.LETTER)
    assert check(letter, situation(history=six_days)) == set()


def test_us4_no_contact_before_8_or_after_21_local() -> None:
    assert check(attempt(US, at=local(NEW_YORK, 2026, 3, 2, 20, 59))) == set()
    assert check(attempt(US, at=local(NEW_YORK, 2026, 3, 2, 21, 0))) == {"US-4"}
    assert check(attempt(US, at=local(NEW_YORK, 2026, 3, 2, 7, 59))) == {"US-4"}


# -- US-5 / US-6 -----------------------------------------------------------------


def test_us6_a_third_party_only_once_only_for_location_never_the_debt() -> None:
    a = attempt(
        US,
        recipient_kind=RecipientKind.THIRD_PARTY,
        recipient_id="tp:1",
        template="location_inquiry",
        text="Hello, this is fairlend. We are trying to confirm contact details for Sam. Reply STOP to opt out.",
    )
    assert check(a, situation(prior_sent_to_person=0)) == set()
    assert check(a, situation(prior_sent_to_person=1)) == {"US-6"}
    assert check(replace(a, template="collection"), situation(prior_sent_to_person=0)) == {"P-9"}


def test_us5_the_debt_is_discussed_with_the_consumer_only() -> None:
    to_debtor = attempt(US, text="Your loan is overdue. Reply STOP to opt out.")
    assert check(to_debtor) == set()
    to_neighbour = attempt(
        US,
        recipient_kind=RecipientKind.THIRD_PARTY,
        recipient_id="tp:1",
        template="location_inquiry",
        text="Sam owes us money on an overdue loan. Reply STOP to opt out.",
    )
    assert check(to_neighbour, situation(prior_sent_to_person=0)) == {"US-5"}


# -- US-7 / US-8 / cn cease --------------------------------------------------------


def test_us7_a_request_to_stop_ends_all_communication_but_the_confirmation() -> None:
    stop = situation(cease_requests=(CeaseRequest("all"),))
    assert check(attempt(US), stop) == {"US-7"}
    assert check(attempt(US, medium=Medium.LETTER), stop) == {"US-7"}
    confirm = attempt(US, template="cease_confirmation", medium=Medium.LETTER, text="We will stop contacting you.")
    assert check(confirm, stop) == set()
    other_loan = situation(cease_requests=(CeaseRequest("all", loan_id="loan_9"),))
    assert check(attempt(US), other_loan) == set()


def test_us8_a_forbidden_medium_or_number_is_honoured_and_others_are_not_affected() -> None:
    no_sms = situation(cease_requests=(CeaseRequest("medium", medium=Medium.SMS),))
    sms = attempt(US, medium=Medium.SMS)
    assert check(sms, no_sms) == {"US-8"}
    assert check(attempt(US), no_sms) == set()
    no_number = situation(cease_requests=(CeaseRequest("number", number_key="num_debtor"),))
    assert check(attempt(US), no_number) == {"US-8"}
    assert check(attempt(US, number_key="num_work"), no_number) == set()


def test_cn_cease_requests_name_the_profiles_cease_rule() -> None:
    stop = situation(cease_requests=(CeaseRequest("all"),))
    assert check(attempt(CN), stop) == {CN.collections.cease_rule}
    assert check(attempt(CN), situation(cease_requests=(CeaseRequest("medium", medium=Medium.CALL),))) == {
        CN.collections.cease_rule
    }


# -- US-9 / US-14 --------------------------------------------------------------


def test_us9_every_text_and_email_carries_an_opt_out() -> None:
    assert check(attempt(US, medium=Medium.SMS, text="Your payment is overdue.")) == {"US-9"}
    assert check(attempt(US, medium=Medium.EMAIL, text="Your payment is overdue.")) == {"US-9"}
    assert check(attempt(US, medium=Medium.SMS, text="Your payment is overdue. Reply STOP to opt out.")) == set()
    assert check(attempt(US, medium=Medium.CALL, text="Your payment is overdue.")) == set()


def test_us16_threats_and_false_authority_are_refused_in_the_us_profile() -> None:
    assert check(attempt(US, text="Pay or you will go to jail. Reply STOP to opt out.")) == {"US-16"}
    assert check(attempt(US, text="This is the sheriff's office. Reply STOP to opt out.")) == {"US-16"}


# -- overlays the profile can carry: US-15 and EU-6 --------------------------------


def test_us15_a_state_overlay_cap_is_just_another_cap_in_the_profile() -> None:
    ma_cap = CallCap("US-15", 2, 7, CapScope.PER_PERSON_PER_DEBT, CapCounting.ATTEMPTS)
    ma = replace(US, collections=replace(US.collections, call_caps=(*US.collections.call_caps, ma_cap)))
    a = attempt(US, at=local(NEW_YORK, 2026, 3, 9, 12))
    one = (prior(a, timedelta(days=2)),)
    assert check(a, situation(history=one), ma) == set()
    two = (prior(a, timedelta(days=2)), prior(a, timedelta(days=3)))
    assert check(a, situation(history=two), ma) == {"US-15"}


def test_eu6_blocked_sundays_and_holidays_come_from_the_profile() -> None:
    ie_rules = replace(
        US.collections,
        contact_window=ContactWindow(time(9), time(21), "EU-6"),
        blocked_weekdays=(6,),
        block_public_holidays=True,
    )
    ie = replace(US, collections=ie_rules)
    monday = attempt(US, at=local(NEW_YORK, 2026, 3, 2, 10))
    assert check(monday, situation(), ie) == set()
    sunday = attempt(US, at=local(NEW_YORK, 2026, 3, 1, 10))
    assert check(sunday, situation(), ie) == {"EU-6"}
    assert check(monday, situation(holidays=frozenset({date(2026, 3, 2)})), ie) == {"EU-6"}
    assert check(attempt(US, at=local(NEW_YORK, 2026, 3, 2, 8, 30)), situation(), ie) == {"EU-6"}


# -- CN-3 / US-13 ----------------------------------------------------------------


def test_cn3_and_us13_records_are_kept_for_the_profiles_retention_period() -> None:
    assert retention_until(date(2026, 3, 2), CN) == date(2031, 3, 2)
    assert retention_until(date(2026, 3, 2), US) == date(2029, 3, 2)
    assert retention_until(date(2028, 2, 29), US) == date(2031, 2, 28)


def test_every_violation_names_a_rule_and_a_check() -> None:
    a = attempt(at=local(SHANGHAI, 2026, 3, 2, 23), text="老赖，坐牢吧")
    found = evaluate(a, situation(loan_state=LoanState.SETTLED, open_dispute=True), CN)
    assert {v.rule for v in found} == {"P-2", "P-3", "CN-5", "CN-6"}
    assert all(v.check and v.detail for v in found)


# -- properties over arbitrary attempts ----------------------------------------------

_attempts = st.builds(
    lambda kind, medium, minutes, template, text, us: attempt(
        US if us else CN,
        recipient_kind=kind,
        recipient_id="brw_1" if kind is RecipientKind.DEBTOR else "x_1",
        medium=medium,
        at=local(NEW_YORK if us else SHANGHAI, 2026, 3, 2, 0) + timedelta(minutes=minutes),
        template=template,
        text=text,
    ),
    st.sampled_from(list(RecipientKind)),
    st.sampled_from(list(Medium)),
    st.integers(0, 7 * 24 * 60),
    st.sampled_from(
        ["collection", "reminder", "restore_contact", "location_inquiry", "cease_confirmation", "free_text"]
    ),
    st.text(max_size=40),
    st.booleans(),
)


@given(_attempts)
def test_a_settled_loan_blocks_any_attempt_whatsoever(a) -> None:  # type: ignore[no-untyped-def]
    assert "P-2" in check(a, situation(loan_state=LoanState.SETTLED))


@given(_attempts)
def test_an_open_dispute_pauses_every_collection_contact(a) -> None:  # type: ignore[no-untyped-def]
    profile = US if a.recipient_tz == NEW_YORK else CN
    if is_collection(a, purpose_of(a, profile.collections)):
        assert "P-3" in check(a, situation(open_dispute=True))
    else:
        assert "P-3" not in check(a, situation(open_dispute=True))


@given(_attempts)
def test_in_cn_nobody_but_the_debtor_or_a_confirmed_contact_person_is_ever_reached(a) -> None:  # type: ignore[no-untyped-def]
    if a.recipient_tz == SHANGHAI and a.recipient_kind is not RecipientKind.DEBTOR:
        s = situation(contact_person=None, history=_unreachable_history(a, 30))
        assert "CN-1" in check(a, s)


@given(_attempts)
def test_an_attempt_outside_the_window_is_always_blocked(a) -> None:  # type: ignore[no-untyped-def]
    profile = US if a.recipient_tz == NEW_YORK else CN
    rules = profile.collections
    clock = a.at.astimezone(ZoneInfo(a.recipient_tz)).time()
    if a.medium is not Medium.LETTER and not (rules.contact_window.start <= clock < rules.contact_window.end):
        assert rules.contact_window.rule in check(a, situation(), profile)


def test_every_rule_the_policy_can_name_is_explained_in_both_languages() -> None:
    """P-4: a blocked attempt always says why, in plain words, in English and Chinese."""
    from fairlend.collections.rule_texts import RULE_TEXT

    named = {"P-1", "P-2", "P-3", "P-8", "P-10"}
    for profile in (CN, US):
        rules = profile.collections
        named |= {rules.contact_window.rule, rules.quiet_days_rule, rules.third_party.rule, rules.cease_rule}
        named |= {rules.cease_scoped_rule, rules.collection_start_rule, rules.complaints.rule}
        named |= {cap.rule for cap in rules.call_caps}
        content = rules.content
        named |= {content.third_party_rule, content.disclosure_rule} | {p.rule for p in content.prohibited}
        named |= {content.opt_out.rule} - {""}
    for rule in named:
        en, zh = RULE_TEXT[rule]
        assert en and zh and en != zh, rule
