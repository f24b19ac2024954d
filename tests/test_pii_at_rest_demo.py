"""A demo-sized run leaves no person's name, ID number, phone or bank card in clear at rest (DESIGN 10).

One run per backend of what `fairlend serve --demo` seeds (40 borrowers,
90 days: sign-up, KYC, cards, certificate files, loans, repayments, the
collector, end-of-day with the T+1 file to the bureau, a contact person, a
complaint with a screenshot, credit checks and an application, another
lender's file and a dispute about it), then through the real app: a
compliance officer's "show unmasked" call with an Idempotency-Key, replayed,
and a borrower's certificate upload with one. Every value of every person
the run made is then looked for (tests/pii_scan.py) in every column of
every table, in the raw bytes of the SQLite file, its `-wal` (read before
any checkpoint: it must hold the run's last write) and `-shm`, and in
`pg_dump`'s output; each hit names its table.

Every table must be clean: the idempotency store's answers, the last place
that was pending, are sealed now (docs/api.md, "Idempotency").
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from fairlend.api.app import create_app
from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.db.tables import outbox
from fairlend.identity.model import AuditFilter, Principal, Role, mask_phone
from fairlend.sim.demo import seed_demo
from fairlend.sim.episodes import payslip
from fairlend.sim.report import DemoReport
from tests.conftest import PG_REQUIRED, _truncate_all
from tests.pii_scan import Parts, Scan, Secret, describe, pg_dump, row_dump, sqlite_files

DEMO = {"borrowers": 40, "days": 90, "seed": 7}  # `fairlend serve --demo`'s size
# Each backend's run is shared by the tests on it: one xdist worker takes them all.
RUNS = [
    pytest.param("sqlite", marks=pytest.mark.xdist_group("pii_demo_sqlite")),
    pytest.param("postgresql", marks=pytest.mark.xdist_group("pii_demo_postgresql")),
]
on_each_backend = pytest.mark.parametrize("demo_run", RUNS, indirect=True)


@dataclass
class DemoRun:
    backend: str
    report: DemoReport
    secrets: list[Secret]
    sources: dict[str, Parts]
    scan: Scan
    planted: Scan
    wal_bytes: int
    marker: bytes
    unmasked: tuple[int, dict[str, Any], int, dict[str, Any]]  # first and replayed answer
    audit_rows: int


def _secrets(report: DemoReport) -> list[Secret]:
    found: list[Secret] = []
    for p in report.people:
        owner = f"borrower {p.index}"
        found += [
            Secret(owner, "name", p.name),
            Secret(owner, "id_number", p.id_number),
            Secret(owner, "phone", p.phone),
            Secret(owner, "card", p.card_number),
        ]
    for n, c in enumerate(report.contact_persons):
        found += [Secret(f"contact person {n}", "name", c.name), Secret(f"contact person {n}", "phone", c.phone)]
    found += [Secret(f"third party {n}", "phone", number) for n, number in enumerate(report.third_party_numbers)]
    return found


def _through_the_app(container: Container, report: DemoReport, marker: str) -> tuple[Any, ...]:
    """A replayed "show unmasked" call and a certificate upload, each with an Idempotency-Key."""
    compliance = next(o for o in container.identity.accounts.operators() if o.role is Role.COMPLIANCE)
    officer, _ = container.identity.tokens.issue(Principal(compliance.operator_id, Role.COMPLIANCE))
    person = report.borrowers[0]
    sim = next(p for p in report.people if p.phone == person.phone)
    borrower, _ = container.identity.tokens.issue(Principal(person.person_id, Role.BORROWER))
    with TestClient(create_app(container=container), raise_server_exceptions=False) as api:
        headers = {"Authorization": f"Bearer {officer}", "Idempotency-Key": f"unmask-{marker}"}
        body = {"purpose": f"scan {marker} call back {person.phone}"}
        first = api.post(f"/api/v1/people/{person.person_id}/unmasked", json=body, headers=headers)
        again = api.post(f"/api/v1/people/{person.person_id}/unmasked", json=body, headers=headers)
        upload = api.post(
            f"/api/v1/people/{person.person_id}/certificates",
            data={"kind": "deposit", "amount": "20000"},
            files={"file": ("statement.pdf", payslip(sim), "application/pdf")},
            headers={"Authorization": f"Bearer {borrower}", "Idempotency-Key": f"upload-{marker}"},
        )
    assert upload.status_code == 201, upload.text
    entries = container.identity.audit.page(AuditFilter(person_id=person.person_id), limit=1000).entries
    views = sum(marker in e.purpose for e in entries)
    return first.status_code, first.json(), again.status_code, again.json(), views


def _plant(container: Container, report: DemoReport) -> list[Secret]:
    """Store two people's values in clear where the code never would: a reporting file and an event."""
    first, second = report.people[0], report.people[1]
    clear_file = f'{{"person": {{"name": "{first.name}", "id_number": "{first.id_number}"}}}}'.encode()
    submissions = sa.table("bureau_submission", sa.column("id"), sa.column("key_id"), sa.column("content"))
    with container.engine.begin() as conn:
        target = conn.execute(sa.select(sa.func.min(submissions.c.id))).scalar_one()
        conn.execute(submissions.update().where(submissions.c.id == target).values(key_id="", content=clear_file))
        position = conn.execute(sa.select(sa.func.min(outbox.c.position))).scalar_one()
        conn.execute(outbox.update().where(outbox.c.position == position).values(payload={"name": second.name}))
    return [
        Secret("planted", "name", first.name),
        Secret("planted", "id_number", first.id_number),
        Secret("planted", "name", second.name),
    ]


