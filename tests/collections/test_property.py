"""Random attempts over random worlds: no allowed attempt in the log breaks a rule.

The default run makes FAIRLEND_PROPERTY_ATTEMPTS (default 20,000) attempts per
profile; `FAIRLEND_PROPERTY_ATTEMPTS=1000000` runs the issue's full million
(also `bench/collections.py --property`).
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.collections.helpers import CN, US
from tests.collections.simulation import oracle_violations, simulate

ATTEMPTS = int(os.environ.get("FAIRLEND_PROPERTY_ATTEMPTS", "20000"))


@pytest.mark.parametrize("profile", [CN, US], ids=["cn", "us"])
def test_no_allowed_attempt_in_the_log_breaks_a_rule(profile) -> None:  # type: ignore[no-untyped-def]
    world, log = simulate(profile, ATTEMPTS // 2, seed=7)
    bad = oracle_violations(world, log)
    assert bad == [], bad[:5]
    # Not vacuous: plenty went through, plenty were stopped, and every stop names a rule.
    sent = sum(r.sent for r in log)
    assert 0.05 * len(log) < sent < 0.9 * len(log)
    assert all(r.rules for r in log if not r.sent)
    stopped_by = Counter(rule for r in log for rule in r.rules)
    expected = {"P-2", "P-3", profile.collections.contact_window.rule, profile.collections.third_party.rule}
    expected |= {cap.rule for cap in profile.collections.call_caps}
    assert expected <= set(stopped_by), stopped_by


@given(seed=st.integers(min_value=0, max_value=2**32 - 1), us=st.booleans())
@settings(max_examples=25, deadline=None)
def test_any_seed_gives_a_log_the_oracle_accepts(seed: int, us: bool) -> None:
    world, log = simulate(US if us else CN, 600, seed=seed)
    assert oracle_violations(world, log) == []


@pytest.mark.parametrize(
    ("check", "profile"),
    [
        ("check_settled", CN),
        ("check_paused", CN),
        ("check_cease", US),
        ("check_recipient", CN),
        ("check_recipient", US),
        ("check_window", CN),
        ("check_call_caps", CN),
        ("check_call_caps", US),
        ("check_quiet_days", US),
        ("check_content", US),
    ],
)
def test_the_oracle_catches_a_policy_that_forgets_a_rule(check: str, profile, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import fairlend.collections.policy as policy

    monkeypatch.setattr(policy, check, lambda *args: None)
    # Without conversations US-2 never pre-empts US-1, so a missing cap shows.
    world, log = simulate(profile, 6000, seed=11, talk=0.7 if check == "check_quiet_days" else 0.0)
    assert oracle_violations(world, log) != []
