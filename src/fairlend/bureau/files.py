"""A person's credit file: found by the blind index of their normalised ID number, created, merged.

One person has one file. The blind index is an HMAC of the ID number
normalised by `model.normalise_id_number` (no blanks or dashes, upper-case);
before that it was only trimmed and upper-cased, so `123-45-6789` and
`123456789` made two files. `merge_duplicates` mends files keyed that way.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from fairlend.bureau.documents import mask_id_number, mask_name
from fairlend.bureau.held import blind_index
from fairlend.bureau.model import normalise_id_number
from fairlend.bureau.sealed import SEALED
from fairlend.bureau.sealing import BureauSealer
from fairlend.bureau.tables import (
    bureau_account,
    bureau_dispute,
    bureau_file,
    bureau_inquiry,
    bureau_outcome_notice,
    bureau_retention_log,
    bureau_submission,
)
from fairlend.db.uow import UnitOfWorkFactory
from fairlend.errors import Invalid
from fairlend.ids import new_id

# Every table that names a credit file: a merge moves their rows to the file that stays.
_FILE_TABLES = (bureau_account, bureau_inquiry, bureau_dispute, bureau_outcome_notice, bureau_retention_log)
_SUBMISSIONS = next(s for s in SEALED if s.table is bureau_submission)
BATCH = 200  # submissions opened per read: the sealed files are whole reporting files


def find(conn: Connection, key: bytes, id_number: str) -> Any:
    return conn.execute(select(bureau_file).where(bureau_file.c.blind_index == blind_index(key, id_number))).first()


def find_or_create(conn: Connection, key: bytes, id_number: str, name: str, now: datetime) -> Any:
    """The person's file; a new one (an inquiry about someone the bureau has never heard of) if none."""
    found = find(conn, key, id_number)
    if found is not None:
        return found
    if not normalise_id_number(id_number):
        raise Invalid("id_number_required", "an ID number is required")
    conn.execute(
        insert(bureau_file).values(
            id=new_id("bfile"),
            blind_index=blind_index(key, id_number),
            name_masked=mask_name(name),
            id_masked=mask_id_number(id_number),
            created_at=now,
        )
    )
    return find(conn, key, id_number)


def legacy_blind_index(key: bytes, id_number: str) -> str:
    """The index as bureau code before `normalise_id_number` keyed it: trimmed and upper-cased only.

    A copy, frozen: it names the keys stored then, whatever the current code does.
    """
    return hmac.digest(key, id_number.strip().upper().encode(), "sha256").hex()


def merge_duplicates(uow_factory: UnitOfWorkFactory, sealer: BureauSealer, key: bytes) -> int:
    """Re-key every file stored under an un-normalised ID number and merge it into its person's file.

    The stored keys are one-way (HMACs) and a file keeps the number only
    masked, so the numbers are found where the bureau still has them: the
    reporting files as received, opened with the bureau's sealer. Each
    number written with separators gives its old key and its new one; every
    file under either becomes one (the one already under the new key, else
    the oldest), its accounts, inquiries, disputes, notices and retention
    log moved over, in one transaction. Running it again finds nothing left
    to do. A file that only an inquiry made, under a number no reporting
    file carries, cannot be found this way: its key is left as it was.
    Returns how many files were re-keyed or merged away.
    """
    renamed: dict[str, str] = {}  # old key -> new key, for each number whose normal form differs
    masked: dict[str, str] = {}  # new key -> the number masked in its normal form
    for number in _reported_id_numbers(uow_factory, sealer):
        old, new = legacy_blind_index(key, number), blind_index(key, number)
        if old != new:
            renamed[old] = new
            masked[new] = mask_id_number(number)
    if not renamed:
        return 0
    changed = 0
    with uow_factory() as uow:
        conn = uow.conn
        by_key: dict[str, Any] = {}
        wanted = sorted({*renamed, *renamed.values()})
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for row in conn.execute(select(bureau_file).where(bureau_file.c.blind_index.in_(chunk))):
                by_key[row.blind_index] = row
        people: dict[str, list[Any]] = {}  # new key -> the person's files, the one under it first
        for old, new in sorted(renamed.items()):
            if old in by_key:
                people.setdefault(new, [by_key[new]] if new in by_key else []).append(by_key[old])
        for new, files in people.items():
            # The file already under the new key stays (it may be found by it); else the oldest.
            keep = files[0] if files[0].blind_index == new else min(files, key=lambda f: (f.created_at, f.id))
            gone = [f.id for f in files if f.id != keep.id]
            if gone:
                for table in _FILE_TABLES:
                    conn.execute(update(table).where(table.c.file_id.in_(gone)).values(file_id=keep.id))
                conn.execute(delete(bureau_file).where(bureau_file.c.id.in_(gone)))
            if keep.blind_index != new:
                conn.execute(
                    update(bureau_file)
                    .where(bureau_file.c.id == keep.id)
                    .values(blind_index=new, id_masked=masked[new])
                )
            changed += len(gone) + (keep.blind_index != new)
        uow.commit()
    return changed


def _reported_id_numbers(uow_factory: UnitOfWorkFactory, sealer: BureauSealer) -> Iterator[str]:
    """Each ID number written with separators or in lower case in a stored reporting file (JSON Lines).

    Metro 2 files carry the SSN as nine digits, already its normal form.
    """
    seen: set[str] = set()
    after = ""
    table = bureau_submission
    while True:
        with uow_factory(read_only=True) as uow:
            rows = list(
                uow.conn.execute(
                    select(table.c.id, table.c.key_id, table.c.content)
                    .where(table.c.id > after)
                    .order_by(table.c.id)
                    .limit(BATCH)
                )
            )
        if not rows:
            return
        for row in rows:
            for number in _id_numbers(_SUBMISSIONS.open(sealer, row, "content")):
                if number not in seen and number.strip().upper() != normalise_id_number(number):
                    seen.add(number)
                    yield number
        after = rows[-1].id


def _id_numbers(content: bytes) -> Iterator[str]:
    for line in content.split(b"\n"):
        if b"id_number" not in line:
            continue
        try:
            data = json.loads(line)
        except ValueError:
            continue
        person = data.get("person") if isinstance(data, dict) else None
        number = person.get("id_number") if isinstance(person, dict) else None
        if isinstance(number, str):
            yield number
