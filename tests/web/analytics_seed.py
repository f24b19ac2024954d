"""A small demo book (sim/demo.py, through the services) for the analytics pages' tests, on SQLite."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from fairlend.bootstrap import Container, bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.identity.model import Role
from fairlend.sim.demo import contact_instant, seed_demo
from fairlend.sim.report import DemoReport

ZONES = {"cn": "Asia/Shanghai", "us": "America/New_York"}


def demo_book(
    folder: Path, template: Path, jurisdiction: str = "cn", *, days: int = 60
) -> tuple[Container, DemoReport]:
    """Six borrowers over `days` business days: enough for late loans, blocked calls and a complaint."""
    path = folder / "fairlend.db"
    shutil.copyfile(template, path)
    settings = Settings(
        environment="development", database_url=f"sqlite:///{path}", data_dir=folder, jurisdiction=jurisdiction
    )
    today = date.today()
    container = bootstrap(settings, clock=FixedClock(contact_instant(today, ZONES[jurisdiction]), today))
    return container, seed_demo(container, borrowers=6, days=days, seed=11)


def operator_id(container: Container, report: DemoReport, role: str) -> str:
    login = next(o for o in report.operators if o.role == role)
    return next(o for o in container.identity.accounts.operators() if o.username == login.username).operator_id


def person(report: DemoReport, role: Role = Role.BORROWER) -> str:
    return report.borrowers[0].person_id if role is Role.BORROWER else report.investors[0].person_id


@pytest.fixture(scope="session")
def analytics_demo(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[tuple[Container, DemoReport]]:
    """One demo book for the analytics page tests and their browser test (read only: nothing changes it)."""
    container, report = demo_book(tmp_path_factory.mktemp("analytics"), sqlite_template)
    yield container, report
    container.close()
