"""What `fairlend serve --demo` seeds now (a simulated market under `us`) leaves no person's data in clear at rest.

DESIGN 10: the scripted demo's scan (tests/test_pii_at_rest_demo.py) covers every
path that stores bodies and files; this one covers the people the simulated market
makes, investors as well as borrowers, whose name, SSN (with and without dashes),
phone and card are looked for in every column of every table, in the SQLite file
and its WAL, and in `pg_dump`'s output.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from fairlend.bootstrap import Container
from fairlend.sim.market_demo import seed_market_demo
from fairlend.sim.simulate import SimConfig
from fairlend.sim.traits import draw_borrowers, draw_investors
from tests.conftest import PG_REQUIRED
from tests.pii_scan import Parts, Scan, Secret, describe, pg_dump, row_dump, sqlite_files

SMALL = SimConfig(borrowers=6, investors=4, days=45, seed=5)


def _person_secrets(owner: str, name: str, id_number: str, phone: str, card: str) -> list[Secret]:
    return [
        Secret(owner, "name", name),
        Secret(owner, "id_number", id_number),
        Secret(owner, "id_number", id_number.replace("-", "")),  # an SSN as its digits alone
        Secret(owner, "phone", phone),
        Secret(owner, "card", card),
    ]


def _sources(container: Container) -> dict[str, Parts]:
    sources: dict[str, Parts] = {"row dump": row_dump(container.engine)}
    url = container.settings.database_url
    if url.startswith("sqlite"):
        files, _sizes = sqlite_files(container.engine, Path(sa.engine.make_url(url).database or ""))
        sources.update(files)
    elif shutil.which("pg_dump"):
        sources["pg_dump"] = pg_dump(url)
    elif PG_REQUIRED:
        pytest.fail("pg_dump is required in CI to scan the PostgreSQL database as dumped")
    return sources


def test_the_simulated_demo_stores_no_borrowers_or_investors_data_in_clear(us_container: Container) -> None:
    demo = seed_market_demo(us_container, SMALL)
    scheme = us_container.profile.id_number_scheme
    borrowers = draw_borrowers(SMALL.borrowers, SMALL.seed, demo.sim.start, SMALL.days, scheme)
    investors = draw_investors(SMALL.investors, SMALL.seed, scheme)
    # The draws are the people the run signed up: the demo printed the same phones.
    assert [a.person.phone for a in borrowers] == [b.phone for b in demo.borrowers]
    assert {t.phone for t in investors} == {i.phone for i in demo.investors}
    secrets = [
        s
        for a in borrowers
        for s in _person_secrets(
            f"borrower {a.person.index}", a.person.name, a.person.id_number, a.person.phone, a.person.card_number
        )
    ] + [
        s
        for t in investors
        for s in _person_secrets(f"investor {t.index}", t.name, t.id_number, t.phone, t.card_number)
    ]
    sources = _sources(us_container)
    assert sources["row dump"], "the run stored nothing to scan"
    found = Scan.of(sources, secrets).found((), inside=False)
    assert found == {}, "personal data in clear:\n" + describe(found)
