"""What the policy reads at the moment of sending, read from collections' own tables.

The gateway calls `read_situation` inside its transaction, after it has taken
the borrower's chain lock, so settlement, complaints, hardship requests and
plans, cease requests and the log cannot change between reading them and recording the decision. The other
contexts' facts (lending's loan, identity's numbers, the bureau's disputes)
come in from the ports, read just before.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy import Connection, bindparam, exists, select

from fairlend.collections import log
from fairlend.collections.addresses import parse_hhmm
from fairlend.collections.hours import zone
from fairlend.collections.model import (
    Attempt,
    CeaseRequest,
    ComplaintStatus,
    ContactPersonFacts,
    HardshipState,
    LoanFacts,
    LoanState,
    Medium,
    RecipientKind,
    Situation,
    WindowConsent,
)
from fairlend.collections.tables import cease_request, complaint, loan_hardship, settled_loan, window_consent
from fairlend.jurisdiction.model import CollectionsProfile, Profile

# Built once (DESIGN 7: hot paths use prebuilt statements): what the policy needs besides the log.
FLAGS = select(
    exists()
    .where(settled_loan.c.borrower_id == bindparam("b"), settled_loan.c.loan_id == bindparam("loan"))
    .label("settled"),
    exists()
    .where(
        complaint.c.borrower_id == bindparam("b"),
        complaint.c.loan_id == bindparam("loan"),
        complaint.c.status != ComplaintStatus.ANSWERED.value,
    )
    .label("complained"),
    select(loan_hardship.c.state)
    .where(loan_hardship.c.borrower_id == bindparam("b"), loan_hardship.c.loan_id == bindparam("loan"))
    .scalar_subquery()
    .label("hardship"),
    select(window_consent.c.start)
    .where(window_consent.c.borrower_id == bindparam("b"))
    .scalar_subquery()
    .label("start"),
    select(window_consent.c.end).where(window_consent.c.borrower_id == bindparam("b")).scalar_subquery().label("end"),
)
_CEASE = select(
    cease_request.c.scope, cease_request.c.loan_id, cease_request.c.medium, cease_request.c.number_key
).where(cease_request.c.borrower_id == bindparam("b"))


@lru_cache(maxsize=64)
def _holidays(calendar: str, year: int) -> frozenset[date]:
    import holidays  # only profiles that block holidays pay for loading the calendar

    return frozenset(holidays.country_holidays(calendar, years=year).keys())


def holidays_for(profile: Profile, attempt: Attempt) -> frozenset[date]:
    """The public holidays of the year the recipient is in at the attempt's moment, where the profile blocks them."""
    if not profile.collections.block_public_holidays:
        return frozenset()
    return _holidays(profile.holiday_calendar, attempt.at.astimezone(zone(attempt.recipient_tz)).year)


def window_consent_of(start: str | None, end: str | None) -> WindowConsent | None:
    """The borrower's own contact window, as stored ("HH:MM" each), when they gave one."""
    return WindowConsent(parse_hhmm(start), parse_hhmm(end)) if start and end else None


def hardship_state(stored: str | None) -> HardshipState:
    return HardshipState.NONE if stored is None else HardshipState(stored)


def lookback(rules: CollectionsProfile) -> timedelta:
    """How far back the history must reach for every cap and clock the profile has."""
    days = max(
        [c.window_days for c in rules.call_caps]
        + [rules.quiet_days_after_conversation, rules.third_party.unreachable_days, 1]
    )
    return timedelta(days=days + 1)


def cease_requests(conn: Connection, borrower_id: str) -> tuple[CeaseRequest, ...]:
    return tuple(
        CeaseRequest(
            scope=r.scope,
            loan_id=r.loan_id,
            medium=Medium(r.medium) if r.medium else None,
            number_key=r.number_key,
        )
        for r in conn.execute(_CEASE, {"b": borrower_id})
    )


def read_situation(
    conn: Connection,
    profile: Profile,
    facts: LoanFacts | None,
    attempt: Attempt,
    contact: ContactPersonFacts | None,
    open_dispute: bool,
    debtor_keys: frozenset[str],
) -> Situation:
    borrower_id, loan_id = attempt.borrower_id, attempt.loan_id
    flags = conn.execute(FLAGS, {"b": borrower_id, "loan": loan_id}).one()
    state = LoanState.ACTIVE if facts is None else facts.state
    if bool(flags.settled):
        state = LoanState.SETTLED
    to_someone_else = attempt.recipient_kind is not RecipientKind.DEBTOR
    prior_sent = log.sent_to_person(conn, borrower_id, attempt.number_key) if to_someone_else else None
    # Only a contact person waits for the debtor to be unreachable, and that clock reaches back beyond the caps'.
    calls = (
        log.debtor_calls(conn, borrower_id)
        if to_someone_else and profile.collections.third_party.unreachable_days
        else None
    )
    return Situation(
        loan_state=state,
        history=log.history(conn, borrower_id, attempt.at - lookback(profile.collections)),
        cease_requests=cease_requests(conn, borrower_id),
        open_dispute=open_dispute,
        open_complaint=bool(flags.complained),
        hardship=hardship_state(flags.hardship),
        window_consent=window_consent_of(flags.start, flags.end),
        contact_person=contact,
        holidays=holidays_for(profile, attempt),
        prior_sent_to_person=prior_sent,
        days_past_due=0 if facts is None else facts.days_past_due,
        debtor_keys=debtor_keys,
        debtor_calls=calls,
    )
