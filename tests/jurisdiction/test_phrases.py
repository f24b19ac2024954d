"""A profile's phrases are found however a writer disguises them, and not inside innocent words."""

from __future__ import annotations

import pytest

from fairlend.jurisdiction.phrases import PhraseMatcher, phrase_problem, reduce

THREATS = PhraseMatcher(["jail", "we will tell your", "sue", "坐牢", "通讯录", "re:[¥￥]\\s*\\d"])


@pytest.mark.parametrize(
    "text",
    [
        "You will go to jail",
        "You will go to JAIL",
        "You will go to ｊａｉｌ",  # full-width
        "You will go to j a i l",  # spaced
        "You will go to j.a.i.l",  # dotted
        "You will go to j-a-i-l",
        "You will go to ja1l",  # a digit for a letter
        "You will go to j@il",
        "You will go to jаil",  # Cyrillic а
        "You will go to j\u200bail",  # a zero-width space
        "We will s-u-e you",
        "WE WILL TELL YOUR boss",
        "we will\ntell   your mum",
        "再不还就让你坐 牢",
        "再不还就让你坐*牢",
        "再不还就让你坐\u3000牢",  # an ideographic space
        "爆你通 讯 录",
        "欠￥5000",
        "欠 ¥ 5000",
    ],
)
def test_a_disguised_phrase_is_still_found(text: str) -> None:
    assert THREATS.found(reduce(text)), text


@pytest.mark.parametrize(
    "text",
    [
        "There is an issue with your account",  # "sue" inside "issue"
        "Please pursue the plan we agreed",
        "Your courtesy is appreciated",
        "您好，请按时还款",
        "Reply 3 to talk to us",
        "",
    ],
)
def test_an_innocent_message_is_not_flagged(text: str) -> None:
    assert not THREATS.found(reduce(text)), text


@pytest.mark.parametrize(
    ("phrase", "problem"),
    [
        ("", "empty"),
        ("re:(", "regular expression"),
        ("re:.*", "empty message"),
        ("...", "no letters"),
    ],
)
def test_a_phrase_that_could_never_work_is_named(phrase: str, problem: str) -> None:
    found = phrase_problem(phrase)
    assert found is not None and problem in found


def test_a_good_phrase_has_no_problem() -> None:
    assert phrase_problem("we will tell your") is None and phrase_problem("坐牢") is None
