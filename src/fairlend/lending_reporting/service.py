"""fairlend reports itself to the bureau, T+1 (CN-16).

End-of-day runs `BureauReportingStep` inside its transaction: it reads the
day's lending events from the outbox (consumer "bureau_reporting"), turns
them into reporting records, stores them as that business date's reporting
file and advances its outbox cursor, all in the same transaction, so a
re-run changes nothing. It reads only below the outbox's horizon (db/outbox.py):
an event whose transaction is still open is left for a later file, never
skipped; end-of-day first waits, bounded, for the transactions older than
its own to finish (`settle`), so the day's file normally holds them all. After the day commits, `ReportingFileSubmitter`
sends every unsent file through the bureau client and keeps the bureau's
acknowledgement; a file the bureau did not take stays pending for the next
day, and re-sending one is harmless (the bureau knows its hash).

A loan under a hardship plan (plans.py): its modification is reported, a kept
plan reports no new delinquency, a broken one reports what it held back, a
discounted settlement paid is settled for less.

Before the first negative record on a loan the borrower must have been told
(CN-11; CR-8 within 30 days after): the reporter asks the `NegativeNotices`
port when the notice went out and reports it ahead of the negative record.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping
from datetime import date
from typing import Protocol

from sqlalchemy import Connection, delete, insert, select, update

from fairlend.bureau.client import Ack, BureauClient
from fairlend.clock import Clock
from fairlend.db.outbox import advance_consumer, consumer_cursor, read_after
from fairlend.db.uow import UnitOfWork, UnitOfWorkFactory
from fairlend.errors import NotFound
from fairlend.lending_reporting.model import (
    DISBURSED,
    EVENT_TYPES,
    PLAN_EVENT_TYPES,
    BorrowerIdentity,
    is_negative,
    notice_record,
    records_for,
)
from fairlend.lending_reporting.plans import KeptPlan, Withheld, follow, under_plan
from fairlend.lending_reporting.tables import lending_reporting_file, lending_reporting_plan

CONSUMER = "bureau_reporting"
PENDING_IDENTITY = BorrowerIdentity("", "", "")
PENDING_MARK = '"identity_pending": true'
FAIRLEND_INSTITUTION_ID = "inst_fairlend"


class ReportingIdentity(Protocol):
    """What identity's `reporting_identity(person_id)` returns."""

    @property
    def name(self) -> str: ...

    @property
    def id_number(self) -> str: ...

    @property
    def id_scheme(self) -> str: ...


class ReportingIdentities(Protocol):
    """Port: a borrower's real name and ID number, for the opening record (identity supplies it)."""

    def reporting_identity(self, person_id: str) -> ReportingIdentity: ...


class NegativeNotices(Protocol):
    """Port: when the borrower was told that negative information will be reported (collections/notifications)."""

    def notices_sent_on(self, loan_ids: Collection[str]) -> Mapping[str, date]:
        """The day each loan's borrower was first told (loans never told are left out)."""
        ...


class BureauReportingStep:
    """An end-of-day step (`name`, `run(uow, business_date) -> int`): builds the day's reporting file."""

    name = "bureau_reporting"

    def __init__(self, notices: NegativeNotices, *, batch: int = 5_000) -> None:
        self._notices = notices
        self._batch = batch

    def run(self, uow: UnitOfWork, business_date: date) -> int:
        conn = uow.conn
        cursor = consumer_cursor(conn, CONSUMER)
        lines: list[str] = []
        noticed: set[str] = set()
        plans = _load_plans(conn)
        followed = dict(plans)
        while True:
            events = read_after(conn, cursor, limit=self._batch, types=EVENT_TYPES)
            if not events:
                break
            stop = False
            # One question per batch about every loan it turns negative, not one per loan.
            told = self._notices.notices_sent_on(
                {
                    e.payload["loan_id"]
                    for e in events
                    if (e.business_date is None or e.business_date <= business_date)
                    and is_negative(e.event_type, e.payload)
                    and e.payload["loan_id"] not in noticed
                }
            )
            for event in events:
                if event.business_date is not None and event.business_date > business_date:
                    stop = True  # a later day's event waits for that day's file
                    break
                payload = event.payload
                # The borrower's name and ID number are filled in only when the file is sent
                # (`ReportingFileSubmitter`): identity audit-logs every clear read in its own
                # transaction, which must not nest inside end-of-day's, and the stored file
                # then holds no personal data in clear.
                person = PENDING_IDENTITY if event.event_type == DISBURSED else None
                loan_id = payload["loan_id"]
                if is_negative(event.event_type, payload) and loan_id not in noticed:
                    notified_on = told.get(loan_id)
                    if notified_on is not None:
                        lines.append(json.dumps(notice_record(loan_id, notified_on), ensure_ascii=False))
                        noticed.add(loan_id)
                if event.event_type in PLAN_EVENT_TYPES:
                    records = follow(event.event_type, payload, plans)
                else:
                    made = records_for(event.event_type, payload, event.position, person=person)
                    records = [under_plan(record, plans) for record in made]
                for record in records:
                    lines.append(json.dumps(record, ensure_ascii=False))
                cursor = event.cursor
            if stop:
                break
        advance_consumer(conn, CONSUMER, cursor)
        _store_plans(conn, followed, plans)
        if not lines:
            return 0
        existing = conn.execute(
            select(lending_reporting_file.c.content, lending_reporting_file.c.records).where(
                lending_reporting_file.c.business_date == business_date
            )
        ).first()
        if existing is None:
            conn.execute(
                insert(lending_reporting_file).values(
                    business_date=business_date,
                    content="\n".join(lines) + "\n",
                    records=len(lines),
                    created_at=uow.clock.now(),
                )
            )
        else:
            # A catch-up run found more of the day's events: append them (unsent files only).
            conn.execute(
                update(lending_reporting_file)
                .where(lending_reporting_file.c.business_date == business_date)
                .values(
                    content=existing.content + "\n".join(lines) + "\n",
                    records=existing.records + len(lines),
                    submitted_at=None,
                )
            )
        return len(lines)


