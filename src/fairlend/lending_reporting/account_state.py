"""Each furnished account's state, kept between days: the Metro 2 export's read model.

`metro2.fold` replays reporting records into what Metro 2 says of an account.
Replaying every reporting file since the first on each export costs the whole
history; instead each file's records are folded once onto the stored states
(`lending_reporting_account`) and the file remembers how many of its records
are in (`folded_records`: a catch-up run of end-of-day may append to the day's
file). `catch_up` folds what is not yet in, files in date order; the export
then reads the states of the accounts it reports, one scan at month-end.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from datetime import date
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, insert, select, update

from fairlend.jurisdiction.model import ModificationCodes
from fairlend.lending_reporting.metro2 import Furnished, fold
from fairlend.lending_reporting.tables import lending_reporting_account, lending_reporting_file

CHUNK = 1_000  # keys per IN list and rows per statement: inside SQLite's and PostgreSQL's bind limits


def catch_up(conn: Connection, modification_codes: ModificationCodes) -> int:
    """Fold every stored record not yet folded into the account states; how many records were folded."""
    f = lending_reporting_file.c
    pending = conn.execute(
        select(f.business_date, f.content, f.folded_records)
        .where(f.folded_records < f.records)
        .order_by(f.business_date)
    ).all()
    accounts: dict[str, Furnished] = {}
    touched: set[str] = set()
    folded = 0
    for row in pending:
        lines = [line for line in row.content.splitlines() if line.strip()]
        records = [json.loads(line) for line in lines[row.folded_records :]]
        refs = {str(r["account_ref"]) for r in records}
        accounts.update(load(conn, refs - accounts.keys()))
        fold(records, modification_codes, accounts)
        touched |= refs & accounts.keys()
        folded += len(records)
        conn.execute(
            update(lending_reporting_file).where(f.business_date == row.business_date).values(folded_records=len(lines))
        )
    store(conn, [accounts[ref] for ref in sorted(touched)])
    return folded


def load(conn: Connection, refs: Collection[str]) -> dict[str, Furnished]:
    """The stored states of these accounts (accounts never opened in a folded record are absent)."""
    found: dict[str, Furnished] = {}
    ordered = sorted(refs)
    a = lending_reporting_account.c
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        for row in conn.execute(select(lending_reporting_account).where(a.account_ref.in_(chunk))).mappings():
            found[row["account_ref"]] = _from_row(row)
    return found


def store(conn: Connection, accounts: list[Furnished]) -> None:
    """Write these states over the stored ones: one delete and one executemany insert per chunk."""
    a = lending_reporting_account.c
    for start in range(0, len(accounts), CHUNK):
        chunk = accounts[start : start + CHUNK]
        conn.execute(delete(lending_reporting_account).where(a.account_ref.in_([x.ref for x in chunk])))
        conn.execute(insert(lending_reporting_account), [_to_row(x) for x in chunk])


def latest_file_day(conn: Connection) -> date | None:
    """The last business date with a reporting file: the states are as of it once caught up."""
    value = conn.execute(
        select(lending_reporting_file.c.business_date).order_by(lending_reporting_file.c.business_date.desc()).limit(1)
    ).scalar()
    return value if isinstance(value, date) else None


def _to_row(x: Furnished) -> dict[str, Any]:
    return {
        "account_ref": x.ref,
        "opened": x.opened,
        "amount": x.amount,
        "term_months": x.term_months,
        "installment": x.installment,
        "borrower": json.dumps(dict(x.borrower), ensure_ascii=False, sort_keys=True),
        "balance": x.balance,
        "past_due": x.past_due,
        "days_past_due": x.days_past_due,
        "delinquent_since": x.delinquent_since,
        "state": x.state,
        "closed_on": x.closed_on,
        "charge_off": x.charge_off,
        "rating_at_close": x.rating_at_close,
        "last_payment_on": x.last_payment_on,
        "paid_in_month": json.dumps({str(k): v for k, v in sorted(x.paid_in_month.items())}),
        "months": json.dumps({str(k): v for k, v in sorted(x.months.items())}),
        "special_comment": x.special_comment,
        "as_of": x.as_of,
    }


def _from_row(row: RowMapping) -> Furnished:
    return Furnished(
        ref=row["account_ref"],
        opened=row["opened"],
        amount=int(row["amount"]),
        term_months=int(row["term_months"]),
        installment=int(row["installment"]),
        borrower=json.loads(row["borrower"]),
        balance=int(row["balance"]),
        past_due=int(row["past_due"]),
        days_past_due=int(row["days_past_due"]),
        delinquent_since=row["delinquent_since"],
        state=row["state"],
        closed_on=row["closed_on"],
        charge_off=int(row["charge_off"]),
        rating_at_close=row["rating_at_close"],
        last_payment_on=row["last_payment_on"],
        paid_in_month={int(k): int(v) for k, v in json.loads(row["paid_in_month"]).items()},
        months={int(k): str(v) for k, v in json.loads(row["months"]).items()},
        special_comment=row["special_comment"],
        as_of=row["as_of"],
    )
