"""P-10 in the pure policy: a hardship request pauses collection; a kept plan lets only its reminders go."""

from __future__ import annotations

from dataclasses import replace

import pytest

from fairlend.collections.model import FREE_TEXT, CeaseRequest, HardshipState, Medium, RecipientKind, Violation
from fairlend.collections.policy import evaluate
from fairlend.jurisdiction.model import Profile
from tests.collections.helpers import CN, SHANGHAI, US, attempt, check, local, situation

PROFILES = pytest.mark.parametrize("profile", [CN, US], ids=["cn", "us"])
REQUEST = situation(hardship=HardshipState.REQUEST)
PLAN = situation(hardship=HardshipState.PLAN)
OPT_OUT = {"cn": "回复TD退订", "us": "Reply STOP to opt out."}


def _plan_reminder(profile: Profile, medium: Medium = Medium.SMS) -> set[str]:
    text = f"fairlend: a reminder of the repayment plan you agreed: due soon. {OPT_OUT[profile.code]}"
    return check(attempt(profile, template="plan_reminder", medium=medium, text=text), PLAN, profile)


@PROFILES
@pytest.mark.parametrize("medium", list(Medium))
def test_an_open_request_blocks_a_collection_message_by_every_medium(profile: Profile, medium: Medium) -> None:
    assert "P-10" not in check(attempt(profile, medium=medium), situation(), profile)
    assert "P-10" in check(attempt(profile, medium=medium), REQUEST, profile)


@PROFILES
def test_an_open_request_blocks_a_collectors_own_words_and_anyone_but_the_debtor(profile: Profile) -> None:
    assert check(attempt(profile, template=FREE_TEXT), REQUEST, profile) == {"P-10"}
    for kind in (RecipientKind.CONTACT_PERSON, RecipientKind.THIRD_PARTY):
        third = attempt(profile, recipient_kind=kind, recipient_id="cp_1", number_key="num_other", template="x")
        assert "P-10" in check(third, REQUEST, profile)


@PROFILES
def test_an_open_request_names_p10_with_its_own_check_and_lets_reminders_and_notices_go(profile: Profile) -> None:
    found = evaluate(attempt(profile), REQUEST, profile)
    assert Violation("P-10", "hardship_request_open", "the borrower's hardship request about this loan is open") in (
        found
    )
    # Not collection: a reminder and what the law requires still go while the request waits (as under P-3).
    for template in ("reminder", "credit_report_notice"):
        assert "P-10" not in check(attempt(profile, template=template, medium=Medium.LETTER), REQUEST, profile)


@PROFILES
def test_a_kept_plan_blocks_every_message_about_the_loan_but_its_reminders(profile: Profile) -> None:
    for template in ("collection", "reminder", "gentle_reminder", FREE_TEXT):
        found = evaluate(attempt(profile, template=template, medium=Medium.LETTER), PLAN, profile)
        assert [v.check for v in found if v.rule == "P-10"] == ["hardship_plan_kept"], template
    assert _plan_reminder(profile) == set()
    assert _plan_reminder(profile, Medium.LETTER) == set()


@PROFILES
def test_a_kept_plan_still_lets_through_what_a_request_to_stop_everything_does(profile: Profile) -> None:
    notice = attempt(profile, template="credit_report_notice", medium=Medium.LETTER)
    assert check(notice, PLAN, profile) == set()


@PROFILES
def test_a_plan_reminder_without_a_plan_in_force_is_refused(profile: Profile) -> None:
    text = f"fairlend: a reminder of the repayment plan you agreed: due soon. {OPT_OUT[profile.code]}"
    reminder = attempt(profile, template="plan_reminder", medium=Medium.SMS, text=text)
    for state in (HardshipState.NONE, HardshipState.REQUEST):
        found = evaluate(reminder, situation(hardship=state), profile)
        assert [(v.rule, v.check) for v in found] == [("P-10", "no_plan_in_force")]


def test_a_plan_reminder_is_not_collection_so_a_held_delinquency_does_not_wait_for_the_start_day() -> None:
    # A plan on a loan one day late, its status held: P-7 would hold back collection, not the plan's reminder.
    text = "fairlend：温馨提示，您的协商还款计划本期应还¥100.00。回复TD退订"
    reminder = attempt(CN, template="plan_reminder", medium=Medium.SMS, text=text)
    assert check(reminder, situation(hardship=HardshipState.PLAN, days_past_due=1), CN) == set()


def test_a_plan_does_not_lift_a_cease_request_or_the_hours() -> None:
    text = "fairlend：温馨提示，您的协商还款计划本期应还¥100.00。回复TD退订"
    reminder = attempt(CN, template="plan_reminder", medium=Medium.SMS, text=text)
    stopped = situation(hardship=HardshipState.PLAN, cease_requests=(CeaseRequest("all"),))
    assert check(reminder, stopped, CN) == {"P-6"}
    assert check(replace(reminder, at=local(SHANGHAI, 2026, 3, 2, 23)), PLAN, CN) == {"CN-5"}