def _load_plans(conn: Connection) -> dict[str, KeptPlan]:
    plans = {}
    for r in conn.execute(select(lending_reporting_plan)):
        withheld = None
        if r.withheld_days is not None:
            withheld = Withheld(int(r.withheld_balance), int(r.withheld_overdue), int(r.withheld_days))
        plans[r.loan_id] = KeptPlan(r.loan_id, r.kind, bool(r.held), withheld)
    return plans


def _store_plans(conn: Connection, before: Mapping[str, KeptPlan], after: Mapping[str, KeptPlan]) -> None:
    """Write back what the day's events changed: the loans under a kept plan are few."""
    changed = [loan for loan in before.keys() | after.keys() if before.get(loan) != after.get(loan)]
    if not changed:
        return
    conn.execute(delete(lending_reporting_plan).where(lending_reporting_plan.c.loan_id.in_(changed)))
    rows = [
        {
            "loan_id": p.loan_id,
            "kind": p.kind,
            "held": p.held,
            "withheld_balance": p.withheld.balance if p.withheld else None,
            "withheld_overdue": p.withheld.amount_overdue if p.withheld else None,
            "withheld_days": p.withheld.days_overdue if p.withheld else None,
        }
        for loan in sorted(changed)
        if (p := after.get(loan)) is not None
    ]
    if rows:
        conn.execute(insert(lending_reporting_plan), rows)


class ReportingFileSubmitter:
    """The after-day callable (`fn(business_date) -> int`): sends pending files through the bureau client."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        client: Callable[[], BureauClient],
        identities: ReportingIdentities,
        *,
        metro2: Callable[[date], bytes | None] | None = None,
    ) -> None:
        # A callable: fairlend's institution is registered at the bureau on first use.
        # `metro2`: the day's stored Metro 2 file, sent instead of the JSON file (docs/metro2.md).
        self._metro2 = metro2
        self._uow = uow
        self._clock = clock
        self._client = client
        self._identities = identities

    def _with_identities(self, content: str) -> bytes:
        lines = []
        for line in content.splitlines():
            if PENDING_MARK in line:
                record = json.loads(line)
                found = self._identities.reporting_identity(record["person"]["borrower_id"])
                record["person"] = {"name": found.name, "id_number": found.id_number, "id_scheme": found.id_scheme}
                line = json.dumps(record, ensure_ascii=False)
            lines.append(line)
        return ("\n".join(lines) + "\n").encode()

    def __call__(self, business_date: date) -> int:
        with self._uow(read_only=True) as uow:
            pending = list(
                uow.conn.execute(
                    select(lending_reporting_file.c.business_date, lending_reporting_file.c.content)
                    .where(
                        lending_reporting_file.c.submitted_at.is_(None),
                        lending_reporting_file.c.business_date <= business_date,
                    )
                    .order_by(lending_reporting_file.c.business_date)
                )
            )
        applied = 0
        for day, content in pending:
            body = self._metro2(day) if self._metro2 is not None else None
            ack = self._client().submit_file(body if body is not None else self._with_identities(content))
            applied += ack.applied
            with self._uow() as uow:
                uow.conn.execute(
                    update(lending_reporting_file)
                    .where(lending_reporting_file.c.business_date == day)
                    .values(submitted_at=self._clock.now(), ack=json.dumps(ack.to_json(), ensure_ascii=False))
                )
                uow.commit()
        return applied

    def acknowledgement(self, business_date: date) -> Ack | None:
        with self._uow(read_only=True) as uow:
            row = uow.conn.execute(
                select(lending_reporting_file.c.ack).where(lending_reporting_file.c.business_date == business_date)
            ).first()
        if row is None:
            raise NotFound("no_reporting_file", f"no reporting file for {business_date}")
        return Ack.from_json(json.loads(row.ack)) if row.ack else None


def reporting_file(uow: UnitOfWorkFactory, business_date: date) -> str | None:
    """The reporting file built for a business date (JSON Lines), if any."""
    with uow(read_only=True) as opened:
        return opened.conn.execute(
            select(lending_reporting_file.c.content).where(lending_reporting_file.c.business_date == business_date)
        ).scalar()
