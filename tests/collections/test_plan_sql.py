"""The planner's SQL twins equal their Python references, on both databases."""

from __future__ import annotations

import itertools

from sqlalchemy import BigInteger, Integer, literal, select

from fairlend.bootstrap import Container
from fairlend.collections import plan_sql
from fairlend.collections.ladder import priority
from fairlend.ids import BLOCK, IdBlock, _encode, new_block


def test_the_sql_priority_is_the_ladders_priority_over_a_grid(container: Container) -> None:
    days = [-40, -1, 0, 1, 2, 30, 9_998, 9_999, 10_000, 2**31 - 1]
    minors = [-(10**9), -1, 0, 1, 123_456, 10**12 - 2, 10**12 - 1, 10**12, 10**15, 2**62]
    with container.uow(read_only=True) as uow:
        for d, m in itertools.product(days, minors):
            expression = plan_sql.priority(literal(d, Integer), literal(m, BigInteger))
            assert uow.conn.execute(select(expression)).scalar_one() == priority(d, m), (d, m)


def test_a_blocks_sql_ids_are_new_ids_form_carrying_across_the_halves(container: Container) -> None:
    ms = 1_780_000_000_123
    low40 = (1 << 40) - 1
    cases = [0, 5, low40 - 2, (1 << 79) - 3, (1 << 41) + low40]  # the last three carry into the high half
    with container.uow(read_only=True) as uow:
        for low, n in itertools.product(cases, [0, 1, 2, 31, 32, 1_000_003]):
            block = IdBlock(f"task_{_encode(ms, 10)}", low)
            made = uow.conn.execute(select(plan_sql.block_id(block, literal(n, BigInteger)))).scalar_one()
            assert made == f"task_{_encode((ms << 80) | (low + n), 26)}", (low, n)


def test_blocks_follow_one_another_and_the_ids_made_between_them() -> None:
    from fairlend.ids import new_id

    first = new_block("task")
    between = new_id("task")
    second = new_block("task")
    last_of_first = first.head + _encode(first.low + BLOCK - 1, 16)
    assert last_of_first < between < second.head + _encode(second.low, 16)
