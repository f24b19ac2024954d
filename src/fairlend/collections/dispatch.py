"""After the decision: hand the message to its channel, record the outcome; finish what a crash left.

The gateway has committed an allowed attempt as DISPATCHING, with its sealed
address and text in `contact_dispatch`. `Resolver.send_and_resolve` calls the
channel (outside any transaction) and appends the outcome row that resolves
the attempt, deleting the dispatch row in the same transaction.

A process killed between those steps leaves the dispatch row behind.
`Resolver.finish_stranded` (run by `fairlend collections dispatch`, the
automated dispatch and end-of-day) takes every dispatch older than a grace
period, re-checks under the borrower's lock what may have changed since the
decision (the loan settled, a cease request, a dispute or complaint, a
hardship request or plan (P-10), the clock past the contact window), and then cancels it, expires it (too old to send), or sends
it again. Channels are idempotent on the log id (ports.ChannelPort), so a
message the dead process had already handed over is not delivered twice.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, bindparam, delete, select, update

from fairlend.collections import log
from fairlend.collections.events import ContactResolved
from fairlend.collections.hours import check_window
from fairlend.collections.model import (
    Attempt,
    DeliveryResult,
    LoanState,
    LogRecord,
    Medium,
    Outcome,
    Situation,
    TaskStatus,
    Violation,
)
from fairlend.collections.pauses import check_hardship, check_paused
from fairlend.collections.policy import check_cease, check_settled, is_collection, purpose_of
from fairlend.collections.ports import DISPATCH, ChannelPort, DisputePort, OutboundMessage, Sealer
from fairlend.collections.situation import FLAGS, cease_requests, hardship_state, window_consent_of
from fairlend.collections.tables import collection_task, contact_dispatch, contact_log
from fairlend.db.uow import UnitOfWorkFactory
from fairlend.faults import crash_point
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile

# A dispatch younger than this may still be in the hands of the request that made it.
STRANDED_AFTER = timedelta(minutes=2)
# A message this old is no longer the message that was decided: it is expired, never sent.
SEND_WITHIN = timedelta(minutes=30)


# A sent message's task is done. The note stays: on a pending task it says why the task was made (a broken promise).
MARK_DONE = (
    update(collection_task)
    .where(
        collection_task.c.borrower_id == bindparam("b"),
        collection_task.c.id == bindparam("task"),
        collection_task.c.status == TaskStatus.PENDING.value,
    )
    .values(status=TaskStatus.DONE.value)
)


def outcome_record(
    attempt: LogRecord, outcome: Outcome, result: DeliveryResult, rules: tuple[str, ...], now: datetime
) -> LogRecord:
    """The row that resolves a DISPATCHING attempt: what became of it, to be chained in the borrower's log."""
    return replace(
        attempt,
        seq=0,
        id=new_id("ctc"),
        at=now,
        outcome=outcome,
        rules=rules,
        connected=result.connected,
        conversation=result.conversation,
        prev_hash="",
        hash="",
        resolves=attempt.id,
    )


def resolved_event(record: LogRecord, attempt: LogRecord, day: date) -> ContactResolved:
    """The event for an outcome row `record` that resolved `attempt`."""
    return ContactResolved(
        record.id, attempt.id, attempt.borrower_id, attempt.loan_id, record.outcome.value, record.rules, day
    )


@dataclass(frozen=True, slots=True)
class Dispatch:
    record: LogRecord  # the DISPATCHING attempt
    address: str
    text: str  # exactly what the person receives
    secrets: Mapping[str, str] = field(default_factory=dict)

    def sealed_form(self) -> str:
        return json.dumps({"address": self.address, "text": self.text, "secrets": dict(self.secrets)})

    @classmethod
    def from_sealed_form(cls, record: LogRecord, opened: str) -> Dispatch:
        data = json.loads(opened)
        return cls(
            record, str(data["address"]), str(data["text"]), {str(k): str(v) for k, v in data["secrets"].items()}
        )


