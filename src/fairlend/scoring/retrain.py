"""Retraining the comprehensive score on a book's outcomes, and comparing it with the shipped model.

`fairlend score train --from-simulation`: analytics hands over, per loan booked
from a scored application, the feature row the score drew then and whether the
loan went bad; this module splits the rows (seeded, stratified by outcome),
trains on one part with the shipped model's features and settings, and scores
the held-out part with both models. Pure: NumPy only, nothing is read or written.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fairlend.errors import Invalid
from fairlend.scoring.binning import BinningSettings
from fairlend.scoring.comprehensive import feature_specs
from fairlend.scoring.evaluation import CalibrationRow, auc, calibration, ks
from fairlend.scoring.model import FEATURES
from fairlend.scoring.scorecard import Scorecard
from fairlend.scoring.training import train

MIN_ROWS = 20  # loans; fewer cannot be split into a training part and a holdout worth reading
MIN_EACH = 4  # bad and good loans each: the stratified split leaves both outcomes on both sides
DEFAULT_HOLDOUT = 0.3
DEFAULT_SEED = 7
CALIBRATION_GROUPS = 5
# The shipped model's binning (comprehensive.train_default): the retrained one differs only in its data.
BINNING = BinningSettings(min_bin_share=0.03, max_bins=6)


@dataclass(frozen=True, slots=True)
class Fit:
    """How one model does on the holdout."""

    auc: float
    ks: float
    calibration: tuple[CalibrationRow, ...]


@dataclass(frozen=True, slots=True)
class Retrained:
    model: Scorecard
    rows: int
    bads: int
    train_rows: int
    train_bads: int
    holdout_rows: int
    holdout_bads: int
    retrained: Fit  # both on the same held-out rows
    shipped: Fit
    left_out: tuple[str, ...]  # features with no value in the training part (the book never drew them)


def columns_of(rows: Sequence[Mapping[str, float]]) -> dict[str, NDArray[np.float64]]:
    """The comprehensive score's feature columns; a feature a row lacks is missing (NaN)."""
    return {f.name: np.array([row.get(f.name, math.nan) for row in rows], dtype=np.float64) for f in FEATURES}


def holdout_split(target: NDArray[Any], share: float, seed: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(training indices, holdout indices): `share` of each outcome held out, at least one, never all."""
    rng = np.random.default_rng(seed)
    train_idx: list[int] = []
    hold_idx: list[int] = []
    for outcome in (0, 1):
        members = rng.permutation(np.flatnonzero(target == outcome))
        k = min(max(1, round(share * members.size)), members.size - 1)
        hold_idx.extend(int(i) for i in members[:k])
        train_idx.extend(int(i) for i in members[k:])
    return np.array(sorted(train_idx), dtype=np.int64), np.array(sorted(hold_idx), dtype=np.int64)


def _fit(model: Scorecard, columns: Mapping[str, NDArray[Any]], target: NDArray[Any]) -> Fit:
    scores = model.score_batch(columns)
    return Fit(
        auc(scores, target), ks(scores, target), tuple(calibration(scores, target, model.scaling, CALIBRATION_GROUPS))
    )


def retrain(
    rows: Sequence[Mapping[str, float]],
    bad: Sequence[bool],
    shipped: Scorecard,
    *,
    version: str,
    seed: int = DEFAULT_SEED,
    holdout: float = DEFAULT_HOLDOUT,
) -> Retrained:
    """Train on a seeded, stratified part of the rows; score the rest with the new and the shipped model."""
    if not 0.0 < holdout < 1.0:
        raise Invalid("bad_holdout", f"the holdout share is between 0 and 1, got {holdout}")
    y = np.array(bad, dtype=np.int64)
    n, bads = int(y.size), int(y.sum())
    if bads == 0 or bads == n:
        which = "good" if bads == 0 else "bad"
        raise Invalid("training_set_one_class", f"all {n} loans are {which}: training needs both outcomes")
    if n < MIN_ROWS or min(bads, n - bads) < MIN_EACH:
        raise Invalid(
            "training_set_too_small",
            f"{n} loans, {bads} bad: training needs at least {MIN_ROWS} loans and {MIN_EACH} of each outcome",
        )
    columns = columns_of(rows)
    fit_idx, hold_idx = holdout_split(y, holdout, seed)
    fit_columns = {k: v[fit_idx] for k, v in columns.items()}
    # A feature the book never has a value for cannot be binned: the model leaves it out (it gives no points).
    left_out = tuple(name for name, col in fit_columns.items() if np.isnan(col).all())
    model = train(
        fit_columns,
        y[fit_idx],
        [spec for spec in feature_specs() if spec.name not in left_out],
        binning=BINNING,
        scaling=shipped.scaling,  # the same points-to-odds: the two models' scores mean the same
        metadata={
            "name": "fairlend comprehensive score",
            "model_version": version,
            "source": "fairlend score train --from-simulation",
            "seed": seed,
            "holdout": holdout,
        },
    )
    held = {k: v[hold_idx] for k, v in columns.items()}
    y_held = y[hold_idx]
    return Retrained(
        model=model,
        rows=n,
        bads=bads,
        train_rows=int(fit_idx.size),
        train_bads=int(y[fit_idx].sum()),
        holdout_rows=int(hold_idx.size),
        holdout_bads=int(y_held.sum()),
        retrained=_fit(model, held, y_held),
        shipped=_fit(shipped, held, y_held),
        left_out=left_out,
    )
