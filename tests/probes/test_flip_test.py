"""The tabular counterfactual flip test."""

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from tabular_cases import sex_rule_data, sex_rule_model, sex_rule_score

from equilens.errors import DataError
from equilens.models.tabular import CallablePredictor, SklearnPredictor
from equilens.probes.flip import flip_test, quantile_map


def _result(output, variant, group, target):
    (match,) = [
        r
        for r in output["results"]
        if r["variant"] == variant and r["group"] == group and r["counterfactual_group"] == target
    ]
    return match


def test_flip_counts_match_rule():
    data = sex_rule_data()
    output = flip_test(
        data, sex_rule_model(), {"sex": "male"}, labels={"sex": data["sex"]}, replicates=200
    )

    female = data[data["sex"] == "female"]
    score = sex_rule_score(female)
    expected = int(((score < 0.5) & (score + 0.3 >= 0.5)).sum())
    result = _result(output, "attribute", "female", "male")
    assert result["n"] == len(female)
    assert result["flips"] == expected
    assert result["unfavorable_to_favorable"] == expected
    assert result["favorable_to_unfavorable"] == 0
    assert 0 < expected < len(female)
    assert result["mean_score_change"]["value"] == pytest.approx(0.3)


def test_mcnemar_matches_binomial_test():
    data = sex_rule_data()
    output = flip_test(data, sex_rule_model(), {"sex": "male"}, labels={"sex": data["sex"]})

    result = _result(output, "attribute", "male", "female")
    b, c = result["favorable_to_unfavorable"], result["unfavorable_to_favorable"]
    expected = stats.binomtest(b, b + c, 0.5).pvalue
    assert result["test"] == "mcnemar_exact"
    assert result["p_value"] == pytest.approx(expected)
    assert result["p_adjusted"] >= result["p_value"]


def test_flip_rate_interval_is_wilson():
    data = sex_rule_data()
    output = flip_test(data, sex_rule_model(), {"sex": "male"}, labels={"sex": data["sex"]})

    rate = _result(output, "attribute", "female", "male")["flip_rate"]
    assert rate["ci_method"] == "wilson"
    assert rate["ci"][0] <= rate["value"] <= rate["ci"][1]


def test_attribute_not_a_feature_points_to_proxies():
    data = sex_rule_data()
    model = CallablePredictor(lambda frame: (frame["x"] > 0).astype(int))
    output = flip_test(data, model, ["sex"], features=["x"])

    (entry,) = output["attributes"]
    assert entry["model_uses_attribute"] is False
    assert entry["variants"] == []
    assert "probes.proxies" in entry["note"]
    assert output["results"] == []


def test_unknown_feature_use_with_zero_flips_gets_note():
    data = sex_rule_data()
    model = CallablePredictor(lambda frame: (frame["x"] > 0).astype(int))
    output = flip_test(data, model, ["sex"])

    (entry,) = output["attributes"]
    assert entry["model_uses_attribute"] is None
    assert all(r["flips"] == 0 for r in output["results"])
    assert "probes.proxies" in entry["note"]


def test_with_proxies_variant_moves_proxy_columns():
    data = sex_rule_data()
    # The model ignores the sex code but uses x, which the variant moves to the other
    # group's distribution. Shifting x for men makes it a strong proxy.
    data.loc[data["sex"] == "male", "x"] += 2.0
    model = CallablePredictor(lambda frame: (frame["x"] > 1.0).astype(int))
    output = flip_test(data, model, ["sex"], features=["x"], proxy_columns={"sex": ["x"]})

    (entry,) = output["attributes"]
    assert entry["variants"] == ["with_proxies"]
    male_to_female = _result(output, "with_proxies", "male", "female")
    assert male_to_female["flip_rate"]["value"] > 0.9
    assert male_to_female["favorable_to_unfavorable"] == male_to_female["flips"]


def test_sklearn_features_detect_attribute_use():
    from sklearn.linear_model import LogisticRegression

    data = sex_rule_data()
    outcome = (sex_rule_score(data) >= 0.5).astype(int)
    estimator = LogisticRegression().fit(data[["male", "x"]], outcome)
    output = flip_test(
        data, SklearnPredictor(estimator), {"sex": "male"}, labels={"sex": data["sex"]}
    )

    assert output["attributes"][0]["model_uses_attribute"] is True
    assert _result(output, "attribute", "female", "male")["flips"] > 0


def test_single_group_attribute_raises():
    data = sex_rule_data()
    data["sex"] = "female"
    with pytest.raises(DataError, match="single group") as error:
        flip_test(data, sex_rule_model(), ["sex"])
    assert "'female'" in str(error.value)
    assert "'sex'" in str(error.value)


def test_model_failure_reports_row_count():
    data = sex_rule_data()
    output = flip_test(
        data, sex_rule_model(fail_on_flipped=True), {"sex": "male"}, labels={"sex": data["sex"]}
    )

    assert len(output["failures"]) == 2
    female_rows = int((data["sex"] == "female").sum())
    failure = [f for f in output["failures"] if f["group"] == "female"][0]
    assert failure["rows"] == female_rows
    assert "inconsistent sex code" in failure["error"]
    assert output["results"] == []


def test_unknown_proxy_attribute_raises():
    data = sex_rule_data()
    with pytest.raises(DataError, match="'race'"):
        flip_test(data, sex_rule_model(), ["sex"], proxy_columns={"race": ["x"]})


def test_missing_label_rows_are_not_flipped():
    data = sex_rule_data()
    labels = data["sex"].to_numpy(dtype=object).copy()
    labels[:10] = "missing"
    output = flip_test(data, sex_rule_model(), {"sex": "male"}, labels={"sex": labels})

    assert output["attributes"][0]["excluded_rows"] == 10
    assert {r["group"] for r in output["results"]} == {"female", "male"}


def test_flip_output_is_json_safe():
    data = sex_rule_data()
    output = flip_test(data, sex_rule_model(), {"sex": "male"}, labels={"sex": data["sex"]})
    json.dumps(output, allow_nan=False)


def test_quantile_map_keeps_ranks_and_target_values():
    source = np.arange(100, dtype=float)
    target = np.arange(1000, 1100, dtype=float)
    mapped = quantile_map(source, target, rng=None)

    assert np.all(np.diff(mapped) > 0)
    assert set(mapped) <= set(target)


def test_quantile_map_keeps_missing_and_integers():
    source = np.array([1.0, np.nan, 3.0])
    mapped = quantile_map(source, np.array([10.0, 20.0, 30.0]), rng=None)
    assert np.isnan(mapped[1])

    integers = quantile_map(np.array([0, 1, 2]), np.array([5, 6, 7]), rng=None)
    assert integers.dtype.kind == "i"


def test_quantile_map_draws_text_from_target():
    rng = np.random.default_rng(0)
    mapped = quantile_map(np.array(["a", "b", None], dtype=object), np.array(["x", "y"]), rng=rng)
    assert set(mapped[:2]) <= {"x", "y"}
    assert pd.isna(mapped[2])


def test_binned_attribute_is_quantile_mapped():
    rng = np.random.default_rng(3)
    age = rng.integers(18, 80, size=300)
    data = pd.DataFrame({"age": age})
    labels = np.where(age < 40, "young", "old")
    model = CallablePredictor(lambda frame: (frame["age"] >= 40).astype(int))
    output = flip_test(data, model, ["age"], labels={"age": labels}, replicates=100)

    young_to_old = _result(output, "attribute", "young", "old")
    assert young_to_old["flip_rate"]["value"] == 1.0
