"""A batch's reads and writes: intake's few passes over the database (intake.py applies the file).

The record ids are logged and checked in one insert (`claim`); the accounts
the file names are read with their stored row of the month the file reports
in one join per chunk of refs (`load`); accounts, months (inserted, or
upserted when they may be stored) and credit files are written once each
(`write`). Rows go to the driver as tuples in the tables' column order with
their dates in storage form, so no Python work is left per value. JSON
Lines and Metro 2 files go through the same functions.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, insert, select

from fairlend.bureau.bulk import bulk_insert, bulk_insert_tuples, bulk_update, chunks, fetch_all, row_key
from fairlend.bureau.held import (
    ACCOUNT_STATE,
    HELD_COLUMNS,
    HELD_WIDTH,
    MONTH_COLUMNS,
    MONTH_KEPT,
    STATUS_STATE,
    Batch,
    HeldAccount,
    blind_index,
    rare_stored,
    rare_values,
    status_values,
)
from fairlend.bureau.records import Record, RecordType
from fairlend.bureau.tables import bureau_account, bureau_file, bureau_month, bureau_record


def claim(
    conn: Connection, institution_id: str, submission_id: str, records: list[Record], unlogged: RecordType | None = None
) -> tuple[list[Record], int]:
    """Log the file's record ids as its own and keep the records whose ids were new; and the duplicates.

    One INSERT ... ON CONFLICT DO NOTHING both looks each id up and logs
    it, where a query and then an insert went through the same index
    twice. Only when fewer rows went in than were sent (a re-sent record)
    does a query find which ids were held before. A record the rules then
    refuse gives its id back (`_release`), so it can be sent again.
    Records of type `unlogged` are kept without a log row (only repeats
    within the file are dropped): the caller decides whether they were
    applied before (a Metro 2 cycle status: `HeldAccount.reported_on`).
    """
    seen: set[str] = set()
    fresh: list[Record] = []
    for record in records:
        if record.record_id not in seen:
            seen.add(record.record_id)
            fresh.append(record)
    duplicates = len(records) - len(fresh)
    to_log = fresh if unlogged is None else [r for r in fresh if r.type is not unlogged]
    if not to_log:
        return fresh, duplicates
    logged = bulk_insert_tuples(
        conn,
        bureau_record,
        [(institution_id, r.record_id, submission_id, r.line) for r in to_log],
        conflict=("institution_id", "record_id"),
        keep_existing=True,
    )
    if logged == len(to_log):
        return fresh, duplicates
    held: set[str] = set()
    marker = "?" if conn.dialect.name == "sqlite" else "%s"
    for chunk in chunks([r.record_id for r in to_log]):
        # Plain SQL: rendering thousands of bound parameters per chunk cost more than the lookup.
        sql = (
            f"SELECT record_id FROM {bureau_record.name} WHERE institution_id = {marker} "
            f"AND submission_id <> {marker} AND record_id IN ({', '.join([marker] * len(chunk))})"
        )
        held.update(row[0] for row in fetch_all(conn, sql, (institution_id, submission_id, *chunk)))
    return [r for r in fresh if r.record_id not in held], duplicates + len(held)


def release(conn: Connection, institution_id: str, record_ids: list[str]) -> None:
    """Take refused records' ids out of the log: only applied records make a re-sent one a duplicate."""
    marker = "?" if conn.dialect.name == "sqlite" else "%s"
    for chunk in chunks(record_ids):
        sql = (
            f"DELETE FROM {bureau_record.name} WHERE institution_id = {marker} "
            f"AND record_id IN ({', '.join([marker] * len(chunk))})"
        )
        cursor = conn.connection.cursor()
        try:
            cursor.execute(sql, (institution_id, *chunk))
        finally:
            cursor.close()


def load(conn: Connection, batch: Batch, records: list[Record], blind_key: bytes) -> None:
    """Read the accounts the records name, each with its stored row of the month the file reports.

    One query per chunk of account refs, joined to the month of the
    file's last record: a month-end or daily file reports one month, so
    that is every month row it can add to. Months of other dates are read
    by their exact keys afterwards.
    """
    if not records:
        return
    files = load_files(conn, records, blind_key)
    batch.files.update(files)
    main = records[-1].day.year * 100 + records[-1].day.month
    marker = "?" if conn.dialect.name == "sqlite" else "%s"
    head = (
        f"SELECT a.{row_key(conn)[0]}, {_HELD_SELECT} FROM {bureau_account.name} a LEFT JOIN {bureau_month.name} m "
        f"ON m.account_id = a.id AND m.month = {marker} "
        f"WHERE a.institution_id = {marker} AND a.account_ref IN ("
    )
    held = HELD_WIDTH
    accounts, months, stored = batch.accounts, batch.months, batch.stored
    for chunk in chunks(sorted({r.account_ref for r in records})):
        sql = head + ", ".join([marker] * len(chunk)) + ")"
        for row in fetch_all(conn, sql, (main, batch.institution_id, *chunk)):
            account = HeldAccount.stored(row)
            accounts[row[2]] = account
            if row[_MONTH_CODE] is not None:
                key = (account.id, main)
                months[key] = row[held:]
                stored.add(key)
    if accounts:
        _load_other_months(conn, batch, records, main)


