"""Proxy detection: single-feature AUC, mutual information and all-feature leakage."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from equilens.errors import DataError
from equilens.explain import proxy_strength
from equilens.explain._auc import auc_estimate


def _proxy_data(n: int = 600, *, seed: int = 0):
    rng = np.random.default_rng(seed)
    race = rng.choice(["white", "black", "asian"], size=n, p=[0.6, 0.25, 0.15])
    data = pd.DataFrame(
        {
            # Strongly tied to black applicants, and non-monotone in the others.
            "zip_score": np.where(race == "black", 2.0, 0.0) + rng.normal(size=n),
            "noise": rng.normal(size=n),
            "region": np.where(race == "asian", "west", rng.choice(["north", "south"], size=n)),
            "income": rng.lognormal(size=n),
        }
    )
    data.loc[:9, "income"] = np.nan
    return data, race


@pytest.fixture(scope="module")
def output():
    data, race = _proxy_data()
    return proxy_strength(
        data,
        {"race": race},
        features=["zip_score", "noise", "region", "income"],
        replicates=200,
    )


def _feature(output, name):
    (entry,) = output["attributes"]
    (match,) = [row for row in entry["features"] if row["feature"] == name]
    return match


def test_planted_proxy_flagged(output):
    row = _feature(output, "zip_score")
    assert row["proxy"] is True
    assert row["group"] == "black"
    assert row["auc"]["value"] > 0.8


def test_categorical_proxy_flagged(output):
    row = _feature(output, "region")
    assert row["proxy"] is True
    assert row["group"] == "asian"


def test_noise_not_flagged(output):
    row = _feature(output, "noise")
    assert row["proxy"] is False
    assert row["auc"]["ci"][0] < 0.5 + 0.1


def test_mutual_information_ranks_proxy_above_noise(output):
    assert _feature(output, "zip_score")["nmi"] > _feature(output, "noise")["nmi"]


def test_features_sorted_by_auc(output):
    values = [row["auc"]["value"] for row in output["attributes"][0]["features"]]
    assert values == sorted(values, reverse=True)


def test_leakage_auc_at_least_best_feature(output):
    (entry,) = output["attributes"]
    assert entry["leakage_auc"]["value"] > 0.8
    assert set(entry["leakage_auc_by_group"]) == {"white", "black", "asian"}


def test_proxy_list_names_strength(output):
    (entry,) = output["attributes"]
    names = {proxy["feature"] for proxy in entry["proxies"]}
    assert {"zip_score", "region"} <= names
    assert "noise" not in names


def test_proxy_output_is_json_safe(output):
    json.dumps(output, allow_nan=False)


def test_small_group_left_out():
    data, race = _proxy_data(300)
    race = race.astype(object)
    race[:3] = "other"
    output = proxy_strength(data, {"race": race}, features=["zip_score"], replicates=50)

    (entry,) = output["attributes"]
    assert "other" not in entry["groups"]
    assert entry["excluded_groups"][0]["group"] == "other"
    assert entry["excluded_rows"] == 3


def test_single_group_gives_reason():
    data, _ = _proxy_data(100)
    output = proxy_strength(data, {"race": ["white"] * 100}, features=["noise"], replicates=50)
    (entry,) = output["attributes"]
    assert entry["leakage_auc"]["value"] is None
    assert entry["leakage_auc"]["reason"]


def test_unknown_feature_raises():
    data, race = _proxy_data(100)
    with pytest.raises(DataError, match="'zip'"):
        proxy_strength(data, {"race": race}, features=["zip"])


def test_auc_matches_sklearn():
    rng = np.random.default_rng(1)
    positive = rng.random(400) < 0.3
    score = np.round(rng.normal(size=400) + positive, 1)
    estimate = auc_estimate(positive, score, level=0.95, replicates=300, rng=rng)

    assert estimate.value == pytest.approx(roc_auc_score(positive, score))
    assert estimate.ci[0] < estimate.value < estimate.ci[1]
