"""The contact gateway against its independent oracle (oracle.py): random worlds, exact rule ids.

FAIRLEND_PROPERTY_ATTEMPTS (default 20,000, split between cn and us) attempts
go through the pure driver (`policy.evaluate` on the attempt and situation the
specification says the gateway builds); FAIRLEND_PROPERTY_STORAGE_ATTEMPTS
(default 300 per profile and backend) go through the real ContactGateway on
SQLite and PostgreSQL. FAIRLEND_PROPERTY_SEED changes the seed; a failure
prints the first disagreements with their world seed, and
`oracle_pure.replay("20260:us:6745")` plays that world again (every world of
a run has its own seed, so one is replayed alone). `bench/collections.py
--fuzz N` runs the million.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from fairlend.bootstrap import bootstrap
from fairlend.clock import FixedClock
from fairlend.config import Settings
from fairlend.jurisdiction.model import Profile
from tests.collections.helpers import CN, US
from tests.collections.oracle_corpus import check_templates_unchanged
from tests.collections.oracle_pure import PureDriver
from tests.collections.oracle_storage import StorageDriver
from tests.collections.oracle_tally import Tally

ATTEMPTS = int(os.environ.get("FAIRLEND_PROPERTY_ATTEMPTS", "20000"))
STORAGE_ATTEMPTS = int(os.environ.get("FAIRLEND_PROPERTY_STORAGE_ATTEMPTS", "300"))
SEED = os.environ.get("FAIRLEND_PROPERTY_SEED", "20260")
PROFILES = pytest.mark.parametrize("profile", [CN, US], ids=["cn", "us"])
_pure: dict[str, Tally] = {}
_baseline: dict[str, Tally] = {}


def pure(profile: Profile) -> Tally:
    """One pure run per profile and session, shared by the tests that read it."""
    if profile.code not in _pure:
        _pure[profile.code] = PureDriver(profile).run(SEED, ATTEMPTS // 2)
    return _pure[profile.code]


def gateway_rules(profile: Profile) -> set[str]:
    """Every rule id the profile gives the gateway to name, and the platform's own."""
    r = profile.collections
    rules = {"P-2", "P-3", "P-8", r.collection_start_rule, r.cease_rule, r.cease_scoped_rule}
    rules |= {r.contact_window.rule, r.third_party.rule, r.content.third_party_rule, r.content.disclosure_rule}
    rules |= {p.rule for p in r.content.prohibited} | {c.rule for c in r.call_caps}
    if r.quiet_days_after_conversation:
        rules.add(r.quiet_days_rule)
    if r.content.opt_out.rule:
        rules.add(r.content.opt_out.rule)
    return rules


def checks_of(profile: Profile) -> set[str]:
    """Every kind of check the oracle makes that can fire under the profile."""
    r = profile.collections
    kinds = {
        "settled",
        "paused",
        "hardship",
        "start_day",
        "cease_all",
        "cease_medium",
        "cease_number",
        "person_is_number",
    }
    kinds |= {"template_only", "disclosure", "third_party_medium", "once", "window"}
    kinds |= {f"prohibited_{p.category}" for p in r.content.prohibited} | {f"cap_{c.scope.value}" for c in r.call_caps}
    if r.third_party.allowed.value == "pre_agreed_contact_when_unreachable":
        kinds |= {"third_party_who", "unreachable"}
    if r.quiet_days_after_conversation:
        kinds.add("quiet_days")
    if r.content.opt_out.rule:
        kinds.add("opt_out")
    return kinds


@PROFILES
def test_the_templates_are_labelled_from_the_profiles_current_text(profile: Profile) -> None:
    assert check_templates_unchanged(profile) == []


@PROFILES
def test_the_fuzz_is_not_vacuous(profile: Profile) -> None:
    tally = pure(profile)
    assert tally.attempts >= ATTEMPTS // 2
    assert 0.05 * tally.attempts < tally.allowed < 0.6 * tally.attempts, tally.allowed
    seen_rules = {key.split(":", 1)[1] for key in tally.blocked_by}
    assert gateway_rules(profile) <= seen_rules, gateway_rules(profile) - seen_rules
    # Each kind of check is seen blocking where the gateway and the oracle agree, not only somewhere.
    seen_checks = {key.split(":", 1)[1] for key in tally.checks}
    assert checks_of(profile) <= seen_checks, checks_of(profile) - seen_checks


@PROFILES
def test_the_policy_agrees_with_the_oracle_on_every_random_attempt(profile: Profile) -> None:
    tally = pure(profile)
    assert tally.disagreeing == 0, tally.summary()


def test_every_run_is_reproducible_from_its_seed() -> None:
    first, again = PureDriver(US).run("repro", 600), PureDriver(US).run("repro", 600)
    assert (first.attempts, first.allowed, first.blocked_by, first.classes) == (
        again.attempts, again.allowed, again.blocked_by, again.classes,
    )  # fmt: skip
    assert [str(d) for d in first.disagreements] == [str(d) for d in again.disagreements]


@pytest.mark.parametrize(
    ("check", "profile"),
    [
        ("check_settled", CN),
        ("check_paused", US),
        ("check_hardship", CN),
        ("check_hardship", US),
        ("check_start_day", CN),
        ("check_cease", US),
        ("check_person", CN),
        ("check_recipient", CN),
        ("check_recipient", US),
        ("check_content", US),
        ("check_window", CN),
        ("check_call_caps", CN),
        ("check_call_caps", US),
        ("check_quiet_days", US),
    ],
)
def test_the_oracle_catches_a_policy_that_forgets_a_check(check: str, profile: Profile, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    import fairlend.collections.policy as policy

    if profile.code not in _baseline:
        _baseline[profile.code] = PureDriver(profile).run("bite", 2_000)
    baseline = _baseline[profile.code]
    monkeypatch.setattr(policy, check, lambda *args: None)
    forgetful = PureDriver(profile).run("bite", 2_000)
    missed = sum(n for key, n in forgetful.classes.items() if "missed" in key)
    missed_before = sum(n for key, n in baseline.classes.items() if "missed" in key)
    assert missed > missed_before + 20, (check, missed_before, missed)


@pytest.mark.slow
@PROFILES
def test_the_gateway_on_storage_agrees_with_the_oracle(profile: Profile, database_url: str, tmp_path: Path) -> None:
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    container = bootstrap(
        Settings(environment="test", database_url=database_url, data_dir=tmp_path, jurisdiction=profile.code),
        clock=clock,
    )
    try:
        driver = StorageDriver(container, clock)
        tally = driver.run(SEED, max(STORAGE_ATTEMPTS // 60, 1), 60)
        assert tally.attempts >= STORAGE_ATTEMPTS * 0.9
        assert 0 < tally.allowed < tally.attempts
        # Every attempt, allowed or blocked, is in the borrower's log (P-4), and every chain holds.
        assert driver.unlogged() == []
        assert container.verify() == []
        assert tally.disagreeing == 0, tally.summary()
    finally:
        container.close()
