"""Every refusal names its rule, a stable check code and words a collector can read.

The API hands these three to the collector (ViolationPublic) and compliance
statistics count by check code, so each is asserted exactly, one refusal at a
time; each case's twin, differing only in what makes it wrong, goes through.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, time, timedelta

import pytest

from fairlend.collections.model import (
    Attempt,
    CeaseRequest,
    ContactPersonFacts,
    ContactPersonStatus,
    LoanState,
    Medium,
    RecipientKind,
    Situation,
    Violation,
    WindowConsent,
)
from fairlend.collections.policy import evaluate
from fairlend.jurisdiction.model import ContactWindow, Profile, ThirdPartyAllowance
from tests.collections.helpers import CN, NEW_YORK, SHANGHAI, US, attempt, local, prior, situation

CONFIRMED = ContactPersonFacts("cp_1", ContactPersonStatus.CONFIRMED)
RESTORE = "您好，这里是fairlend，请转告张三回电。"
LOCATE = "Hello, this is fairlend. We are trying to confirm contact details for Sam. Reply STOP to opt out."
IE = replace(
    US,
    collections=replace(
        US.collections,
        contact_window=ContactWindow(time(9), time(21), "EU-6"),
        blocked_weekdays=(6,),
        block_public_holidays=True,
    ),
)
DEBTOR_ONLY = replace(
    US,
    collections=replace(
        US.collections, third_party=replace(US.collections.third_party, allowed=ThirdPartyAllowance.NONE)
    ),
)


def person(**changes: object) -> Attempt:
    base = attempt(
        CN,
        recipient_kind=RecipientKind.CONTACT_PERSON,
        recipient_id="cp_1",
        number_key="num_cp",
        template="restore_contact",
        text=RESTORE,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def unreachable(days: int = 4) -> Situation:
    debtor_call = prior(attempt(CN), timedelta(days=days))
    return situation(contact_person=CONFIRMED, history=(debtor_call,), prior_sent_to_person=0)


def neighbour(**changes: object) -> Attempt:
    base = attempt(US, recipient_kind=RecipientKind.THIRD_PARTY, recipient_id="tp:1", template="location_inquiry")
    return replace(base, **{"text": LOCATE, "number_key": "num_n", **changes})  # type: ignore[arg-type]


def calls(a: Attempt, n: int, **changes: object) -> Situation:
    return situation(history=tuple(prior(a, timedelta(minutes=10 * (i + 1)), **changes) for i in range(n)))


def us1(n: int) -> tuple[Attempt, Situation]:
    a = attempt(US, at=local(NEW_YORK, 2026, 3, 9, 12))
    return a, situation(history=tuple(prior(a, timedelta(days=i, hours=1)) for i in range(n)))


Case = Callable[[], tuple[Attempt, Situation, Profile]]
late_cn = local(SHANGHAI, 2026, 3, 2, 23, 30)
consent_request = {
    "loan_id": "",
    "template": "contact_consent",
    "text": "【fairlend】验证码123456",
    "medium": Medium.SMS,
}

# (what the collector is told, the refused attempt, its twin that goes through)
CASES: list[tuple[Violation, Case, Case]] = [
    (
        Violation("P-2", "loan_settled", "loan loan_1 is settled"),
        lambda: (attempt(), situation(loan_state=LoanState.SETTLED), CN),
        lambda: (attempt(), situation(loan_state=LoanState.CHARGED_OFF), CN),
    ),
    (
        Violation("P-3", "open_dispute", "a credit-report dispute about this loan is open"),
        lambda: (attempt(), situation(open_dispute=True), CN),
        lambda: (attempt(template="reminder"), situation(open_dispute=True), CN),
    ),
    (
        Violation("P-3", "open_complaint", "a complaint about this loan is open"),
        lambda: (attempt(), situation(open_complaint=True), CN),
        lambda: (attempt(template="reminder"), situation(open_complaint=True), CN),
    ),
    (
        Violation("P-7", "before_collection_start", "3 day(s) overdue; collection starts after 3"),
        lambda: (attempt(), situation(days_past_due=3), CN),
        lambda: (attempt(), situation(days_past_due=4), CN),
    ),
    (
        Violation("US-7", "cease_all", "the borrower asked to stop all contact"),
        lambda: (attempt(US), situation(cease_requests=(CeaseRequest("all"),)), US),
        lambda: (attempt(US, template="cease_confirmation"), situation(cease_requests=(CeaseRequest("all"),)), US),
    ),
    (
        Violation("US-8", "cease_medium", "the borrower forbade sms"),
        lambda: (attempt(US, medium=Medium.SMS), situation(cease_requests=(CeaseRequest("medium", medium=Medium.SMS),)), US),
        lambda: (attempt(US), situation(cease_requests=(CeaseRequest("medium", medium=Medium.SMS),)), US),
    ),
    (
        Violation("US-8", "cease_number", "the borrower forbade this number"),
        lambda: (attempt(US), situation(cease_requests=(CeaseRequest("number", number_key="num_debtor"),)), US),
        lambda: (attempt(US, number_key="num_work"), situation(cease_requests=(CeaseRequest("number", number_key="num_debtor"),)), US),
    ),
    (
        Violation("P-8", "number_is_debtor", "this number is the debtor's own"),
        lambda: (person(number_key="num_debtor"), situation(debtor_keys=frozenset({"num_debtor"})), CN),
        lambda: (attempt(), situation(debtor_keys=frozenset({"num_debtor"})), CN),
    ),
    (
        Violation("P-9", "free_text_to_third_party", "a collector's own words go only to the debtor"),
        lambda: (person(template="free_text"), unreachable(), CN),
        lambda: (person(), unreachable(), CN),
    ),
    (
        Violation("P-9", "third_party_template", "template 'collection' is not for third parties"),
        lambda: (person(template="collection"), unreachable(), CN),
        lambda: (person(), unreachable(), CN),
    ),
    (
        Violation("CN-1", "third_party_medium", "a person other than the debtor is reached only by phone"),
        lambda: (person(medium=Medium.EMAIL), unreachable(), CN),
        lambda: (person(medium=Medium.SMS), unreachable(), CN),
    ),
    (
        Violation("P-9", "consent_not_a_contact_person", "only a named contact person is asked"),
        lambda: (person(recipient_kind=RecipientKind.THIRD_PARTY, **consent_request), situation(contact_person=CONFIRMED), CN),
        lambda: (person(**consent_request), situation(contact_person=CONFIRMED), CN),
    ),
    (
        Violation("P-9", "consent_not_a_contact_person", "only a named contact person is asked"),
        lambda: (person(**consent_request), situation(contact_person=None), CN),
        lambda: (person(**consent_request), situation(contact_person=CONFIRMED), CN),
    ),
    (
        Violation("US-6", "third_party_forbidden", "only the debtor may be contacted"),
        lambda: (neighbour(), situation(prior_sent_to_person=0), DEBTOR_ONLY),
        lambda: (neighbour(), situation(prior_sent_to_person=0), US),
    ),
    (
        Violation("CN-1", "not_a_contact_person", "not a contact person the debtor named in advance"),
        lambda: (person(recipient_kind=RecipientKind.THIRD_PARTY, recipient_id="tp:1"), unreachable(), CN),
        lambda: (person(), unreachable(), CN),
    ),
    (
        Violation("CN-1", "contact_not_confirmed", "the contact person has not confirmed themselves"),
        lambda: (person(), replace(unreachable(), contact_person=replace(CONFIRMED, status=ContactPersonStatus.PENDING)), CN),
        lambda: (person(), unreachable(), CN),
    ),
    (
        Violation("CN-1", "debtor_reachable", "the debtor has not been unreachable for 3 days"),
        lambda: (person(), unreachable(days=2), CN),
        lambda: (person(), unreachable(days=3), CN),
    ),
    (
        Violation("CN-1", "third_party_cap", "this person was already contacted 1 time(s)"),
        lambda: (person(), replace(unreachable(), prior_sent_to_person=1), CN),
        lambda: (person(), unreachable(), CN),
    ),
    (
        Violation("CN-5", "outside_window", "22:00 local is outside 08:00-22:00"),
        lambda: (attempt(at=local(SHANGHAI, 2026, 3, 2, 22)), situation(), CN),
        lambda: (attempt(at=local(SHANGHAI, 2026, 3, 2, 21, 59)), situation(), CN),
    ),
    (
        Violation("CN-5", "outside_window", "23:30 local is outside 08:00-22:00, 22:30-23:00"),
        lambda: (attempt(at=late_cn), situation(window_consent=WindowConsent(time(22, 30), time(23))), CN),
        lambda: (attempt(at=late_cn), situation(window_consent=WindowConsent(time(22, 30), time(23, 45))), CN),
    ),
    (
        Violation("EU-6", "blocked_weekday", "no contact on Sunday"),
        lambda: (attempt(US, at=local(NEW_YORK, 2026, 3, 1, 10)), situation(), IE),
        lambda: (attempt(US, at=local(NEW_YORK, 2026, 3, 2, 10)), situation(), IE),
    ),
    (
        Violation("EU-6", "public_holiday", "2026-03-02 is a public holiday"),
        lambda: (attempt(US), situation(holidays=frozenset({date(2026, 3, 2)})), IE),
        lambda: (attempt(US), situation(holidays=frozenset({date(2026, 3, 3)})), IE),
    ),
    (
        Violation("CN-5", "call_cap_per_debtor", "3 connected calls in 1 day(s)"),
        lambda: (attempt(), calls(attempt(), 3, connected=True), CN),
        lambda: (attempt(), calls(attempt(), 3, connected=False), CN),
    ),
    (
        Violation("CN-6", "call_cap_per_number", "6 call attempts in 1 day(s)"),
        lambda: (attempt(), calls(attempt(), 6), CN),
        lambda: (attempt(), calls(attempt(), 5), CN),
    ),
    (
        Violation("US-1", "call_cap_per_person_per_debt", "7 call attempts in 7 day(s)"),
        lambda: (*us1(7), US),
        lambda: (*us1(6), US),
    ),
    (
        Violation("CN-6", "abuse", "the message carries abuse"),
        lambda: (attempt(text="你这个老赖"), situation(), CN),
        lambda: (attempt(text="您好，您的借款已逾期，请尽快还款。"), situation(), CN),
    ),
    (
        Violation("US-5", "debt_disclosed", "the message tells someone other than the debtor of the debt"),
        lambda: (neighbour(text="Sam owes us money on an overdue loan. Reply STOP to opt out."), situation(prior_sent_to_person=0), US),
        lambda: (neighbour(), situation(prior_sent_to_person=0), US),
    ),
    (
        Violation("US-9", "no_opt_out", "the message has no simple opt-out"),
        lambda: (attempt(US, medium=Medium.SMS, text="Your payment is overdue."), situation(), US),
        lambda: (attempt(US, medium=Medium.SMS, text="Your payment is overdue. Reply STOP to opt out."), situation(), US),
    ),
]  # fmt: skip


@pytest.mark.parametrize(("told", "refused", "twin"), CASES, ids=[f"{v.rule}-{v.check}" for v, _, _ in CASES])
def test_each_refusal_names_its_rule_check_and_words_and_its_twin_goes(told: Violation, refused: Case, twin: Case) -> None:  # fmt: skip
    assert evaluate(*refused()) == (told,)
    assert evaluate(*twin()) == ()


def test_us7_a_stop_request_about_another_loan_does_not_hide_one_about_this_loan() -> None:
    other, this = CeaseRequest("all", loan_id="loan_9"), CeaseRequest("all", loan_id="loan_1")
    assert evaluate(attempt(US), situation(cease_requests=(other, this)), US) == (
        Violation("US-7", "cease_all", "the borrower asked to stop all contact"),
    )
    assert evaluate(attempt(US), situation(cease_requests=(other,)), US) == ()
