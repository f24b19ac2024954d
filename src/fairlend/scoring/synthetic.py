"""A documented, seeded generator of training data for the default comprehensive score.

fairlend has no loan book of its own yet, so the shipped model is trained on
synthetic applicants. Each applicant has a latent creditworthiness z ~ N(0, 1);
every feature is drawn from a distribution that shifts with z in the direction
credit practice expects (better applicants verify more, owe less against
income, use less revolving credit, are rarely overdue, shop for credit less and
have longer histories). The outcome "bad" (90+ days past due within a year) is
then drawn from a logistic model of z and of the features themselves:

    logit P(bad) = -2.4 - 0.9 z + 0.30 inq_3m + 0.15 inq_1m + 1.2 [overdue > 0]
                   + 0.25 worst_status + 0.6 [months since < 12] + 0.9 utilisation + 0.35 min(dti, 3)
                   - 0.3 phone - 0.4 identity - 0.35 bank_card
                   - 0.45 income_verified - 0.2 assets
                   - 0.004 history_months + 0.08 lenders + 1.2 min(amount/income, 2)

The generator draws feature values directly (not facts), consistently with
`fairlend.scoring.model.features`: NaN where the feature is missing (no
verified income, no revolving line), 999 months since delinquency when none.
The same seed always gives the same rows, so the shipped model can be rebuilt
exactly (`fairlend score train-default`).
"""

from __future__ import annotations

import numpy as np

from fairlend.scoring.binning import FloatArray, IntArray

DEFAULT_SEED = 20261128
DEFAULT_ROWS = 40_000


def _sigmoid(x: FloatArray) -> FloatArray:
    out: FloatArray = 1.0 / (1.0 + np.exp(-x))
    return out


def generate(rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED) -> tuple[dict[str, FloatArray], IntArray]:
    """Feature columns and the 0/1 target (1 = bad)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal(rows)

    def bern(p: FloatArray) -> FloatArray:
        return (rng.random(rows) < p).astype(np.float64)

    phone = bern(np.full(rows, 0.93))
    identity = bern(np.full(rows, 0.88))
    bank_card = bern(_sigmoid(1.0 + 0.6 * z))
    income_verified = bern(_sigmoid(0.2 + 0.6 * z))
    assets = rng.binomial(2, _sigmoid(-1.2 + 0.6 * z)).astype(np.float64)
    income = np.exp(rng.normal(np.log(9000.0), 0.5, rows))
    dti_true = np.exp(rng.normal(np.log(0.45) - 0.25 * z, 0.7, rows))
    total_debt = np.round(dti_true * 12 * income, 2)
    total_debt[rng.random(rows) < 0.08] = 0.0
    dti = total_debt / (12 * income)
    debt_to_income = np.where(income_verified == 1.0, dti, np.nan)
    has_revolving = rng.random(rows) < 0.85
    utilisation = np.clip(_sigmoid(rng.normal(-0.4 - 0.9 * z, 1.0)), 0.0, 1.2)
    utilisation = np.where(has_revolving, np.round(utilisation, 4), np.nan)
    delinquent = rng.random(rows) < _sigmoid(-1.6 - 1.0 * z)
    worst = np.where(delinquent, np.minimum(rng.geometric(0.55, rows), 7), 0).astype(np.float64)
    overdue_now = delinquent & (rng.random(rows) < _sigmoid(-1.0 - 0.8 * z))
    overdue_amount = np.where(overdue_now, np.round(np.exp(rng.normal(np.log(1500.0), 1.0, rows)), 2), 0.0)
    months_since = np.where(delinquent, rng.integers(0, 60, rows).astype(np.float64), 999.0)
    months_since = np.where(overdue_now, 0.0, months_since)
    inq_6m = rng.poisson(np.exp(0.2 - 0.5 * z)).astype(np.float64)
    inq_3m = rng.binomial(inq_6m.astype(np.int64), 0.55).astype(np.float64)
    inq_1m = rng.binomial(inq_3m.astype(np.int64), 0.4).astype(np.float64)
    lenders = rng.poisson(np.exp(0.6 - 0.2 * z)).astype(np.float64)
    history = np.clip(rng.normal(48 + 18 * z, 30, rows), 0, 240).round()
    asked = income * rng.uniform(0.3, 8.0, rows)
    amount_to_income = np.where(income_verified == 1.0, asked / (12 * income), np.nan)

    logit = (
        -2.4
        - 0.9 * z
        + 0.30 * inq_3m
        + 0.15 * inq_1m
        + 1.2 * (overdue_amount > 0)
        + 0.25 * worst
        + 0.6 * (months_since < 12)
        + 0.9 * np.nan_to_num(utilisation, nan=0.3)
        + 0.35 * np.minimum(dti, 3.0)
        - 0.3 * phone
        - 0.4 * identity
        - 0.35 * bank_card
        - 0.45 * income_verified
        - 0.2 * assets
        - 0.004 * history
        + 0.08 * lenders
        + 1.2 * np.minimum(asked / (12 * income), 2.0)
    )
    target = (rng.random(rows) < _sigmoid(logit)).astype(np.int64)
    columns = {
        "phone_verified": phone,
        "identity_verified": identity,
        "bank_card_verified": bank_card,
        "income_verified": income_verified,
        "asset_certificates": assets,
        "total_debt": total_debt,
        "debt_to_income": debt_to_income,
        "revolving_utilisation": utilisation,
        "overdue_amount": overdue_amount,
        "worst_status": worst,
        "months_since_delinquency": months_since,
        "hard_inquiries_1m": inq_1m,
        "hard_inquiries_3m": inq_3m,
        "hard_inquiries_6m": inq_6m,
        "distinct_lenders": lenders,
        "history_months": history,
        "amount_to_income": amount_to_income,
    }
    return columns, target
