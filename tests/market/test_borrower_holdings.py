"""What investors hold with one borrower, read through the borrower's listings: the rule's per-borrower share."""

from __future__ import annotations

from fairlend.bootstrap import Container
from fairlend.market.borrower_holdings import committed_with, notes_with
from fairlend.market.commitment import in_borrower
from tests.market.support import build, yuan


def test_holdings_with_a_borrower_count_only_that_borrowers_open_commitments_and_notes(container: Container) -> None:
    world = build(container)
    world.investor("inv_a", cash=20_000)
    world.investor("inv_b", cash=20_000)
    world.fund(world.offer("brw_one", amount=1_000), {"inv_a": 600, "inv_b": 400})  # notes with brw_one
    world.fund(world.offer("brw_two", amount=2_000), {"inv_a": 2_000})  # notes with another borrower
    open_one = world.offer("brw_one", amount=3_000)
    open_two = world.offer("brw_two", amount=3_000)
    world.market.commitments.invest("inv_a", open_one, yuan(250))
    world.market.commitments.invest("inv_b", open_one, yuan(100))
    world.market.commitments.invest("inv_a", open_two, yuan(900))  # another borrower's listing

    with container.uow(read_only=True) as uow:
        assert notes_with(uow.conn, ["inv_a", "inv_b", "inv_c"], "brw_one") == {"inv_a": 60_000, "inv_b": 40_000}
        assert committed_with(uow.conn, ["inv_a", "inv_b"], "brw_one") == {"inv_a": 25_000, "inv_b": 10_000}
        # Only the investors asked about, though others hold with the borrower too.
        assert committed_with(uow.conn, ["inv_b"], "brw_one") == {"inv_b": 10_000}
        assert notes_with(uow.conn, ["inv_a"], "brw_two") == {"inv_a": 200_000}
        assert in_borrower(uow, "inv_a", "brw_one") == 85_000
        assert in_borrower(uow, "inv_a", "brw_two") == 290_000
        assert in_borrower(uow, "inv_c", "brw_one") == 0
