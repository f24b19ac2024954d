"""The day's journal entries of end-of-day, held back until the day's (or partition's) loans are updated."""

from __future__ import annotations

import threading

from fairlend.db.uow import UnitOfWork
from fairlend.ledger.batch import JournalBatch
from fairlend.ledger.model import JournalEntry
from fairlend.ledger.service import Ledger


class DayJournal:
    """The day's journal entries, posted after every lending step has updated its loans.

    Repayments lock a loan and then the control accounts; end-of-day must take
    them in the same order, or the two could deadlock on PostgreSQL. Outside
    a day's run (a step run on its own) entries are posted at once.

    What is deferred belongs to the thread running the day or partition: one
    platform may run two partitions at once in two threads (two operators'
    retries on the web page, a threaded worker pool), and neither may post or
    drop the other's entries.
    """

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger
        self._local = threading.local()

    @property
    def deferring(self) -> bool:
        return bool(getattr(self._local, "deferring", False))

    @deferring.setter
    def deferring(self, value: bool) -> None:
        self._local.deferring = value

    @property
    def _pending(self) -> list[JournalEntry]:
        pending: list[JournalEntry] | None = getattr(self._local, "pending", None)
        if pending is None:
            pending = self._local.pending = []
        return pending

    @_pending.setter
    def _pending(self, value: list[JournalEntry]) -> None:
        self._local.pending = value

    def add(self, uow: UnitOfWork, journal_entry: JournalEntry) -> None:
        if self.deferring:
            self._pending.append(journal_entry)
        else:
            self._ledger.post(uow, journal_entry)

    def flush(self, uow: UnitOfWork, *, shard: int | None = None) -> None:
        """Post the deferred entries: one by one, or (a partition) as one batch on the partition's own shard.

        Partitions run side by side on PostgreSQL. Posted one by one, each entry
        moves a control account's shard row picked at random, so two partitions
        could take the same rows in opposite orders and deadlock. As a batch
        (`JournalBatch`), the entries' balances move once, last, in account-id
        order, on the shard the partition names: partitions of a date with at
        most `CONTROL_SHARDS` partitions never share a row, and more of them
        sharing one queue in the same order instead of deadlocking.
        """
        pending, self._pending = self._pending, []
        if shard is None:
            for journal_entry in pending:
                self._ledger.post(uow, journal_entry)
            return
        batch = JournalBatch(uow, shard=shard)
        for journal_entry in pending:
            batch.add(journal_entry)
        batch.close()

    def discard(self) -> None:
        self._pending = []
