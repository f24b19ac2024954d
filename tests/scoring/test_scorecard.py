from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairlend.scoring.binning import BinningSettings, Direction, ValuePolicy
from fairlend.scoring.binning_fit import fit_categorical, fit_numeric, woe_of
from fairlend.scoring.evaluation import auc, calibration, ks
from fairlend.scoring.scorecard import FeatureSpec, Reason, Scaling, Scorecard, select_reasons
from fairlend.scoring.training import train


def _data(n: int = 6000, seed: int = 3) -> tuple[dict[str, np.ndarray], np.ndarray]:
    rng = np.random.default_rng(seed)
    good_signal = rng.normal(size=n)
    inquiries = rng.poisson(1.5, size=n).astype(float)
    noisy = rng.normal(size=n)
    region = rng.choice(["north", "south", "east", "west"], size=n).astype(object)
    good_signal[rng.random(n) < 0.08] = np.nan
    logit = -1.5 - 0.9 * np.nan_to_num(good_signal) + 0.35 * inquiries + 0.4 * (region == "west")
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    cols = {"signal": good_signal, "inquiries": inquiries, "noise": noisy, "region": region}
    return cols, y


SPECS = [
    FeatureSpec("signal", direction=Direction.AUTO),
    FeatureSpec("inquiries", direction=Direction.DECREASING, is_inquiry=True),
    FeatureSpec("noise", direction=Direction.INCREASING),
    FeatureSpec("region", kind="categorical"),
]


@pytest.fixture(scope="module")
def card() -> Scorecard:
    cols, y = _data()
    return train(cols, y, SPECS)


def test_woe_is_the_log_of_good_share_over_bad_share() -> None:
    woe = woe_of(np.array([80.0, 20.0]), np.array([20.0, 80.0]), 100.0, 100.0)
    expected_first = math.log((80.5 / 100.5) / (20.5 / 100.5))
    assert woe[0] == pytest.approx(expected_first)
    assert woe[0] > 0 > woe[1]  # the good-rich bin is positive


@given(seed=st.integers(0, 10_000), direction=st.sampled_from([Direction.INCREASING, Direction.DECREASING]))
@settings(max_examples=25, deadline=None)
def test_declared_monotonic_direction_holds_on_any_data(seed: int, direction: Direction) -> None:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=2000)
    # a U-shaped risk: no monotone truth, the constraint must still hold
    y = (rng.random(2000) < 0.1 + 0.3 * (x**2 > 1)).astype(np.int64)
    b = fit_numeric("x", x, y, direction=direction, settings=BinningSettings(min_bin_share=0.05))
    woe = [bn.woe for bn in b.bins[: b.regular_bins]]
    steps = np.diff(woe)
    assert (steps >= 0).all() if direction is Direction.INCREASING else (steps <= 0).all()
    sizes = [bn.goods + bn.bads for bn in b.bins[: b.regular_bins]]
    assert min(sizes) >= 0.05 * 2000


def test_learned_direction_is_enforced_and_recorded(card: Scorecard) -> None:
    signal = card.feature("signal")
    assert signal.binning.direction is Direction.INCREASING  # more signal, fewer bads
    regular = signal.points[: signal.binning.regular_bins]
    assert list(regular) == sorted(regular)


def test_missing_values_take_their_own_bin_or_the_worst_by_policy() -> None:
    cols, y = _data()
    own = fit_numeric("signal", cols["signal"], y)
    assert own.slot_of_missing == own.regular_bins  # 8 % missing: enough for a bin
    worst = fit_numeric("signal", cols["signal"], y, settings=BinningSettings(missing=ValuePolicy.WORST))
    woes = [b.woe for b in worst.bins]
    assert worst.slot_of_missing == int(np.argmin(woes))


