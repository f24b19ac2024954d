"""`fairlend eod` freezes the process's long-lived objects once (cli/eod.py, freeze_long_lived)."""

from __future__ import annotations

import gc

from fairlend.cli.eod import freeze_long_lived


def test_end_of_day_freezes_what_the_process_holds_once_and_leaves_later_objects_to_the_collector() -> None:
    already = gc.get_freeze_count()
    try:
        freeze_long_lived()
        frozen = gc.get_freeze_count()
        assert frozen >= already and frozen > 0
        later = [[] for _ in range(1_000)]  # objects made after the freeze stay collectable
        freeze_long_lived()
        assert gc.get_freeze_count() == frozen
        assert later
    finally:
        if already == 0:
            gc.unfreeze()  # the test process's heap back to the collector
