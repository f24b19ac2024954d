"""Intake never fails on what a lender sends: every line is applied, a duplicate, or rejected with a reason.

Hypothesis mutates valid records (a field dropped, or replaced by any JSON
value) and mixes in arbitrary text lines, so the validation, not an exception, has the
last word on each line. The HTTP route answers the same way.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fairlend.bureau.service import BureauService
from tests.bureau.conftest import Records

pytestmark = pytest.mark.backends("sqlite")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _valid_records() -> list[dict[str, Any]]:
    r = Records("FZ")
    return [
        r.opened(date(2026, 1, 5)),
        r.status(date(2026, 1, 31)),
        r.status(date(2026, 2, 28), days_overdue=5),
        r.notice(date(2026, 2, 20)),
        r.settled(date(2026, 3, 1)),
    ]


@st.composite
def mutated_lines(draw: st.DrawFn) -> bytes:
    out: list[bytes] = []
    for record in _valid_records():
        kind = draw(st.sampled_from(["keep", "drop", "replace", "raw"]))
        if kind == "raw":
            out.append(draw(st.text(max_size=60)).replace("\n", " ").replace("\r", " ").encode())
            continue
        if kind != "keep":
            field = draw(st.sampled_from(sorted(record)))
            if kind == "drop":
                del record[field]
            else:
                record[field] = draw(json_values)
        out.append(json.dumps(record, ensure_ascii=draw(st.booleans())).encode())
    return b"\n".join(out)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(content=mutated_lines())
def test_every_line_of_a_mangled_file_is_applied_or_rejected_with_a_reason(
    bureau: BureauService, content: bytes
) -> None:
    inst = bureau.register_institution("Fuzz Bank")
    ack = bureau.submit(inst.institution_id, content)
    nonblank = sum(1 for line in content.split(b"\n") if line.strip())
    assert ack.applied + ack.duplicates + len(ack.rejected) == nonblank
    assert all(o.code and o.reason for o in ack.rejected)
    # The same bytes again change nothing and answer the same way.
    again = bureau.submit(inst.institution_id, content)
    assert (again.applied, again.duplicates, len(again.rejected)) == (ack.applied, ack.duplicates, len(ack.rejected))


def test_a_file_that_is_not_utf8_is_refused_whole_and_applies_nothing(bureau: BureauService) -> None:
    inst = bureau.register_institution("Fuzz Bank")
    good = json.dumps(_valid_records()[0]).encode()
    ack = bureau.submit(inst.institution_id, good + b"\n\x80\xff")
    assert (ack.applied, [(o.line, o.code) for o in ack.rejected]) == (0, [(0, "not_utf8")])


def test_a_line_separator_inside_a_json_string_does_not_split_the_line(bureau: BureauService) -> None:
    inst = bureau.register_institution("Fuzz Bank")
    record = _valid_records()[0]
    record["person"]["name"] = "张\u2028三\x0c"
    ack = bureau.submit(inst.institution_id, json.dumps(record, ensure_ascii=False).encode() + b"\r\n")
    assert (ack.lines, ack.applied, ack.rejected) == (1, 1, ())


def test_lines_that_are_each_broken_do_not_join_into_records(bureau: BureauService) -> None:
    inst = bureau.register_institution("Fuzz Bank")
    good = _valid_records()[0]
    opened = json.dumps(good)
    # Each of the first two lines is invalid alone; joined as an array they would be one good record.
    content = "\n".join([opened[:-1] + ', "extra": [{"a": 1}', '{"b": 2}]}', "{},{}"]).encode()
    ack = bureau.submit(inst.institution_id, content)
    assert ack.applied == 0
    assert [o.line for o in ack.rejected] == [1, 2, 3]


# -- nothing is applied from a refused line, and the HTTP routes answer the same way ---------------

APPLIED_TABLES = ("bureau_account", "bureau_month", "bureau_file")


def _applied_state(bureau: BureauService) -> dict[str, list[tuple[object, ...]]]:
    with bureau._uow(read_only=True) as uow:
        return {
            table: sorted(tuple(r) for r in uow.conn.execute(sa.text(f"SELECT * FROM {table}")))
            for table in APPLIED_TABLES
        }


def _logged_ids(bureau: BureauService, institution_id: str) -> int:
    with bureau._uow(read_only=True) as uow:
        return int(
            uow.conn.execute(
                sa.text("SELECT count(*) FROM bureau_record WHERE institution_id = :i"), {"i": institution_id}
            ).scalar_one()
        )


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(content=mutated_lines())
def test_a_file_that_applies_nothing_changes_no_account_and_logs_only_applied_ids(
    bureau: BureauService, content: bytes
) -> None:
    inst = bureau.register_institution("Fuzz Bank")
    before = _applied_state(bureau)
    ack = bureau.submit(inst.institution_id, content)
    # A refused record gives its id back: only applied ones are logged (so a corrected line may be re-sent).
    assert _logged_ids(bureau, inst.institution_id) == ack.applied
    if ack.applied == 0:
        assert _applied_state(bureau) == before
    for outcome in ack.rejected:
        assert outcome.line >= 0 and outcome.code.replace("_", "").isalnum() and outcome.reason


@settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(content=mutated_lines() | st.binary(max_size=200))
def test_the_file_route_answers_every_mangled_file_with_an_acknowledgement(api: TestClient, content: bytes) -> None:
    bank = getattr(api, "_fuzz_bank", None)
    if bank is None:
        container = api.app.state.container  # type: ignore[attr-defined]
        bank = container.bureau.register_institution("Fuzz Bank")
        api._fuzz_bank = bank  # type: ignore[attr-defined]
    headers = {"Authorization": f"ApiKey {bank.api_key}"}
    sent = api.post("/api/v1/bureau/files", content=content, headers=headers)
    assert sent.status_code == 200, sent.text
    ack = sent.json()
    nonblank = sum(1 for line in content.split(b"\n") if line.strip())
    try:
        content.decode("utf-8")
    except UnicodeDecodeError:
        assert ack["applied"] == 0 and [o["code"] for o in ack["rejected"]] == ["not_utf8"]
        return
    assert ack["applied"] + ack["duplicates"] + len(ack["rejected"]) == nonblank


@pytest.mark.parametrize("body", ["[1, 2]", '[{"record_id": 5}]', "{}", "[", '"x"', "[null]"])
def test_the_records_route_refuses_what_is_not_a_list_of_records_as_a_problem(api: TestClient, body: str) -> None:
    container = api.app.state.container  # type: ignore[attr-defined]
    bank = container.bureau.register_institution("Array Bank")
    sent = api.post(
        "/api/v1/bureau/records",
        content=body,
        headers={"Authorization": f"ApiKey {bank.api_key}", "Content-Type": "application/json"},
    )
    assert sent.status_code in (200, 422), sent.text
    if sent.status_code == 422:
        assert sent.headers["content-type"].startswith("application/problem+json") and sent.json()["code"]
    else:
        assert sent.json()["applied"] == 0 and all(o["code"] for o in sent.json()["rejected"])
