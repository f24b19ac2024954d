"""fairlend as a Metro 2 furnisher: the day's Metro 2 file from the reporting files it already keeps.

The JSON reporting files (service.py) stay the facts; a Metro 2 file is
the same facts in the CRRG's format (metro2.py folds them). For a business
date it holds one base segment for every account that day's file names,
and for every account whose dispute state changed (its compliance
condition code, CRRG; FCRA §623(a)(3)). `Metro2Step` runs after the day
commits (identity audit-logs every clear read in its own transaction):
it builds the file, keeps a copy sealed under the personal-data keys
(`FileSealer`, identity's vault), and in `metro2` mode is what the
submitter sends to the bureau instead of the JSON file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Connection, delete, insert, select, update

from fairlend.bureau.client import BureauClient
from fairlend.clock import Clock
from fairlend.db.uow import UnitOfWorkFactory
from fairlend.jurisdiction.model import ModificationCodes
from fairlend.lending_reporting import account_state
from fairlend.lending_reporting.metro2 import Consumer, Furnished, base_segment, day_accounts, fold
from fairlend.lending_reporting.service import ReportingIdentities
from fairlend.lending_reporting.tables import (
    lending_reporting_compliance,
    lending_reporting_file,
    lending_reporting_metro2,
)
from fairlend.metro2 import codes
from fairlend.metro2.file import Account, write

PURPOSE = "lending_reporting_metro2.content"


class FileSealer(Protocol):
    """Port: encryption of a stored file under the personal-data keys (identity's vault)."""

    @property
    def current_key_id(self) -> str: ...

    def encrypt_bytes(self, plaintext: bytes, purpose: str) -> bytes: ...

    def decrypt_bytes(self, kid: str, blob: bytes, purpose: str) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Reporter:
    """The header's furnisher identity and the bureaus' program identifiers (settings, `FAIRLEND_METRO2_*`)."""

    identification_number: str = ""
    name: str = "FAIRLEND"
    address: str = ""
    telephone: int = 0
    equifax_program: str = ""
    experian_program: str = ""
    transunion_program: str = ""
    innovis_program: str = ""

    def header(self, activity: date, created: date) -> dict[str, object]:
        return {
            "activity_date": activity,
            "date_created": created,
            "reporter_name": self.name[:40],
            "reporter_address": self.address[:96],
            "reporter_telephone_number": self.telephone,
            "equifax_program_identifier": self.equifax_program[:10],
            "experian_program_identifier": self.experian_program[:5],
            "transunion_program_identifier": self.transunion_program[:10],
            "innovis_program_identifier": self.innovis_program[:10],
            "software_vendor_name": "FAIRLEND",
        }


class Metro2Export:
    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        codes_: ModificationCodes,
        identities: ReportingIdentities,
        sealer: FileSealer,
        reporter: Reporter,
        client: BureauClientFactory | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._codes = codes_
        self._identities = identities
        self._sealer = sealer
        self._reporter = reporter
        self._client = client

    def build(self, day: date) -> bytes:
        """The Metro 2 file for `day` (records up to and including it); nothing but the account states is stored.

        The records not yet folded into the account states are folded first (account_state.py), so the
        accounts come from their state rows, not from replaying every file since the first. A day before
        the last reporting file (a re-export of the past) still replays the files up to it.
        """
        with self._uow() as uow:
            account_state.catch_up(uow.conn, self._codes)
            reported: dict[str, str] = {
                str(r.loan_id): str(r.code) for r in uow.conn.execute(select(lending_reporting_compliance))
            }
            uow.commit()
        compliance = self._compliance(reported)  # asks the bureau: outside this context's transaction
        with self._uow(read_only=True) as uow:
            conn = uow.conn
            latest = account_state.latest_file_day(conn)
            if latest is not None and day < latest:
                records = _records(conn, lending_reporting_file.c.business_date <= day)
                accounts = fold(records, self._codes)
                named = day_accounts(records, day)
            else:
                named = day_accounts(_records(conn, lending_reporting_file.c.business_date == day), day)
                accounts = account_state.load(conn, set(named) | compliance.keys())
        refs = named + [ref for ref in sorted(compliance) if ref not in set(named)]
        segments = list(self._segments(accounts, refs, day, compliance))
        return "".join(write(self._reporter.header(day, self._clock.business_date()), segments)).encode("ascii")

    def _segments(
        self, accounts: dict[str, Furnished], refs: list[str], day: date, compliance: dict[str, str]
    ) -> Iterator[Account]:
        for ref in refs:
            account = accounts.get(ref)
            if account is None:
                continue
            borrower = account.borrower
            if borrower.get("identity_pending"):
                found = self._identities.reporting_identity(str(borrower["borrower_id"]))
                name, ssn = found.name, found.id_number
            else:
                name, ssn = str(borrower.get("name", "")), str(borrower.get("id_number", ""))
            # fairlend's identity keeps no birth date (KYC checks it, does not store it): the field stays blank.
            consumer = Consumer.from_name(name, ssn)
            yield base_segment(
                account,
                day,
                consumer,
                compliance=compliance.get(ref, ""),
                identification=self._reporter.identification_number,
            )

    def _compliance(self, reported: dict[str, str]) -> dict[str, str]:
        """Compliance condition codes (CRRG): XB while a dispute is open; XH once, the cycle after it closes.

        XC needs the consumer's disagreement with the outcome and XR a code
        reported in error; fairlend records neither, so it sends neither.
        """
        open_refs: set[str] = set()
        if self._client is not None:
            open_refs = {mark.account_ref for mark in self._client().open_disputes()}
        out = dict.fromkeys(open_refs, codes.DISPUTED)
        for ref, code in reported.items():
            if code == codes.DISPUTED and ref not in open_refs:
                out[ref] = codes.DISPUTE_RESOLVED
        return out

    def run(self, day: date) -> int:
        """After the day: build the day's file, keep it sealed, remember the codes it reported."""
        content = self.build(day)
        with self._uow(read_only=True) as uow:
            reported: dict[str, str] = {
                str(r.loan_id): str(r.code) for r in uow.conn.execute(select(lending_reporting_compliance))
            }
        compliance = self._compliance(reported)
        with self._uow() as uow:
            conn = uow.conn
            conn.execute(delete(lending_reporting_metro2).where(lending_reporting_metro2.c.business_date == day))
            conn.execute(
                insert(lending_reporting_metro2).values(
                    business_date=day,
                    key_id=self._sealer.current_key_id,
                    content=self._sealer.encrypt_bytes(content, f"{PURPOSE}:{day.isoformat()}"),
                    created_at=self._clock.now(),
                )
            )
            conn.execute(delete(lending_reporting_compliance))
            kept = [{"loan_id": ref, "code": code} for ref, code in compliance.items() if code == codes.DISPUTED]
            if kept:
                conn.execute(insert(lending_reporting_compliance), kept)
            uow.commit()
        return content.count(b"\n") - 2

    def stored(self, day: date) -> bytes | None:
        """The day's Metro 2 file as kept (opened with the key it was sealed under)."""
        with self._uow(read_only=True) as uow:
            row = uow.conn.execute(
                select(lending_reporting_metro2.c.key_id, lending_reporting_metro2.c.content).where(
                    lending_reporting_metro2.c.business_date == day
                )
            ).first()
        if row is None:
            return None
        return self._sealer.decrypt_bytes(row.key_id, bytes(row.content), f"{PURPOSE}:{day.isoformat()}")

    def reseal(self) -> int:
        """Re-seal every kept file not under the current key (`fairlend users rotate-pii-keys`); how many."""
        current = self._sealer.current_key_id
        with self._uow() as uow:
            rows = uow.conn.execute(
                select(
                    lending_reporting_metro2.c.business_date,
                    lending_reporting_metro2.c.key_id,
                    lending_reporting_metro2.c.content,
                ).where(lending_reporting_metro2.c.key_id != current)
            ).all()
            for row in rows:
                purpose = f"{PURPOSE}:{row.business_date.isoformat()}"
                clear = self._sealer.decrypt_bytes(row.key_id, bytes(row.content), purpose)
                uow.conn.execute(
                    update(lending_reporting_metro2)
                    .where(lending_reporting_metro2.c.business_date == row.business_date)
                    .values(key_id=current, content=self._sealer.encrypt_bytes(clear, purpose))
                )
            uow.commit()
        return len(rows)

    def unreadable(self) -> list[tuple[str, str]]:
        """`fairlend verify`: each kept file no configured key opens."""
        found = []
        with self._uow(read_only=True) as uow:
            for row in uow.conn.execute(select(lending_reporting_metro2)):
                try:
                    self._sealer.decrypt_bytes(
                        row.key_id, bytes(row.content), f"{PURPOSE}:{row.business_date.isoformat()}"
                    )
                except Exception as exc:  # the vault's error type is identity's: named here by what it means
                    found.append((f"lending_reporting_metro2 {row.business_date}", f"no key opens it: {exc}"))
        return found


def _records(conn: Connection, where: ColumnElement[bool]) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(lending_reporting_file.c.content).where(where).order_by(lending_reporting_file.c.business_date)
    ).all()
    return [json.loads(line) for (content,) in rows for line in content.splitlines() if line.strip()]


class BureauClientFactory(Protocol):
    def __call__(self) -> BureauClient: ...
