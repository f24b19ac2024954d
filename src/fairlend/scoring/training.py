"""Training a scorecard: bin each feature, fit a WoE logistic regression (IRLS), scale to points.

The model's form, its scaling and its reasons are in scorecard.py; this module
only fits one from data (`fairlend score train`, the comprehensive score's
shipped model).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fairlend.errors import Invalid
from fairlend.scoring.binning import (
    DEFAULT_BINNING,
    BinningSettings,
    FeatureBinning,
    FloatArray,
)
from fairlend.scoring.binning_fit import fit_categorical, fit_numeric
from fairlend.scoring.scorecard import DEFAULT_SCALING, FeatureSpec, Scaling, Scorecard, ScoredFeature


def fit_logistic(x: FloatArray, y: NDArray[Any], *, l2: float = 1e-3, iterations: int = 50) -> FloatArray:
    """Newton/IRLS for ln(odds of y=1) = w0 + x.w; the intercept is not penalised.

    `l2` is per observation (the penalty is l2 * n * |w|^2 / 2) so it means the
    same at 1,000 rows as at 1,000,000.
    """
    n, k = x.shape
    design = np.hstack([np.ones((n, 1)), x])
    w = np.zeros(k + 1)
    penalty = np.full(k + 1, l2 * n)
    penalty[0] = 0.0
    yf = np.asarray(y, dtype=np.float64)
    for _ in range(iterations):
        z = design @ w
        p = 1.0 / (1.0 + np.exp(-z))
        grad = design.T @ (yf - p) - penalty * w
        weights = p * (1.0 - p)
        hessian = (design * weights[:, None]).T @ design + np.diag(penalty)
        step = np.linalg.solve(hessian, grad)
        w = w + step
        if float(np.max(np.abs(step))) < 1e-9:
            break
    return w


def train(
    columns: Mapping[str, NDArray[Any]],
    target: NDArray[Any],
    specs: Sequence[FeatureSpec],
    *,
    binning: BinningSettings = DEFAULT_BINNING,
    scaling: Scaling = DEFAULT_SCALING,
    l2: float = 1e-3,
    min_iv: float = 0.02,
    metadata: Mapping[str, Any] | None = None,
) -> Scorecard:
    """Bin every column, fit the regression, scale to points. `target`: 1 = bad, 0 = good."""
    y = np.asarray(target, dtype=np.int64)
    if y.size == 0 or not np.isin(y, (0, 1)).all() or y.min() == y.max():
        raise Invalid("target_one_class", "the target must be 0 (good) / 1 (bad) and hold both")
    if not specs:
        raise Invalid("no_features", "there is no feature column to train on")
    binnings: list[FeatureBinning] = []
    for spec in specs:
        settings = binning
        if spec.missing is not None:
            settings = BinningSettings(
                min_bin_share=binning.min_bin_share,
                max_bins=binning.max_bins,
                prebins=binning.prebins,
                missing=spec.missing,
                special=binning.special,
                unseen=binning.unseen,
            )
        if spec.kind == "categorical":
            binnings.append(fit_categorical(spec.name, columns[spec.name], y, settings=settings))
        else:
            binnings.append(
                fit_numeric(
                    spec.name,
                    columns[spec.name],
                    y,
                    direction=spec.direction,
                    special_values=spec.special_values,
                    settings=settings,
                )
            )
    woe_cols = []
    for b in binnings:
        woe_table = np.array([x.woe for x in b.bins])
        woe_cols.append(woe_table[b.slots(columns[b.name])])
    woe = np.stack(woe_cols, axis=1)
    good = 1 - y  # fit ln(odds good) directly: coefficients on WoE come out positive
    active = [i for i, b in enumerate(binnings) if b.iv >= min_iv and len(b.bins) > 1]
    coefs = np.zeros(len(binnings))
    intercept = math.log(float(good.sum()) / float(y.sum()))
    while active:
        w = fit_logistic(woe[:, active], good, l2=l2)
        wrong = [j for j, c in enumerate(w[1:]) if c <= 0]
        if not wrong:
            intercept = float(w[0])
            coefs[:] = 0.0
            coefs[active] = w[1:]
            break
        # drop the most wrongly signed feature and refit
        active.pop(min(wrong, key=lambda j: w[1 + j]))
    factor, offset = scaling.factor, scaling.offset
    features = []
    base = offset + factor * intercept
    for b, c, spec in zip(binnings, coefs, specs, strict=True):
        woes = np.array([x.woe for x in b.bins])
        floor = float(woes.min())
        base += factor * c * floor
        pts = tuple(round(factor * c * (w_ - floor)) for w_ in woes)
        features.append(ScoredFeature(binning=b, coefficient=float(c), points=pts, is_inquiry=spec.is_inquiry))
    meta = {
        "rows": int(y.size),
        "bads": int(y.sum()),
        "binning": {
            "min_bin_share": binning.min_bin_share,
            "max_bins": binning.max_bins,
            "prebins": binning.prebins,
            "missing": binning.missing.value,
            "special": binning.special.value,
            "unseen": binning.unseen.value,
        },
        "l2": l2,
        "min_iv": min_iv,
        "woe_convention": "ln(share of goods in bin / share of bads in bin)",
        **(metadata or {}),
    }
    return Scorecard(
        features=tuple(features), base_points=round(base), scaling=scaling, intercept=intercept, metadata=meta
    )