def test_special_values_and_unseen_categories_follow_the_policy() -> None:
    cols, y = _data()
    x = cols["inquiries"].copy()
    x[:400] = -1.0
    b = fit_numeric("inquiries", x, y, direction=Direction.DECREASING, special_values=(-1.0,))
    assert b.slot(-1.0) == b.slot_of_special[0] == b.regular_bins + 0  # no missing bin, so it comes first
    cat = fit_categorical("region", cols["region"], y)
    assert cat.slot("mars") == cat.slot_of_unseen == int(np.argmin([bn.woe for bn in cat.bins]))


def test_noise_feature_gets_no_weight_and_never_a_reason(card: Scorecard) -> None:
    noise = card.feature("noise")
    cols, _ = _data()
    rows = [{k: v[i] for k, v in cols.items()} for i in range(300)]
    if noise.has_weight:
        pytest.fail("a pure-noise feature should not survive the IV floor")
    assert all(r.feature != "noise" for row in rows for r in card.reasons(row))


def test_batch_and_single_scores_agree_to_the_point(card: Scorecard) -> None:
    cols, _ = _data(2000, seed=99)
    cols["region"][:5] = "unseen-region"
    cols["region"][5:9] = None
    batch = card.score_batch(cols)
    single = [card.score({k: v[i] for k, v in cols.items()}) for i in range(2000)]
    assert batch.tolist() == single


def test_batch_reasons_equal_single_reasons(card: Scorecard) -> None:
    cols, _ = _data(1500, seed=5)
    scores, reasons = card.reasons_batch(cols)
    names = card.feature_names
    for i in range(1500):
        row = {k: v[i] for k, v in cols.items()}
        assert scores[i] == card.score(row)
        assert [names[j] for j in reasons[i] if j >= 0] == [r.feature for r in card.reasons(row)]


def test_reasons_are_shortfalls_below_the_best_bin(card: Scorecard) -> None:
    cols, _ = _data(500, seed=8)
    for i in range(500):
        row = {k: v[i] for k, v in cols.items()}
        points = card.points_of(row)
        for r in card.reasons(row):
            f = card.feature(r.feature)
            assert f.has_weight
            assert points[r.feature] < f.best_points


def test_at_most_four_reasons_and_a_fifth_only_for_inquiries() -> None:
    cands = [(Reason(f"f{i}", 0, 10 + i), False) for i in range(6)]
    assert [r.feature for r in select_reasons(cands)] == ["f5", "f4", "f3", "f2"]
    with_inquiry = [*cands, (Reason("inq", 9, 10), True)]
    chosen = select_reasons(with_inquiry)
    assert len(chosen) == 5 and chosen[-1].feature == "inq"
    inquiry_in_top = [(Reason("inq", 0, 100), True), *cands]
    assert len(select_reasons(inquiry_in_top)) == 4


def test_scaling_adds_pdo_points_when_odds_double() -> None:
    s = Scaling(base_score=600, base_odds=50, pdo=20)
    assert s.offset + s.factor * math.log(50) == pytest.approx(600)
    assert s.offset + s.factor * math.log(100) == pytest.approx(620)
    assert s.probability_of_bad(600) == pytest.approx(1 / 51)


def test_model_file_round_trips_and_is_versioned(card: Scorecard) -> None:
    again = Scorecard.from_json(card.to_json())
    cols, _ = _data(500, seed=1)
    assert again.score_batch(cols).tolist() == card.score_batch(cols).tolist()
    assert again.metadata["rows"] == 6000
    data = card.to_dict()
    data["version"] = 99
    import json

    with pytest.raises(ValueError, match="version"):
        Scorecard.from_json(json.dumps(data))


def test_metrics_rank_a_perfect_score_perfectly() -> None:
    y = np.array([1, 1, 0, 0, 0])
    s = np.array([300, 310, 600, 650, 700])
    assert auc(s, y) == 1.0
    assert ks(s, y) == 1.0
    rows = calibration(s, y, Scaling(), groups=2)
    assert sum(r.count for r in rows) == 5
