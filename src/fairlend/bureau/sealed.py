"""What the bureau keeps sealed, its key rotation and its `fairlend verify` check.

Sealed: the reporting files as received (`bureau_submission.content`: whole
files of names and ID numbers), a person's dispute and the institution's
answer (`bureau_dispute.reason`, `answer_note`) and the notice the person is
sent (`bureau_outcome_notice.text`): free text that names people. A credit
file keeps the name only masked (`bureau_file.name_masked`, all a report
shows) and finds people by the blind index of their ID number, so it holds
nothing to seal.

Rotation walks each table in batches of `BATCH` rows, one short transaction
each, re-sealing every row not under the current key (rows stored in clear
before `bureau_0002` included); it can be stopped and run again. The check
opens every sealed value, so a lost key is found before a person asks for
their report.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, select, update

from fairlend.bureau.sealing import CLEAR, BureauSealer, SealError, purpose
from fairlend.bureau.tables import bureau_dispute, bureau_outcome_notice, bureau_submission
from fairlend.db.uow import UnitOfWorkFactory

BATCH = 200


@dataclass(frozen=True, slots=True)
class SealedTable:
    table: Table
    columns: tuple[str, ...]
    binary: bool = False

    def open(self, sealer: BureauSealer, row: Any, column: str) -> bytes:
        where = purpose(self.table.name, column, row.id)
        value = row._mapping[column]
        if self.binary:
            return sealer.open(row.key_id, bytes(value), where)
        return sealer.open_text(row.key_id, value, where).encode()

    def seal(self, sealer: BureauSealer, row_id: str, column: str, clear: bytes) -> Any:
        where = purpose(self.table.name, column, row_id)
        if self.binary:
            return sealer.seal(clear, where)
        return sealer.seal_text(clear.decode(), where)


SEALED: tuple[SealedTable, ...] = (
    SealedTable(bureau_submission, ("content",), binary=True),
    SealedTable(bureau_dispute, ("reason", "answer_note")),
    SealedTable(bureau_outcome_notice, ("text",)),
)


def _rows(conn: Connection, spec: SealedTable, after: str, *, stale_for: str | None = None) -> list[Any]:
    t = spec.table
    query = select(t.c.id, t.c.key_id, *[t.c[c] for c in spec.columns]).where(t.c.id > after)
    if stale_for is not None:
        query = query.where(t.c.key_id != stale_for)
    return list(conn.execute(query.order_by(t.c.id).limit(BATCH)))


def rotate(uow_factory: UnitOfWorkFactory, sealer: BureauSealer) -> int:
    """Re-seal every row not under the current key; returns how many rows were rewritten."""
    rewritten = 0
    current = sealer.key_id
    for spec in SEALED:
        after = ""
        while True:
            with uow_factory() as uow:
                rows = _rows(uow.conn, spec, after, stale_for=current)
                if not rows:
                    break
                t = spec.table
                for row in rows:
                    values = {c: spec.seal(sealer, row.id, c, spec.open(sealer, row, c)) for c in spec.columns}
                    # Only if nobody re-sealed or answered it meanwhile: a lost race is caught on the next run.
                    done = uow.conn.execute(
                        update(t).where(t.c.id == row.id, t.c.key_id == row.key_id).values(key_id=current, **values)
                    )
                    rewritten += done.rowcount
                uow.commit()
                after = rows[-1].id
    return rewritten


def verify(uow_factory: UnitOfWorkFactory, sealer: BureauSealer) -> list[tuple[str, str]]:
    """(row id, what is wrong) for each value stored in clear or that no configured key opens."""
    found: list[tuple[str, str]] = []
    for spec in SEALED:
        for row in _all_rows(uow_factory, spec):
            if row.key_id == CLEAR:
                found.append((row.id, f"{spec.table.name} is stored in clear: run fairlend users rotate-pii-keys"))
                continue
            for column in spec.columns:
                try:
                    spec.open(sealer, row, column)
                except SealError as exc:
                    found.append((row.id, f"{spec.table.name}.{column}: {exc}"))
    return found


def _all_rows(uow_factory: UnitOfWorkFactory, spec: SealedTable) -> Iterator[Any]:
    after = ""
    while True:
        with uow_factory(read_only=True) as uow:
            rows = _rows(uow.conn, spec, after)
        if not rows:
            return
        yield from rows
        after = rows[-1].id
