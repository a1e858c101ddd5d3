"""Synthetic tabular data and models whose probe results are known in advance."""

from __future__ import annotations

import numpy as np
import pandas as pd

from equilens.models.tabular import CallablePredictor

THRESHOLD = 0.5


def sex_rule_data(n: int = 400, *, seed: int = 0) -> pd.DataFrame:
    """Rows with a sex column, a code column and a feature x; no randomness in decisions."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["female", "male"], size=n)
    x = rng.uniform(-1.0, 1.0, size=n)
    return pd.DataFrame({"sex": sex, "male": (sex == "male").astype(int), "x": x})


def sex_rule_score(frame: pd.DataFrame) -> np.ndarray:
    """A score that rises with x and adds 0.3 for the code male = 1."""
    return 0.2 + 0.3 * frame["x"].to_numpy() + 0.3 * (frame["male"].to_numpy() == 1)


def sex_rule_model(*, fail_on_flipped: bool = False) -> CallablePredictor:
    """Approve when the score reaches 0.5; optionally fail on rows whose code and label
    disagree, which only counterfactual rows have."""

    def score(frame: pd.DataFrame) -> np.ndarray:
        if fail_on_flipped and ((frame["male"] == 1) != (frame["sex"] == "male")).any():
            raise ValueError("inconsistent sex code")
        return sex_rule_score(frame)

    def predict(frame: pd.DataFrame) -> np.ndarray:
        return (score(frame) >= THRESHOLD).astype(int)

    return CallablePredictor(predict, score=score, model_id="sex-rule")


def linear_scm(n: int = 2000, *, seed: int = 1) -> pd.DataFrame:
    """Rows of the additive-noise SCM a -> x1, a -> x2, x1 -> x2 plus an outside column z.

    x1 = 1.5 a + N1 and x2 = 0.5 x1 - a + N2 with standard normal noise, a in {0, 1}.
    """
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 2, size=n)
    n1, n2, z = rng.normal(size=(3, n))
    x1 = 1.5 * a + n1
    x2 = 0.5 * x1 - 1.0 * a + n2
    return pd.DataFrame({"a": a, "x1": x1, "x2": x2, "z": z})


SCM_EDGES = [("a", "x1"), ("a", "x2"), ("x1", "x2")]
# Under do(a = 1) a row's x1 rises by 1.5 and x2 by 0.5 * 1.5 - 1 = -0.25, so the linear
# score below rises by 0.2 * 1.5 + 0.4 * (-0.25) = 0.2 for every row with a = 0.
SCM_TRUE_GAP = 0.2
# The score's standard deviation within a group: 0.4 N1 + 0.4 N2 + 0.1 z.
SCM_SCORE_SD = float(np.sqrt(0.16 + 0.16 + 0.01))


def scm_score(frame: pd.DataFrame) -> np.ndarray:
    """A linear score of x1, x2 and z, centred on 0.3 for rows with a = 0."""
    return (
        0.3
        + 0.2 * frame["x1"].to_numpy()
        + 0.4 * frame["x2"].to_numpy()
        + 0.1 * frame["z"].to_numpy()
    )


def scm_model() -> CallablePredictor:
    """Approve when the linear score reaches 0.5."""
    return CallablePredictor(
        lambda frame: (scm_score(frame) >= THRESHOLD).astype(int), score=scm_score, model_id="scm"
    )


def planted_subgroup_data(n: int = 3000, *, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Rows where race b in region s is approved at 20% and everyone else at 60%."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "race": rng.choice(["a", "b", "c"], size=n, p=[0.6, 0.25, 0.15]),
            "region": rng.choice(["n", "s", "e", "w"], size=n),
            "income": rng.normal(size=n),
        }
    )
    rate = np.where((frame["race"] == "b") & (frame["region"] == "s"), 0.2, 0.6)
    decisions = (rng.random(n) < rate).astype(int)
    return frame, decisions
