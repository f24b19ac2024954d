"""`fairlend eod` and `fairlend serve` freeze the process's long-lived objects once (cli, freeze_long_lived)."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import pytest
from fastapi import FastAPI

import fairlend.cli as cli
from fairlend.cli import freeze_long_lived, served_app


def test_end_of_day_freezes_the_process_once_however_often_it_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    # The freeze count itself drops whenever a frozen object dies, so count the freezes, not the objects.
    freezes: list[int] = []
    monkeypatch.setattr(gc, "freeze", lambda: freezes.append(1))
    monkeypatch.setattr(gc, "get_freeze_count", lambda: 170_000 * len(freezes))
    freeze_long_lived()
    freeze_long_lived()
    freeze_long_lived()
    assert freezes == [1]


def test_end_of_day_leaves_a_freeze_made_before_it_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    freezes: list[int] = []
    monkeypatch.setattr(gc, "freeze", lambda: freezes.append(1))
    monkeypatch.setattr(gc, "get_freeze_count", lambda: 5)  # somebody (a bench) froze the heap already
    freeze_long_lived()
    assert freezes == []


def test_end_of_day_really_moves_the_heap_out_of_the_collectors_reach() -> None:
    already = gc.get_freeze_count()
    try:
        freeze_long_lived()
        assert gc.get_freeze_count() > 0
    finally:
        if already == 0:
            gc.unfreeze()  # the test process's heap back to the collector


class _Node:
    def __init__(self) -> None:
        self.me = self


def test_the_garbage_waiting_at_the_freeze_is_collected_not_kept_for_ever() -> None:
    if gc.get_freeze_count():
        gc.unfreeze()
    cycle = _Node()
    gone = weakref.ref(cycle)
    del cycle  # unreachable now, but only the cyclic collector can free it
    try:
        freeze_long_lived()
        assert gone() is None
    finally:
        gc.unfreeze()


def _no_server(monkeypatch: pytest.MonkeyPatch, database: Path) -> list[object]:
    """A thawed heap, a fresh database, and uvicorn.run replaced: what it was given, and whether the heap
    was frozen when it was called."""
    if gc.get_freeze_count():
        gc.unfreeze()
    monkeypatch.setenv("FAIRLEND_DATABASE_URL", f"sqlite:///{database}")
    ran: list[object] = []
    import uvicorn

    monkeypatch.setattr(uvicorn, "run", lambda app, **_: ran.append((app, gc.get_freeze_count() > 0)))
    return ran


def test_serve_freezes_the_built_app_before_it_serves_one_request(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ran = _no_server(monkeypatch, tmp_path / "serve.db")
    try:
        cli.serve(host="127.0.0.1", port=8999, demo=False, workers=1)
        [(served, frozen)] = ran
        assert isinstance(served, FastAPI) and frozen
    finally:
        gc.unfreeze()


def test_each_worker_of_a_multi_process_server_builds_its_app_and_freezes_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ran = _no_server(monkeypatch, tmp_path / "workers.db")
    cli.serve(host="127.0.0.1", port=8999, demo=False, workers=2)
    [(factory, frozen)] = ran
    assert factory == "fairlend.cli:served_app" and not frozen  # the supervisor serves nothing itself
    try:
        assert isinstance(served_app(), FastAPI) and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