class Resolver:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        profile: Profile,
        disputes: DisputePort,
        channels: Mapping[Medium, ChannelPort],
        sealer: Sealer,
    ) -> None:
        self._uow = uow
        self._profile = profile
        self._disputes = disputes
        self._channels = channels
        self._sealer = sealer

    def send_and_resolve(self, dispatch: Dispatch) -> Outcome:
        """Hand the message over, then record what happened; returns SENT or FAILED."""
        outcome, result = self.send(dispatch)
        self._resolve(dispatch.record, outcome, result, ())
        return outcome

    def send(self, dispatch: Dispatch) -> tuple[Outcome, DeliveryResult]:
        """Hand the message over (outside any transaction): SENT or FAILED, with what the channel said."""
        record = dispatch.record
        channel = self._channels.get(record.medium)
        result: DeliveryResult | None = None
        try:
            if channel is None:
                raise RuntimeError(f"no channel for {record.medium.value}")
            result = channel.send(
                OutboundMessage(
                    record.medium, dispatch.address, dispatch.text, record.template, record.id, dispatch.secrets
                )
            )
        except Exception:  # a channel failure is recorded, never lost
            result = None
        crash_point("gateway.after_send")
        return (Outcome.SENT, result) if result is not None else (Outcome.FAILED, DeliveryResult())

    def _resolve(
        self, attempt: LogRecord, outcome: Outcome, result: DeliveryResult, violations: tuple[Violation, ...]
    ) -> bool:
        """Append the outcome row and drop the dispatch, once: False when another resolved it first."""
        with self._uow() as uow:
            conn = uow.conn
            head = log.lock_head(conn, attempt.borrower_id)
            gone = conn.execute(
                delete(contact_dispatch).where(
                    contact_dispatch.c.borrower_id == attempt.borrower_id, contact_dispatch.c.log_id == attempt.id
                )
            ).rowcount
            if not gone:
                return False  # resolved meanwhile (a dispatcher and a slow request both finished it)
            now = uow.clock.now()
            rules = tuple(dict.fromkeys(v.rule for v in violations))
            record = log.append(conn, outcome_record(attempt, outcome, result, rules, now), self._sealer, head)
            if attempt.task_id and outcome is Outcome.SENT:
                conn.execute(MARK_DONE, {"b": attempt.borrower_id, "task": attempt.task_id})
            uow.publish(resolved_event(record, attempt, uow.clock.business_date()))
            uow.commit()
        return True

    # -- what a crash left behind -------------------------------------------------------

    def finish_stranded(self, *, limit: int = 10_000) -> dict[str, int]:
        """Finish, cancel or expire every dispatch left unresolved; counts by outcome."""
        with self._uow(read_only=True) as uow:
            cutoff = uow.clock.now() - STRANDED_AFTER
            rows = uow.conn.execute(
                select(contact_dispatch.c.borrower_id, contact_dispatch.c.log_id, contact_dispatch.c.loan_id)
                .where(contact_dispatch.c.created_at <= cutoff)
                .order_by(contact_dispatch.c.created_at)
                .limit(limit)
            ).all()
        counts: Counter[str] = Counter()
        for borrower_id, log_id, loan_id in rows:
            outcome = self._finish(borrower_id, log_id, loan_id)
            if outcome is not None:
                counts[outcome.value] += 1
        return dict(counts)

    def _finish(self, borrower_id: str, log_id: str, loan_id: str) -> Outcome | None:
        send: Dispatch | None = None
        # P-3 pauses for a credit-report dispute too. The bureau is another context: asked before the
        # transaction, as the gateway asks it (judge.py), never while the borrower's head is locked.
        disputed = bool(loan_id) and self._disputes.has_open_dispute(borrower_id, loan_id)
        with self._uow() as uow:
            conn = uow.conn
            log.lock_head(conn, borrower_id)
            row = conn.execute(
                select(contact_dispatch).where(
                    contact_dispatch.c.borrower_id == borrower_id, contact_dispatch.c.log_id == log_id
                )
            ).first()
            if row is None:
                return None  # finished meanwhile
            attempt = log.to_record(
                conn.execute(
                    select(contact_log).where(contact_log.c.borrower_id == borrower_id, contact_log.c.id == log_id)
                ).one(),
                self._sealer,
            )
            now = uow.clock.now()
            stopped = self._still_stopped(conn, attempt, now, disputed)
            if not stopped and now - row.created_at <= SEND_WITHIN:
                conn.execute(
                    update(contact_dispatch)
                    .where(contact_dispatch.c.borrower_id == borrower_id, contact_dispatch.c.log_id == log_id)
                    .values(tries=row.tries + 1, last_try_at=now)
                )
                uow.commit()
                send = Dispatch.from_sealed_form(attempt, self._sealer.open(row.sealed, DISPATCH))
        if send is not None:
            return self.send_and_resolve(send)
        # Decided on, never to be sent: nothing left the platform after this point.
        outcome = Outcome.CANCELLED if stopped else Outcome.EXPIRED
        self._resolve(attempt, outcome, DeliveryResult(), stopped)
        return outcome

    def _still_stopped(
        self, conn: Connection, attempt_record: LogRecord, now: datetime, disputed: bool
    ) -> tuple[Violation, ...]:
        """What stops the message now that did not when it was decided: settlement, cease, pauses, hours."""
        rules = self._profile.collections
        attempt = Attempt(
            loan_id=attempt_record.loan_id,
            borrower_id=attempt_record.borrower_id,
            recipient_kind=attempt_record.recipient_kind,
            recipient_id=attempt_record.recipient_id,
            medium=attempt_record.medium,
            number_key=attempt_record.number_key,
            template=attempt_record.template,
            text=attempt_record.text,
            at=now,
            recipient_tz=attempt_record.recipient_tz,
            collector_id=attempt_record.collector_id,
        )
        flags = conn.execute(FLAGS, {"b": attempt.borrower_id, "loan": attempt.loan_id}).one()
        situation = Situation(
            loan_state=LoanState.SETTLED if flags.settled else LoanState.ACTIVE,
            cease_requests=cease_requests(conn, attempt.borrower_id),
            open_dispute=disputed,
            open_complaint=bool(flags.complained),
            hardship=hardship_state(flags.hardship),
            window_consent=window_consent_of(flags.start, flags.end),
        )
        found: list[Violation] = []
        purpose = purpose_of(attempt, rules)
        if attempt.about_loan:
            check_settled(attempt, situation, found)
            check_hardship(situation, purpose, rules, found)
            if is_collection(attempt, purpose):
                check_paused(situation, found)
        check_cease(attempt, situation, rules, purpose, found)
        check_window(attempt, situation, rules, found)
        return tuple(found)
