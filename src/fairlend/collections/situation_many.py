"""`read_situation` for many debtor attempts at once: the automated dispatch's set-based read (batch.py).

One statement per table for every borrower of a batch (settled loans, open
complaints, hardship states, window consents, cease requests, the log's
recent history) instead of three a borrower. Only attempts at the debtor
about a loan come here: a contact person's or a third party's also read what
reached that number (P-8) and when the debtor was last reachable, and go
through the one-at-a-time gateway. The result equals `read_situation`'s for
each attempt (tests/collections/test_batch_dispatch.py holds them equal).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import BindParameter, Connection, bindparam, select

from fairlend.collections.log_many import histories
from fairlend.collections.model import (
    Attempt,
    CeaseRequest,
    ComplaintStatus,
    LoanFacts,
    LoanState,
    Medium,
    RecipientKind,
    Situation,
)
from fairlend.collections.situation import hardship_state, holidays_for, lookback, window_consent_of
from fairlend.collections.tables import cease_request, complaint, loan_hardship, settled_loan, window_consent
from fairlend.errors import Invalid
from fairlend.jurisdiction.model import Profile

_BS: BindParameter[str] = bindparam("bs", expanding=True)
_SETTLED = select(settled_loan.c.borrower_id, settled_loan.c.loan_id).where(settled_loan.c.borrower_id.in_(_BS))
_COMPLAINED = select(complaint.c.borrower_id, complaint.c.loan_id).where(
    complaint.c.borrower_id.in_(_BS), complaint.c.status != ComplaintStatus.ANSWERED.value
)
_HARDSHIP = select(loan_hardship.c.borrower_id, loan_hardship.c.loan_id, loan_hardship.c.state).where(
    loan_hardship.c.borrower_id.in_(_BS)
)
_WINDOW = select(window_consent.c.borrower_id, window_consent.c.start, window_consent.c.end).where(
    window_consent.c.borrower_id.in_(_BS)
)
_CEASE = select(
    cease_request.c.borrower_id,
    cease_request.c.scope,
    cease_request.c.loan_id,
    cease_request.c.medium,
    cease_request.c.number_key,
).where(cease_request.c.borrower_id.in_(_BS))


@dataclass(frozen=True, slots=True)
class Pending:
    """One debtor attempt about a loan, as the judge framed it, waiting for its situation."""

    facts: LoanFacts
    attempt: Attempt
    open_dispute: bool
    debtor_keys: frozenset[str]


def read_situations(conn: Connection, profile: Profile, pending: Sequence[Pending]) -> list[Situation]:
    """Each attempt's situation, as `read_situation` would read it, in `pending`'s order."""
    if not pending:
        return []
    for p in pending:
        if p.attempt.recipient_kind is not RecipientKind.DEBTOR or not p.attempt.loan_id:
            raise Invalid("batch_debtor_only", "only attempts at the debtor about a loan are judged in a batch")
    ats = {p.attempt.at for p in pending}
    if len(ats) != 1:
        raise Invalid("batch_one_moment", "a batch is judged at one moment")
    now = ats.pop()
    ids = sorted({p.attempt.borrower_id for p in pending})
    args = {"bs": ids}
    settled = {(str(b), str(loan)) for b, loan in conn.execute(_SETTLED, args)}
    complained = {(str(b), str(loan)) for b, loan in conn.execute(_COMPLAINED, args)}
    hardship = {(str(b), str(loan)): str(state) for b, loan, state in conn.execute(_HARDSHIP, args)}
    windows = {str(b): (start, end) for b, start, end in conn.execute(_WINDOW, args)}
    cease: dict[str, list[CeaseRequest]] = defaultdict(list)
    for r in conn.execute(_CEASE, args):
        medium = Medium(r.medium) if r.medium else None
        cease[str(r.borrower_id)].append(CeaseRequest(r.scope, r.loan_id, medium, r.number_key))
    history = histories(conn, ids, now - lookback(profile.collections))
    found: list[Situation] = []
    for p in pending:
        b, loan = p.attempt.borrower_id, p.attempt.loan_id
        found.append(
            Situation(
                loan_state=LoanState.SETTLED if (b, loan) in settled else p.facts.state,
                history=history[b],
                cease_requests=tuple(cease.get(b, ())),
                open_dispute=p.open_dispute,
                open_complaint=(b, loan) in complained,
                hardship=hardship_state(hardship.get((b, loan))),
                window_consent=window_consent_of(*windows.get(b, (None, None))),
                contact_person=None,
                holidays=holidays_for(profile, p.attempt),
                prior_sent_to_person=None,
                days_past_due=p.facts.days_past_due,
                debtor_keys=p.debtor_keys,
                debtor_calls=None,
            )
        )
    return found
