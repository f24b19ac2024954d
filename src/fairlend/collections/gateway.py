"""The contact gateway: the only way fairlend reaches a person.

Every message to a person (SMS, call, e-mail, letter, visit, and the code
that asks a contact person to confirm) comes here. The gateway reads what is
true at this moment, runs the policy, and records the decision in the
borrower's hash-chained contact log *before* anything leaves: a blocked
attempt as BLOCKED, an allowed one as DISPATCHING together with its sealed
address and text in `contact_dispatch`. Only after that commits does it call
the channel, and then it records the outcome (dispatch.py). A crash anywhere
leaves either nothing (before the decision commits) or a recorded dispatch
that the dispatcher finishes or expires: never a message without a record
(P-4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, insert, update

from fairlend.collections import log
from fairlend.collections.addresses import NumberKeys
from fairlend.collections.dispatch import Dispatch, Resolver
from fairlend.collections.events import ContactAttempted
from fairlend.collections.judge import Asked, ContactRequest, Judge, Judged
from fairlend.collections.model import ContactPoint, LogRecord, Medium, Outcome, TaskStatus, Violation
from fairlend.collections.ports import DISPATCH, ChannelPort, ContactPointPort, DisputePort, LendingPort, Sealer
from fairlend.collections.preview import Preview, allowed_now
from fairlend.collections.tables import collection_task, contact_dispatch
from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.faults import crash_point
from fairlend.ids import new_id
from fairlend.jurisdiction.model import Profile

__all__ = ["ContactDecision", "ContactGateway", "ContactRequest"]  # ContactRequest lives in judge.py


@dataclass(frozen=True, slots=True)
class ContactDecision:
    log_id: str  # the attempt's row
    seq: int
    outcome: Outcome  # BLOCKED, or what became of the allowed attempt (SENT, FAILED)
    violations: tuple[Violation, ...]

    @property
    def allowed(self) -> bool:
        return self.outcome is not Outcome.BLOCKED

    @property
    def rules(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v.rule for v in self.violations))


def attempt_record(
    request: ContactRequest, judged: Judged, borrower_id: str, now: datetime, outcome: Outcome
) -> LogRecord:
    """The attempt's row as decided (BLOCKED or DISPATCHING), before it is chained."""
    attempt, recipient = judged.attempt, judged.recipient
    return LogRecord(
        borrower_id=borrower_id,
        seq=0,
        id=new_id("ctc"),
        loan_id=attempt.loan_id,
        at=now,
        medium=request.medium,
        recipient_kind=request.recipient_kind,
        recipient_id=recipient.id,
        recipient_masked=recipient.masked,
        recipient_tz=recipient.timezone,
        number_key=attempt.number_key,
        template=attempt.template,
        text=judged.to_log,
        outcome=outcome,
        rules=tuple(dict.fromkeys(v.rule for v in judged.violations)),
        connected=False,
        conversation=False,
        collector_id=request.collector_id,
        task_id=request.task_id,
        prev_hash="",
    )


def attempted_event(record: LogRecord, business_date: date) -> ContactAttempted:
    return ContactAttempted(
        log_id=record.id,
        borrower_id=record.borrower_id,
        loan_id=record.loan_id,
        medium=record.medium.value,
        recipient_kind=record.recipient_kind.value,
        outcome=record.outcome.value,
        rules=record.rules,
        business_date=business_date,
    )


def dispatch_row(dispatch: Dispatch, sealer: Sealer, now: datetime) -> dict[str, object]:
    """The allowed attempt's `contact_dispatch` row: its sealed address and text, until its outcome."""
    record = dispatch.record
    return {
        "borrower_id": record.borrower_id,
        "log_id": record.id,
        "loan_id": record.loan_id,
        "medium": record.medium.value,
        "template": record.template,
        "sealed": sealer.seal(dispatch.sealed_form(), DISPATCH),
        "created_at": now,
        "tries": 1,
        "last_try_at": now,
    }


class ContactGateway:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        profile: Profile,
        lending: LendingPort,
        contact_points: ContactPointPort,
        disputes: DisputePort,
        channels: Mapping[Medium, ChannelPort],
        number_key: NumberKeys,
        sealer: Sealer,
    ) -> None:
        self._uow = uow
        self._profile = profile
        self._contact_points = contact_points
        self.number_key = number_key
        self._sealer = sealer
        # What decides: shared with the preview (preview.py), so the two cannot disagree.
        self.judge = Judge(profile, lending, contact_points, disputes, number_key, sealer)
        self.resolver = Resolver(uow, profile, disputes, channels, sealer)
        self._media = tuple(m for m in Medium if m in channels)  # what the preview offers: what can go out

    def attempt(self, request: ContactRequest) -> ContactDecision:
        """Decide and record (one transaction), then send, then record the outcome (another).

        The other contexts' ports are asked first, outside any transaction:
        they keep their own (identity audit-logs every contact point it hands
        out), and on SQLite a second writer inside ours would wait on our lock.
        What the policy must see race-free (settlement, complaints, cease
        requests, the log) is read inside it, under the borrower's chain lock.
        The channel is called only once the decision is committed, so a
        message never leaves without its record; it is never called inside a
        transaction, so a slow provider holds no lock.
        """
        asked = self.judge.ask(request)
        template, free_text = self.judge.what(request)
        with self._uow() as uow:
            decision, dispatch = self._decide(uow, request, asked, template, free_text)
            crash_point("gateway.before_record")
            uow.commit()
        crash_point("gateway.after_record")
        if dispatch is None:
            return decision
        outcome = self.resolver.send_and_resolve(dispatch)
        return ContactDecision(decision.log_id, decision.seq, outcome, ())

    def preview(self, loan_id: str) -> Preview:
        """What an attempt about this loan would be told now (preview.py); nothing is recorded."""
        return allowed_now(self._uow, self.judge, self._profile, self._media, loan_id)

    def contact_point(self, person_id: str) -> ContactPoint | None:
        return self._contact_points.contact_point(person_id)

    # -- in the transaction: decide and record --------------------------------------------

    def _decide(
        self,
        uow: UnitOfWork,
        request: ContactRequest,
        asked: Asked,
        template_id: str,
        free_text: bool,
    ) -> tuple[ContactDecision, Dispatch | None]:
        conn = uow.conn
        borrower_id = asked.borrower_id
        head = log.lock_head(conn, borrower_id)
        now = uow.clock.now()
        judged = self.judge.judge(conn, request, asked, template_id, free_text, now)
        recipient, violations, to_send = judged.recipient, judged.violations, judged.to_send
        outcome = Outcome.BLOCKED if violations else Outcome.DISPATCHING
        record = log.append(conn, attempt_record(request, judged, borrower_id, now, outcome), self._sealer, head)
        uow.publish(attempted_event(record, uow.clock.business_date()))
        decision = ContactDecision(record.id, record.seq, outcome, violations)
        if violations:
            if request.task_id:
                self._mark_task(conn, borrower_id, request.task_id, TaskStatus.BLOCKED, ",".join(record.rules))
            return decision, None
        dispatch = Dispatch(record, recipient.address, to_send, dict(request.secrets))
        conn.execute(insert(contact_dispatch).values(dispatch_row(dispatch, self._sealer, now)))
        return decision, dispatch

    @staticmethod
    def _mark_task(conn: Connection, borrower_id: str, task_id: str, status: TaskStatus, note: str) -> None:
        conn.execute(
            update(collection_task)
            .where(
                collection_task.c.borrower_id == borrower_id,
                collection_task.c.id == task_id,
                collection_task.c.status == TaskStatus.PENDING.value,
            )
            .values(status=status.value, note=note[:200])
        )
