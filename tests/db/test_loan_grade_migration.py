"""lending_0009 stores each loan's grade: the offer's where an offer booked it, else the grade of its price."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from fairlend.db.engine import make_engine
from fairlend.db.migrate import upgrade
from tests.db.test_shard_keys_migration import _insert, blank_url  # noqa: F401 (the fixture)

BEFORE = ("lending_0008", "origination_0005")


def test_the_upgrade_gives_each_loan_its_offers_grade_or_the_grade_of_its_price(blank_url: str, tmp_path: Path) -> None:  # noqa: F811
    engine = make_engine(blank_url)
    for revision in BEFORE:
        upgrade(engine, revision)
    with engine.begin() as conn:
        sqlite = conn.dialect.name == "sqlite"

        def rate(text: str) -> object:  # the column is text on SQLite (db/types.py Rate), numeric on PostgreSQL
            return text if sqlite else Decimal(text)

        loans = {"loan_offered": "0.18", "loan_e5": "0.18", "loan_a1": "0.05", "loan_g5": "0.30", "loan_b4": "0.1049"}
        for i, (loan_id, price) in enumerate(loans.items()):
            _insert(conn, "loan", borrower_id=f"brw_{i}", id=loan_id, borrower_slot=1, rate=rate(price))
        # The offer that booked the first loan graded it C2 (at a price the ladder calls E5); another
        # borrower's offer naming the same loan id must not be taken for it.
        _insert(conn, "loan_offer", borrower_id="brw_0", id="off_0", loan_id="loan_offered", grade="C2")
        _insert(conn, "loan_offer", borrower_id="brw_9", id="off_9", loan_id="loan_e5", grade="A1")

    upgrade(engine)

    with engine.connect() as conn:
        grades = {r.id: r.grade for r in conn.execute(sa.text("SELECT id, grade FROM loan"))}
    engine.dispose()
    assert grades == {"loan_offered": "C2", "loan_e5": "E5", "loan_a1": "A1", "loan_g5": "G5", "loan_b4": "B4"}