def _sources(container: Container, backend: str) -> tuple[dict[str, Parts], int]:
    sources: dict[str, Parts] = {"row dump": row_dump(container.engine)}
    wal_bytes = 0
    if backend == "sqlite":
        database = Path(sa.engine.make_url(container.settings.database_url).database or "")
        files, sizes = sqlite_files(container.engine, database)
        sources.update(files)
        wal_bytes = sizes["-wal"]
    elif shutil.which("pg_dump"):
        sources["pg_dump"] = pg_dump(container.settings.database_url)
    elif PG_REQUIRED:
        pytest.fail("pg_dump is required in CI to scan the PostgreSQL database as dumped")
    return sources, wal_bytes


@pytest.fixture(scope="module")
def demo_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoRun]:
    backend: str = request.param
    tmp = tmp_path_factory.mktemp(f"pii_{backend}")
    if backend == "sqlite":
        path = tmp / "fairlend.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        pg = request.getfixturevalue("pg_database")
        if pg is None:
            pytest.skip("PostgreSQL is not reachable on this machine (CI requires it)")
        _truncate_all(pg)
        url = str(pg)
    clock = FixedClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC), date(2026, 3, 2))
    container = bootstrap(Settings(environment="test", database_url=url, data_dir=tmp), clock=clock)
    try:
        report = seed_demo(container, **DEMO)
        marker = uuid.uuid4().hex[:8]
        *unmasked, audits = _through_the_app(container, report, marker)
        secrets = _secrets(report)
        # Read while the engine's connections are open: closing the last one would checkpoint the WAL.
        sources, wal_bytes = _sources(container, backend)
        scan = Scan.of(sources, secrets)
        planted_secrets = _plant(container, report)
        planted = Scan.of(_sources(container, backend)[0], planted_secrets)
        yield DemoRun(
            backend, report, secrets, sources, scan, planted, wal_bytes, marker.encode(), tuple(unmasked), audits
        )
    finally:
        container.close()


@on_each_backend
def test_a_demo_run_leaves_no_personal_data_in_clear_anywhere(demo_run: DemoRun) -> None:
    found = demo_run.scan.found((), inside=False)
    assert found == {}, "personal data in clear:\n" + describe(found)


@on_each_backend
def test_the_run_exercised_every_path_that_stores_bodies_and_files(demo_run: DemoRun) -> None:
    report = demo_run.report
    assert len(report.people) == DEMO["borrowers"] and report.eod_days == DEMO["days"]
    assert report.contact_persons and report.third_party_numbers and report.complaint_id and report.dispute_id
    assert report.certificates["approved"] >= 1 and report.bureau_records >= 2
    assert report.self_checks == 2 and report.applications == 1
    rows = demo_run.sources["row dump"]
    for part in (
        "bureau_submission.content",  # the other lender's file and fairlend's T+1 files
        "lending_reporting_file.content",
        "bureau_dispute.reason",
        "bureau_outcome_notice.text",
        "identity_certificate_file.content",
        "complaint.text",
        "complaint_attachment.data",
        "contact_person.name",
        "contact_person.name_sealed",
        "contact_log.text",
        "idempotency_key.body",
        "loan_application.id",
        "score_record.features",
        "outbox.payload",
        "identity_audit.purpose",
    ):
        assert rows.get(part), f"the run stored nothing in {part}"
    # The replay answered with the first answer (personal data in clear, stored for it) and wrote no second view.
    status, first, replay_status, replayed = demo_run.unmasked
    person = next(p for p in report.people if p.phone == report.borrowers[0].phone)
    assert status == replay_status == 200 and replayed == first
    assert (first["name"], first["id_number"], first["bank_cards"]) == (
        person.name,
        person.id_number,
        [person.card_number],
    )
    assert demo_run.audit_rows == 1  # the view the call made; the replay made none


@on_each_backend
def test_the_scan_reads_every_source_and_sees_what_is_stored_there(demo_run: DemoRun) -> None:
    expected = (
        {"row dump", "sqlite file", "sqlite -wal", "sqlite -shm"} if demo_run.backend == "sqlite" else {"row dump"}
    )
    if demo_run.backend == "postgresql" and shutil.which("pg_dump"):
        expected.add("pg_dump")
    assert set(demo_run.sources) == expected
    masked = {mask_phone(p.phone).encode() for p in demo_run.report.people}
    for source, parts in demo_run.sources.items():
        if source in ("sqlite -shm", "sqlite -wal"):  # page-number index; only the pages since the last checkpoint
            continue
        whole = b"\n".join(parts.values())
        # Every borrower's masked phone is stored beside the sealed one: the scan reads the people table.
        assert {m for m in masked if m in whole} == masked, source
    if demo_run.backend == "sqlite":
        # The WAL was read before any checkpoint and holds the run's very last writes.
        assert demo_run.wal_bytes > 100_000
        wal = demo_run.sources["sqlite -wal"]
        assert demo_run.marker in wal.get("identity_audit", b""), "the audit row of the last call is not in the WAL"
        assert set(wal) >= {"identity_audit", "idempotency_key", "identity_certificate_file"}  # the last calls


@on_each_backend
def test_a_clear_value_planted_in_a_file_or_an_event_is_found_and_named(demo_run: DemoRun) -> None:
    found = demo_run.planted.hits
    rows = found["row dump"]
    assert {s.kind for s in rows.get("bureau_submission.content", set())} == {"name", "id_number"}
    assert {s.kind for s in rows.get("outbox.payload", set())} == {"name"}
    raw = "sqlite -wal" if demo_run.backend == "sqlite" else "pg_dump"
    if raw in found:
        assert {"bureau_submission", "outbox"} <= set(found[raw]), found[raw]
    else:
        assert demo_run.backend == "postgresql" and not shutil.which("pg_dump")