def _load_other_months(conn: Connection, batch: Batch, records: list[Record], main: int) -> None:
    """The stored months, other than the file's main one, that the file's records write to."""
    wanted: set[tuple[str, int]] = set()
    accounts = batch.accounts
    for record in records:
        if record.type in _MONTH_WRITERS:
            month = record.day.year * 100 + record.day.month
            if month != main:
                account = accounts.get(record.account_ref)
                if account is not None and not account.is_new:
                    wanted.add((account.id, month))
    if not wanted:
        return
    marker = "?" if conn.dialect.name == "sqlite" else "%s"
    month_list = sorted({m for _, m in wanted})
    for chunk in chunks(sorted({a for a, _ in wanted})):
        sql = (
            f"SELECT {', '.join(MONTH_COLUMNS)} FROM {bureau_month.name} "
            f"WHERE month IN ({', '.join([marker] * len(month_list))}) "
            f"AND account_id IN ({', '.join([marker] * len(chunk))})"
        )
        for row in fetch_all(conn, sql, (*month_list, *chunk)):
            key = (row[0], row[1])
            if key in wanted:
                batch.months[key] = tuple(row)
                batch.stored.add(key)


def load_files(conn: Connection, records: list[Record], blind_key: bytes) -> dict[str, str]:
    """Blind index -> credit file id, for the people in this file's new accounts."""
    indexes = sorted({blind_index(blind_key, r.person.id_number) for r in records if r.person is not None})
    files: dict[str, str] = {}
    for chunk in chunks(indexes):
        rows = conn.execute(
            select(bureau_file.c.blind_index, bureau_file.c.id).where(bureau_file.c.blind_index.in_(chunk))
        )
        files.update({str(b): str(i) for b, i in rows})
    return files


def write(conn: Connection, batch: Batch) -> None:
    """Every change the batch holds, one bulk statement per table: new files, accounts, account states, months."""
    if batch.new_files:
        conn.execute(insert(bureau_file), list(batch.new_files.values()))
    accounts = batch.accounts.values()
    created = [a.values() for a in accounts if a.is_new]
    if created:
        bulk_insert(conn, bureau_account, created)
    dates = batch.dates
    # Only the columns a status changes, for every account whose rarely changed columns are as stored.
    changed: list[tuple[Any, ...]] = []
    statuses: list[tuple[Any, ...]] = []
    for account in accounts:
        if account.dirty and not account.is_new:
            values = account.state_values(dates)
            if rare_values(values) == rare_stored(account.loaded):
                statuses.append(status_values(values))
            else:
                changed.append(values)
    by = row_key(conn)[1]
    if statuses:
        bulk_update(conn, bureau_account, by, STATUS_STATE, statuses)
    if changed:
        bulk_update(conn, bureau_account, by, ACCOUNT_STATE, changed)
    # A month that may already be stored is upserted; the rest are new: a plain insert is cheaper.
    stored_months: list[tuple[Any, ...]] = []
    new_months: list[tuple[Any, ...]] = []
    months, stored = batch.months, batch.stored
    for key in sorted(batch.touched):
        (stored_months if key in stored else new_months).append(months[key])
    if stored_months:
        bulk_insert_tuples(conn, bureau_month, stored_months, conflict=("account_id", "month"))
    if new_months:
        bulk_insert_tuples(conn, bureau_month, new_months)


# The account's state, then its month row in MONTH_COLUMNS' layout with only the kept columns read.
_HELD_SELECT = ", ".join(
    [*(f"a.{c}" for c in HELD_COLUMNS), *(f"m.{c}" if c in MONTH_KEPT else "NULL" for c in MONTH_COLUMNS)]
)
_MONTH_CODE = HELD_WIDTH + MONTH_COLUMNS.index("code")  # NULL when the account has no row for the month
# Records that write the month of their date (a correction names its month; a notice writes none).
_MONTH_WRITERS = frozenset({RecordType.STATUS, RecordType.REPAYMENT, RecordType.SETTLEMENT, RecordType.CHARGE_OFF})
