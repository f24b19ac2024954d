"""The ledger as the oracle: what the database holds, checked against what the client sent and heard.

`check_exactly_once`: every repayment the client was told succeeded is posted
exactly once, nothing else is posted more than once or invented, and each
posting has exactly one journal entry of its amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from fairlend.ledger.tables import ledger_entry, ledger_posting
from fairlend.lending.tables import eod_run, loan_repayment
from tests.reliability.client import Tally


@dataclass(frozen=True, slots=True)
class Posted:
    repayment_id: str
    amount_minor: int
    business_date: date


def posted_by_key(database_url: str) -> dict[str, list[Posted]]:
    """Every repayment row in the database, by its reference (the client's key)."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    loan_repayment.c.reference,
                    loan_repayment.c.id,
                    loan_repayment.c.amount,
                    loan_repayment.c.business_date,
                )
            ).all()
    finally:
        engine.dispose()
    found: dict[str, list[Posted]] = {}
    for reference, repayment_id, amount, business_date in rows:
        found.setdefault(reference, []).append(Posted(repayment_id, int(amount), business_date))
    return found


def journal_of_repayments(database_url: str) -> dict[str, tuple[int, int]]:
    """Repayment id -> (journal entries referring to it, the amount they received)."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    ledger_entry.c.reference,
                    sa.func.count(sa.distinct(ledger_entry.c.id)),
                    sa.func.sum(sa.case((ledger_posting.c.amount > 0, ledger_posting.c.amount), else_=0)),
                )
                .select_from(ledger_entry.join(ledger_posting, ledger_posting.c.entry_id == ledger_entry.c.id))
                .where(ledger_entry.c.kind == "loan_repayment")
                .group_by(ledger_entry.c.reference)
            ).all()
    finally:
        engine.dispose()
    return {reference: (int(entries), int(received)) for reference, entries, received in rows}


@dataclass(frozen=True, slots=True)
class ExactlyOnce:
    acknowledged: int  # keys the client was told succeeded
    posted: int  # repayment rows
    unacknowledged_posted: int  # posted, but the client never heard (a lost answer)
    unacknowledged_absent: int  # never posted and never acknowledged


def check_exactly_once(database_url: str, tally: Tally) -> ExactlyOnce:
    """Assert the ledger against what the client sent and heard; return the counts for the record."""
    posted = posted_by_key(database_url)
    journal = journal_of_repayments(database_url)
    acknowledged = tally.acknowledged()
    assert set(posted) <= set(tally.sent), f"repayments nobody sent: {sorted(set(posted) - set(tally.sent))[:5]}"
    doubled = {key: rows for key, rows in posted.items() if len(rows) != 1}
    assert not doubled, f"keys posted more than once: {list(doubled.items())[:5]}"
    for key, ids in acknowledged.items():
        assert key in posted, f"{key} was acknowledged ({ids}) and is not in the ledger"
        (row,) = posted[key]
        assert ids == {row.repayment_id}, f"{key} was answered with {ids}, the ledger holds {row.repayment_id}"
    for key, (row,) in posted.items():
        assert row.amount_minor == tally.sent[key].amount_minor, f"{key} posted {row.amount_minor}"
        assert journal.get(row.repayment_id) == (1, row.amount_minor), (
            f"{key}: repayment {row.repayment_id} has journal {journal.get(row.repayment_id)}"
        )
    assert len(journal) == len(posted), "journal entries of repayments that have no repayment row"
    for key, answer in tally.mismatches:
        if answer.status:  # a reused key with another body is refused, never posted
            assert (answer.status, answer.code) == (422, "idempotency_key_reused"), (key, answer)
    # The documented answers to a key sent with its own body (docs/api.md): the result (first or
    # replayed), "still running, retry" while the first request with it holds its lease, or - once the
    # lease of a request that posted and then lost its answer to a crash is over - "it took effect, its
    # answer was lost". Nothing else (a cut connection is no answer).
    documented = {(409, "idempotency_request_in_progress"), (409, "idempotency_response_lost")}
    unexpected = [
        (key, a)
        for key, answers in tally.answers.items()
        for a in answers
        if a.status and not 200 <= a.status < 300 and (a.status, a.code) not in documented
    ]
    for key, answers in tally.answers.items():
        if any((a.status, a.code) == (409, "idempotency_response_lost") for a in answers):
            assert key in posted, f"{key} was answered 'took effect' and is not in the ledger"
    assert not unexpected, unexpected[:5]
    unacknowledged = set(tally.sent) - set(acknowledged)
    return ExactlyOnce(
        acknowledged=len(acknowledged),
        posted=len(posted),
        unacknowledged_posted=len(unacknowledged & set(posted)),
        unacknowledged_absent=len(unacknowledged - set(posted)),
    )


def posted_into_closed_date(database_url: str, business_date: date) -> int:
    """Repayments dated `business_date` but written after its end-of-day recorded its run (just before commit)."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            closed_at = (
                sa.select(sa.func.min(eod_run.c.started_at))
                .where(eod_run.c.business_date == business_date, eod_run.c.outcome == "done")
                .scalar_subquery()
            )
            found = conn.execute(
                sa.select(sa.func.count())
                .select_from(loan_repayment)
                .where(loan_repayment.c.business_date == business_date, loan_repayment.c.created_at > closed_at)
            ).scalar()
    finally:
        engine.dispose()
    return int(found or 0)
