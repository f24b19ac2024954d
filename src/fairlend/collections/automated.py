"""The day's automated texts, decided set-based: a batch of borrowers in one transaction.

`dispatch_automated` used to send each task through `ContactGateway.attempt`:
about 22 statements a text (three reads for the situation, five writes for the
decision, six for the outcome, and the other contexts' facts). Here the same
decision is made for a batch of tasks at once, with the same policy
(`Judge.decide`), the same rows and the same order of events in each
borrower's chain:

1. the other contexts are asked first, outside any transaction, as the gateway
   asks them (`Judge.ask_many`: lending's facts and the bureau's disputes a
   task at a time, identity's numbers for the whole batch in one call, each
   reading audit-logged as a single one is);
2. one transaction locks every borrower's chain head of the batch (in borrower
   order: two batches cannot deadlock, a single attempt locks one head), reads
   every situation in one statement a table (situation_many.py), judges each
   attempt and records every decision (BLOCKED, or DISPATCHING with its sealed
   dispatch) in one insert a table;
3. after it commits, each message is handed to its channel, never inside a
   transaction;
4. one transaction records every outcome, deleting the dispatch rows.

A batch holds **one task per borrower**: a borrower's second text of the day
is in the next batch, decided after the first's outcome is recorded, exactly
as when the texts went one at a time (a failed send does not count against the
caps). A crash leaves what the gateway's would: nothing before the decisions
commit, recorded dispatches after, which `Resolver.finish_stranded` finishes
or expires. Batches are at most `BATCH` borrowers, so the chain locks of a
batch are held for a bounded time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, select, update

from fairlend.collections.dispatch import MARK_DONE, Dispatch, Resolver, outcome_record, resolved_event
from fairlend.collections.gateway import ContactGateway, attempt_record, attempted_event, dispatch_row
from fairlend.collections.judge import ContactRequest, Judge
from fairlend.collections.log_many import append_many, lock_heads
from fairlend.collections.model import DeliveryResult, LogRecord, Outcome, TaskStatus
from fairlend.collections.ports import Sealer
from fairlend.collections.situation_many import Pending, read_situations
from fairlend.collections.tables import collection_task, contact_dispatch
from fairlend.db.uow import UnitOfWorkFactory
from fairlend.faults import crash_point
from fairlend.jurisdiction.model import Profile

BATCH = 400  # borrowers a transaction decides for (SQLite's bound parameters stay far below its limit)

_MARK_TASK = (
    update(collection_task)
    .where(
        collection_task.c.borrower_id == bindparam("b"),
        collection_task.c.id == bindparam("task"),
        collection_task.c.status == TaskStatus.PENDING.value,
    )
    .values(status=bindparam("new_status"), note=bindparam("new_note"))
)


@dataclass(frozen=True, slots=True)
class Task:
    """A pending automated task: whose, which, and what the gateway is asked to send."""

    borrower_id: str
    request: ContactRequest


def rounds(tasks: Sequence[Task]) -> list[list[Task]]:
    """The tasks in batches of distinct borrowers, each borrower's tasks in their order; each round
    (every borrower's first task, then every second one, ...) cut into batches of at most `BATCH`."""
    by_round: list[list[Task]] = []
    seen: Counter[str] = Counter()
    for task in tasks:
        k = seen[task.borrower_id]
        seen[task.borrower_id] += 1
        if k == len(by_round):
            by_round.append([])
        by_round[k].append(task)
    return [r[i : i + BATCH] for r in by_round for i in range(0, len(r), BATCH)]


class AutomatedDispatch:
    def __init__(self, uow: UnitOfWorkFactory, profile: Profile, gateway: ContactGateway, sealer: Sealer) -> None:
        self._uow = uow
        self._profile = profile
        self._gateway = gateway
        self._judge: Judge = gateway.judge
        self._resolver: Resolver = gateway.resolver
        self._sealer = sealer

    def send(self, tasks: Sequence[Task]) -> Counter[str]:
        """Every task decided and, when allowed, sent: counts by outcome (sent, failed, blocked)."""
        counts: Counter[str] = Counter()
        for batch in rounds(tasks):
            counts.update(self._batch(batch))
        return counts

    def _batch(self, batch: Sequence[Task]) -> Counter[str]:
        counts: Counter[str] = Counter()
        judge = self._judge
        asked = judge.ask_many([t.request for t in batch])
        whats = [judge.what(t.request) for t in batch]
        keep = range(len(batch))
        dispatches: list[Dispatch] = []
        with self._uow() as uow:
            conn = uow.conn
            heads = lock_heads(conn, [asked[i].borrower_id for i in keep])
            now = uow.clock.now()
            framed = [judge.frame(conn, batch[i].request, asked[i], *whats[i], now) for i in keep]
            pending = [
                Pending(asked[i].facts, f.attempt, asked[i].open_dispute, f.debtor_keys)  # type: ignore[arg-type]
                for i, f in zip(keep, framed, strict=True)
            ]
            situations = read_situations(conn, self._profile, pending)
            judged = [judge.decide(f, s) for f, s in zip(framed, situations, strict=True)]
            records = append_many(
                conn,
                [
                    attempt_record(
                        batch[i].request,
                        j,
                        asked[i].borrower_id,
                        now,
                        Outcome.BLOCKED if j.violations else Outcome.DISPATCHING,
                    )
                    for i, j in zip(keep, judged, strict=True)
                ],
                self._sealer,
                heads,
            )
            uow.publish_many([attempted_event(r, uow.clock.business_date()) for r in records])
            blocked = []
            for i, j, record in zip(keep, judged, records, strict=True):
                request = batch[i].request
                if j.violations:
                    counts[Outcome.BLOCKED.value] += 1
                    if request.task_id:
                        note = ",".join(record.rules)[:200]
                        blocked.append({"b": record.borrower_id, "task": request.task_id, "new_note": note})
                else:
                    dispatches.append(Dispatch(record, j.recipient.address, j.to_send, dict(request.secrets)))
            if blocked:
                conn.execute(_MARK_TASK, [b | {"new_status": TaskStatus.BLOCKED.value} for b in blocked])
            if dispatches:
                conn.execute(contact_dispatch.insert(), [dispatch_row(d, self._sealer, now) for d in dispatches])
            crash_point("gateway.before_record")
            uow.commit()
        crash_point("gateway.after_record")
        sent = [(d.record, *self._resolver.send(d)) for d in dispatches]
        for _record, outcome, _result in sent:
            counts[outcome.value] += 1
        self._resolve(sent)
        return counts

    def _resolve(self, sent: Sequence[tuple[LogRecord, Outcome, DeliveryResult]]) -> None:
        """`Resolver._resolve` for every message of a batch, in one transaction."""
        if not sent:
            return
        with self._uow() as uow:
            conn = uow.conn
            heads = lock_heads(conn, [r.borrower_id for r, _o, _res in sent])
            ids = [r.id for r, _o, _res in sent]
            borrowers = sorted(heads)
            still = set(
                conn.execute(
                    select(contact_dispatch.c.log_id).where(
                        contact_dispatch.c.borrower_id.in_(borrowers), contact_dispatch.c.log_id.in_(ids)
                    )
                ).scalars()
            )
            # Resolved meanwhile (a dispatcher finished a stranded one): its outcome is already recorded.
            todo = [(r, o, res) for r, o, res in sent if r.id in still]
            if not todo:
                return
            conn.execute(
                delete(contact_dispatch).where(
                    contact_dispatch.c.borrower_id.in_(borrowers), contact_dispatch.c.log_id.in_(sorted(still))
                )
            )
            now = uow.clock.now()
            outcomes = append_many(
                conn, [outcome_record(a, o, res, (), now) for a, o, res in todo], self._sealer, heads
            )
            done = [{"b": a.borrower_id, "task": a.task_id} for a, o, _res in todo if a.task_id and o is Outcome.SENT]
            if done:
                conn.execute(MARK_DONE, done)
            day = uow.clock.business_date()
            uow.publish_many([resolved_event(r, a, day) for r, (a, _o, _res) in zip(outcomes, todo, strict=True)])
            uow.commit()
