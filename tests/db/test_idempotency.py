"""The idempotency store: a lease on every claim, the effect marked in its own transaction, answers sealed.

Each test stops a request where a crash would (the process is gone, so nothing
after that point runs) and checks what a retry gets: never "in progress" past
the lease, never the effect twice.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from fairlend.bootstrap import Container
from fairlend.clock import FixedClock
from fairlend.db.idempotency import Claim, ClaimLost, IdempotencyStore, StoredResponse
from fairlend.db.tables import idempotency_key, outbox_consumer
from fairlend.identity.pii import PiiVault

LOST = StoredResponse(409, "application/problem+json", b'{"code":"idempotency_response_lost"}')
ANSWER = StoredResponse(
    201, "application/json", b'{"name":"\xe5\xbc\xa0\xe4\xb8\x89","id_number":"11010119900307002X"}'
)


def _effect(container: Container, name: str) -> None:
    """Some committed work: a row the test can count."""
    with container.uow() as uow:
        uow.conn.execute(sa.insert(outbox_consumer).values(name=name, position=0))
        uow.commit()


def _effects(container: Container) -> int:
    with container.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(outbox_consumer)).scalar_one())


@pytest.fixture
def store(container: Container) -> IdempotencyStore:
    return container.idempotency


def test_a_claim_with_no_effect_is_in_progress_until_its_lease_ends_then_a_retry_takes_it_over(
    container: Container, store: IdempotencyStore, clock: FixedClock
) -> None:
    first = store.claim("k", "req", lost=LOST)
    assert first.outcome is Claim.NEW and first.held is not None
    # The first attempt dies here, before any effect.
    busy = store.claim("k", "req", lost=LOST)
    assert busy.outcome is Claim.IN_PROGRESS and busy.retry_after == 60
    clock.advance(timedelta(seconds=30))
    assert store.claim("k", "req", lost=LOST).retry_after == 30
    clock.advance(timedelta(seconds=31))
    retry = store.claim("k", "req", lost=LOST)
    assert retry.outcome is Claim.NEW and retry.held is not None and retry.held.token != first.held.token
    with store.effects(retry.held):
        _effect(container, "retry")
    assert store.complete(retry.held, ANSWER)
    again = store.claim("k", "req", lost=LOST)
    assert again.outcome is Claim.REPLAY and again.stored == ANSWER
    assert _effects(container) == 1


def test_a_late_effect_of_a_taken_over_claim_is_refused_and_rolled_back(
    container: Container, store: IdempotencyStore, clock: FixedClock
) -> None:
    slow = store.claim("k", "req", lost=LOST).held
    assert slow is not None
    clock.advance(timedelta(seconds=61))
    retry = store.claim("k", "req", lost=LOST).held
    assert retry is not None
    with pytest.raises(ClaimLost) as refused, store.effects(slow):
        _effect(container, "slow")  # the overrunning first attempt tries to commit now
    assert refused.value.code == "idempotency_claim_lost"
    assert _effects(container) == 0
    assert not store.complete(slow, ANSWER)  # and cannot store its answer either
    with store.effects(retry):
        _effect(container, "retry")
    assert store.complete(retry, ANSWER) and _effects(container) == 1


def test_an_effect_whose_answer_was_lost_resolves_to_the_lost_answer_for_good(
    container: Container, store: IdempotencyStore, clock: FixedClock
) -> None:
    held = store.claim("k", "req", lost=LOST).held
    assert held is not None
    with store.effects(held) as guard:
        _effect(container, "first")
    assert guard.effected
    # The first attempt dies here: effect committed, answer never stored.
    assert store.claim("k", "req", lost=LOST).outcome is Claim.IN_PROGRESS
    clock.advance(timedelta(seconds=61))
    for _ in range(3):
        retry = store.claim("k", "req", lost=LOST)
        assert retry.outcome is Claim.REPLAY and retry.stored == LOST
    assert _effects(container) == 1


def test_a_failure_before_the_effect_frees_the_key_and_after_it_stores_the_lost_answer(
    container: Container, store: IdempotencyStore
) -> None:
    before = store.claim("a", "req", lost=LOST).held
    assert before is not None
    assert store.fail(before, lost=LOST) is None
    assert store.claim("a", "req", lost=LOST).outcome is Claim.NEW

    after = store.claim("b", "req", lost=LOST).held
    assert after is not None
    with store.effects(after):
        _effect(container, "b")
    assert store.fail(after, lost=LOST) == LOST
    assert store.claim("b", "req", lost=LOST).stored == LOST


def test_only_commits_inside_the_claim_mark_it(container: Container, store: IdempotencyStore) -> None:
    held = store.claim("k", "req", lost=LOST).held
    assert held is not None
    _effect(container, "outside")  # another request's work, not this one's
    with store.effects(held) as guard, container.uow(read_only=True) as uow:
        uow.conn.execute(sa.select(1))
    assert not guard.effected
    assert store.fail(held, lost=LOST) is None


def test_a_different_request_with_the_key_is_a_mismatch_whatever_the_state(
    store: IdempotencyStore, clock: FixedClock
) -> None:
    held = store.claim("k", "req", lost=LOST).held
    assert held is not None
    assert store.claim("k", "other", lost=LOST).outcome is Claim.MISMATCH
    clock.advance(timedelta(seconds=61))
    assert store.claim("k", "other", lost=LOST).outcome is Claim.MISMATCH


def _raw_bodies(container: Container) -> list[bytes]:
    with container.engine.connect() as conn:
        return [bytes(b or b"") for b in conn.execute(sa.select(idempotency_key.c.body)).scalars()]


def test_stored_answers_are_sealed_and_rotate_with_the_personal_data_keys(
    container: Container, store: IdempotencyStore, clock: FixedClock
) -> None:
    held = store.claim("k", "req", lost=LOST).held
    assert held is not None and store.complete(held, ANSWER)
    (raw,) = _raw_bodies(container)
    assert b"11010119900307002X" not in raw and "张三".encode() not in raw

    old_key = container.settings.pii_keys.get_secret_value()
    new_vault = PiiVault("k2:" + "a2V5LXR3by1mb3ItdGhlLXRlc3QtdmF1bHQtMzJiISE=" + "," + old_key, "unused")
    rotated = IdempotencyStore(container.uow, clock, new_vault)
    assert rotated.rotate() == 1 and rotated.rotate() == 0
    with container.engine.connect() as conn:
        assert conn.execute(sa.select(idempotency_key.c.key_id)).scalar_one() == "k2"
    assert rotated.claim("k", "req", lost=LOST).stored == ANSWER
    assert rotated.verify() == []
    # The old vault alone no longer opens it: `fairlend verify` says so.
    assert [p.scope_key for p in store.verify()] == ["k"]


def test_an_answer_stored_in_clear_before_sealing_is_reported_and_sealed_by_rotation(
    container: Container, store: IdempotencyStore
) -> None:
    with container.engine.begin() as conn:
        conn.execute(
            sa.insert(idempotency_key).values(
                scope_key="legacy",
                request_hash="req",
                state="done",
                status_code=200,
                content_type="application/json",
                body=b'{"id_number":"11010119900307002X"}',
                key_id="",
                created_at=container.clock.now(),
            )
        )
    assert [p.scope_key for p in store.verify()] == ["legacy"]
    assert store.claim("legacy", "req", lost=LOST).stored == StoredResponse(
        200, "application/json", b'{"id_number":"11010119900307002X"}'
    )
    assert store.rotate() == 1
    assert store.verify() == []
    assert all(b"11010119900307002X" not in raw for raw in _raw_bodies(container))
    assert store.claim("legacy", "req", lost=LOST).stored is not None


@pytest.mark.backends("postgresql")
def test_concurrent_attempts_with_one_key_let_exactly_one_run(container: Container, store: IdempotencyStore) -> None:
    import threading

    outcomes: list[Claim] = []
    barrier = threading.Barrier(6)

    def attempt(n: int) -> None:
        barrier.wait()
        result = store.claim("k", "req", lost=LOST)
        outcomes.append(result.outcome)
        if result.held is not None:
            with store.effects(result.held):
                _effect(container, f"attempt-{n}")
            store.complete(result.held, ANSWER)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(Claim.NEW) == 1
    assert set(outcomes) <= {Claim.NEW, Claim.IN_PROGRESS, Claim.REPLAY}
    assert _effects(container) == 1


def _keys(container: Container) -> set[str]:
    with container.engine.connect() as conn:
        return set(conn.execute(sa.select(idempotency_key.c.scope_key)).scalars())


def test_pruning_forgets_old_answers_and_dead_claims_but_keeps_an_effect_whose_answer_was_lost(
    container: Container, store: IdempotencyStore, clock: FixedClock
) -> None:
    answered = store.claim("answered", "req", lost=LOST).held
    assert answered is not None and store.complete(answered, ANSWER)
    store.claim("died", "req", lost=LOST)  # the first attempt dies before any effect
    lost = store.claim("lost", "req", lost=LOST).held
    assert lost is not None
    with store.effects(lost):
        _effect(container, "lost")  # it took effect; the answer never got stored
    clock.advance(timedelta(days=29))
    fresh = store.claim("fresh", "req", lost=LOST).held
    assert fresh is not None and store.complete(fresh, ANSWER)

    assert store.prune(timedelta(days=30)) == 0  # nothing is 30 days old yet
    clock.advance(timedelta(days=2))
    assert store.prune(timedelta(days=30)) == 2
    # The retry of the effected claim must still learn that it happened, not run again.
    assert _keys(container) == {"lost", "fresh"}
    assert store.claim("lost", "req", lost=LOST).outcome is Claim.REPLAY
    # A pruned key is forgotten: the same key now starts a new request.
    assert store.claim("answered", "req", lost=LOST).outcome is Claim.NEW


def test_end_of_day_prunes_idempotency_keys_past_the_retention(container: Container) -> None:
    assert "after:idempotency_prune" in container.eod.step_names()


def test_an_answer_given_with_the_effect_commits_with_it_and_a_retry_replays_it_at_once(
    container: Container, store: IdempotencyStore
) -> None:
    held = store.claim("k", "req", lost=LOST).held
    assert held is not None
    with store.effects(held) as guard, container.uow() as uow:
        uow.conn.execute(sa.insert(outbox_consumer).values(name="paid", position=0))
        guard.answer_with_effect(ANSWER)
        uow.commit()
    assert guard.effected and guard.answered
    # The process dies here, right after the effect's commit: the answer is stored already, no lease to wait out.
    for _ in range(2):
        retry = store.claim("k", "req", lost=LOST)
        assert retry.outcome is Claim.REPLAY and retry.stored == ANSWER
    with container.engine.connect() as conn:
        row = conn.execute(sa.select(idempotency_key).where(idempotency_key.c.scope_key == "k")).one()
    assert (row.state, row.effected, row.claim_token) == ("done", True, None)
    assert ANSWER.body not in bytes(row.body)  # sealed like any stored answer
    assert _effects(container) == 1 and store.verify() == []


def test_an_answer_given_with_an_effect_that_rolls_back_is_not_stored(
    container: Container, store: IdempotencyStore, clock: FixedClock
) -> None:
    held = store.claim("k", "req", lost=LOST).held
    assert held is not None
    with store.effects(held) as guard, container.uow() as uow:
        uow.conn.execute(sa.insert(outbox_consumer).values(name="paid", position=0))
        guard.answer_with_effect(ANSWER)  # the transaction then fails: no commit
    assert not guard.effected and not guard.answered
    assert store.claim("k", "req", lost=LOST).outcome is Claim.IN_PROGRESS
    clock.advance(timedelta(seconds=61))
    assert store.claim("k", "req", lost=LOST).outcome is Claim.NEW  # nothing took effect: the retry runs
    assert _effects(container) == 0


def test_nothing_takes_effect_after_the_answer_was_stored_with_an_effect(
    container: Container, store: IdempotencyStore
) -> None:
    held = store.claim("k", "req", lost=LOST).held
    assert held is not None
    with store.effects(held) as guard:
        with container.uow() as uow:
            uow.conn.execute(sa.insert(outbox_consumer).values(name="paid", position=0))
            guard.answer_with_effect(ANSWER)
            uow.commit()
        with pytest.raises(RuntimeError, match="answer is stored already"):
            _effect(container, "later")
    assert _effects(container) == 1
    assert store.claim("k", "req", lost=LOST).stored == ANSWER
