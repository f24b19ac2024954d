"""How well a scorecard ranks and how well it is calibrated: AUC, KS, predicted against observed bad rates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fairlend.scoring.scorecard import Scaling


def auc(scores: NDArray[Any], target: NDArray[Any]) -> float:
    """Area under the ROC curve, with higher scores meaning better (target 1 = bad)."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(target, dtype=np.int64)
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(s.size, dtype=np.float64)
    sorted_s = s[order]
    # average ranks over ties
    _, first, counts = np.unique(sorted_s, return_index=True, return_counts=True)
    avg = first + (counts - 1) / 2.0 + 1.0
    ranks[order] = np.repeat(avg, counts)
    goods = y == 0
    n_good, n_bad = int(goods.sum()), int((~goods).sum())
    if n_good == 0 or n_bad == 0:
        return float("nan")
    return float((ranks[goods].sum() - n_good * (n_good + 1) / 2.0) / (n_good * n_bad))


def ks(scores: NDArray[Any], target: NDArray[Any]) -> float:
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(target, dtype=np.int64)
    order = np.argsort(s, kind="mergesort")
    s, y = s[order], y[order]
    cum_bad = np.cumsum(y) / max(int(y.sum()), 1)
    cum_good = np.cumsum(1 - y) / max(int((1 - y).sum()), 1)
    last = np.r_[s[1:] != s[:-1], True]  # only compare at the end of each tie run
    return float(np.max(np.abs(cum_bad - cum_good)[last]))


@dataclass(frozen=True, slots=True)
class CalibrationRow:
    band: str
    count: int
    observed_bad_rate: float
    predicted_bad_rate: float


def calibration(scores: NDArray[Any], target: NDArray[Any], scaling: Scaling, groups: int = 10) -> list[CalibrationRow]:
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(target, dtype=np.int64)
    order = np.argsort(s, kind="mergesort")
    rows = []
    for chunk in np.array_split(order, groups):
        if chunk.size == 0:
            continue
        cs = s[chunk]
        predicted = float(np.mean([scaling.probability_of_bad(v) for v in cs]))
        rows.append(
            CalibrationRow(
                band=f"{cs.min():g}..{cs.max():g}",
                count=int(chunk.size),
                observed_bad_rate=float(y[chunk].mean()),
                predicted_bad_rate=predicted,
            )
        )
    return rows
