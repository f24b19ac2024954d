"""`fairlend eod` freezes the process's long-lived objects once (cli/eod.py, freeze_long_lived)."""

from __future__ import annotations

import gc

import pytest

from fairlend.cli.eod import freeze_long_lived


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
