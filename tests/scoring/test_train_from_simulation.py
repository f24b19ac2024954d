"""`fairlend score train --from-simulation`: retrain the comprehensive score on a simulated book's outcomes.

A short simulation books loans but none lives long enough to default, so the test decides the
outcomes: it charges off the loans the shipped model scored lowest at application. The shipped
model then ranks the holdout well by construction, and the retrained one is written and loads.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from fairlend.bootstrap import bootstrap
from fairlend.config import Settings
from fairlend.errors import Invalid
from fairlend.jurisdiction.loader import load_profile
from fairlend.scoring.comprehensive import ComprehensiveScorer, load_default_model, retention_of
from fairlend.scoring.model import FEATURES
from fairlend.scoring.retrain import MIN_ROWS, holdout_split, retrain
from fairlend.scoring.scorecard import Scorecard


def _main(monkeypatch: pytest.MonkeyPatch, *argv: str) -> int | str | None:
    from fairlend.cli import main

    monkeypatch.setattr(sys, "argv", ["fairlend", *argv])
    with pytest.raises(SystemExit) as done:
        main()
    return done.value.code


def _charge_off_lowest(url: str, data_dir: Path, count: int) -> list[str]:
    container = bootstrap(Settings(environment="development", database_url=url, data_dir=data_dir))
    try:
        shipped = load_default_model()
        rows = container.analytics.training_set().rows
        lowest = sorted(rows, key=lambda r: (shipped.score(r.features), r.loan_id))[:count]
        for row in lowest:
            container.lending.charge_off(row.loan_id)
        return [r.loan_id for r in lowest]
    finally:
        container.close()


def test_train_from_simulation_prints_both_models_on_the_holdout_and_writes_a_model_the_platform_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'sim.db'}"
    monkeypatch.setenv("FAIRLEND_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("FAIRLEND_ENVIRONMENT", "development")
    sim = ("simulate", "--borrowers", "40", "--investors", "2", "--days", "10", "--seed", "5", "--database", url)
    assert _main(monkeypatch, *sim) in (0, None)
    capsys.readouterr()
    model = tmp_path / "model.json"
    train = ("score", "train", "--from-simulation", "--database", url, "--out", str(model))

    # Nothing has defaulted yet in ten days: one outcome only, refused in one line, nothing written.
    assert _main(monkeypatch, *train) == 2
    assert "training_set_one_class" in capsys.readouterr().err.strip().splitlines()[-1]
    assert not model.exists()

    charged = _charge_off_lowest(url, tmp_path, 12)
    assert _main(monkeypatch, *train, "--seed", "3") in (0, None)
    printed = capsys.readouterr().out
    assert "bad by" in printed and ", 12 bad" in printed
    assert "retrained against shipped" in printed and "calibration: retrained" in printed
    assert "calibration: shipped" in printed and "comprehensive-synthetic" in printed
    shipped_line = next(line for line in printed.splitlines() if "shipped (comprehensive-synthetic" in line)
    shipped_auc = float(shipped_line.split("│")[2])
    assert shipped_auc >= 0.8  # the bads are its lowest scores: it ranks them first (ties at the cut aside)

    card = Scorecard.from_json(model.read_text(encoding="utf-8"))
    assert card.metadata["bads"] + 12 > 12 and card.metadata["source"] == "fairlend score train --from-simulation"
    assert str(card.metadata["model_version"]).startswith("comprehensive-simulated-")
    left_out = {n.strip() for n in printed.split("left out, never drawn in this book:")[1].splitlines()[0].split(",")}
    assert "revolving_utilisation" in left_out  # simulated people hold no revolving line
    assert card.scaling == load_default_model().scaling
    assert set(card.feature_names) == {f.name for f in FEATURES} - left_out
    ComprehensiveScorer(card, retention_of(load_profile("cn")))  # the platform accepts it as the comprehensive score
    assert len(charged) == 12 and not list(tmp_path.glob("*.partial"))


def test_train_from_simulation_refuses_a_csv_alongside_and_a_missing_source_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FAIRLEND_DATA_DIR", str(tmp_path))
    out = str(tmp_path / "m.json")
    assert _main(monkeypatch, "score", "train", "--from-simulation", "--data", "x.csv", "--out", out) == 2
    assert "bad_option" in capsys.readouterr().err
    assert _main(monkeypatch, "score", "train", "--out", out) == 2
    assert "bad_option" in capsys.readouterr().err
    assert not (tmp_path / "m.json").exists()


def _rows(n: int, bads: int) -> tuple[list[dict[str, float]], list[bool]]:
    rng = np.random.default_rng(1)
    rows = [{f.name: float(rng.integers(0, 5)) for f in FEATURES} for _ in range(n)]
    return rows, [i < bads for i in range(n)]


@pytest.mark.parametrize(("n", "bads"), [(MIN_ROWS - 1, 6), (60, 3), (60, 57)])
def test_too_few_loans_or_too_few_of_one_outcome_is_refused_as_too_small(n: int, bads: int) -> None:
    rows, bad = _rows(n, bads)
    with pytest.raises(Invalid) as refused:
        retrain(rows, bad, load_default_model(), version="v")
    assert refused.value.code == "training_set_too_small"


def test_the_holdout_keeps_both_outcomes_on_both_sides_and_the_same_seed_splits_the_same_way() -> None:
    y = np.array([1] * 4 + [0] * 40)
    fit, held = holdout_split(y, 0.3, 7)
    assert sorted([*fit, *held]) == list(range(44)) and set(fit).isdisjoint(held)
    assert 0 < y[fit].sum() < fit.size and 0 < y[held].sum() < held.size
    again, _ = holdout_split(y, 0.3, 7)
    other, _ = holdout_split(y, 0.3, 8)
    assert list(again) == list(fit) and list(other) != list(fit)
