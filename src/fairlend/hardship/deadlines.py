"""Clocks a compliance officer watches: a request's answer deadline, as data (pure).

A request is answered when the borrower gets an offer or a decline (an
offer still waiting for a second operator's approval is no answer: the
borrower has nothing yet). `missed_answers` names every request whose answer
came after its deadline or has not come and the deadline has passed, each a
`Flag` naming the profile's `answer_rule`, as the contact policy's violations
name theirs. On the deadline day itself nothing is flagged.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

UNANSWERED = "answer_missed"  # no answer yet and the deadline has passed
ANSWERED_LATE = "answered_late"


@dataclass(frozen=True, slots=True)
class AnswerClock:
    request_id: str
    loan_id: str
    borrower_id: str
    requested_on: date
    answer_due: date
    answered_on: date | None


@dataclass(frozen=True, slots=True)
class Flag:
    rule: str  # the profile's `hardship.answer_rule`
    check: str  # UNANSWERED or ANSWERED_LATE (stable, for compliance statistics)
    detail: str
    request_id: str
    loan_id: str
    borrower_id: str
    answer_due: date
    days_late: int


def missed_answers(clocks: Iterable[AnswerClock], today: date, rule: str) -> list[Flag]:
    """Every request answered after its deadline or still unanswered past it, the latest first."""
    found: list[Flag] = []
    for c in clocks:
        if c.answered_on is None and today > c.answer_due:
            late = (today - c.answer_due).days
            detail = f"requested {c.requested_on}, due {c.answer_due}: no answer {late} day(s) after"
            found.append(Flag(rule, UNANSWERED, detail, c.request_id, c.loan_id, c.borrower_id, c.answer_due, late))
        elif c.answered_on is not None and c.answered_on > c.answer_due:
            late = (c.answered_on - c.answer_due).days
            detail = f"requested {c.requested_on}, due {c.answer_due}: answered {c.answered_on}, {late} day(s) late"
            found.append(Flag(rule, ANSWERED_LATE, detail, c.request_id, c.loan_id, c.borrower_id, c.answer_due, late))
    found.sort(key=lambda f: (f.check != UNANSWERED, -f.days_late, f.request_id))
    return found
