"""Invalid data gets a clear error that names the value and the fix."""

import numpy as np
import pandas as pd
import pytest

from equilens import audit_arrays, parse_plan, run_audit
from equilens.errors import DataError

PLAN = {
    "target": "approved",
    "prediction": {"column": "decision"},
    "protected": [{"name": "race", "reference": "white"}],
    "bootstrap_replicates": 100,
}


def loan_frame(n=120, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "approved": rng.integers(0, 2, n),
            "decision": rng.integers(0, 2, n),
            "race": rng.choice(["white", "black"], n),
            "sex": rng.choice(["male", "female"], n),
        }
    )


def test_missing_column_suggests_closest_name():
    frame = loan_frame().rename(columns={"race": "races"})
    with pytest.raises(DataError) as error:
        run_audit(parse_plan(PLAN), frame)
    message = str(error.value)
    assert "Column 'race' (protected attribute 'race') not found" in message
    assert "Did you mean 'races'" in message


def test_length_mismatch_names_every_length():
    with pytest.raises(DataError, match=r"y_true=3, y_pred=2, race=3"):
        audit_arrays([1, 0, 1], [1, 0], sensitive_features={"race": ["a", "b", "a"]})


def test_favorable_label_absent_from_target():
    frame = loan_frame()
    frame["approved"] = np.where(frame["approved"] == 1, "yes", "no")
    with pytest.raises(DataError) as error:
        run_audit(parse_plan(PLAN), frame)
    assert "Favorable label 1 does not occur in the target column 'approved'" in str(error.value)
    assert "'yes'" in str(error.value)


def test_non_binary_target_without_mapping():
    frame = loan_frame()
    frame["approved"] = np.resize(["approved", "denied", "withdrawn"], len(frame))
    frame["decision"] = np.resize(["approved", "denied"], len(frame))
    plan = parse_plan({**PLAN, "favorable_label": "approved"})
    with pytest.raises(
        DataError, match="3 distinct values .* not binary. Give favorable_label as a list"
    ):
        run_audit(plan, frame)


def test_non_binary_target_with_list_mapping():
    frame = loan_frame()
    frame["approved"] = np.resize(["approved", "counteroffer", "denied"], len(frame))
    frame["decision"] = np.resize(["approved", "denied"], len(frame))
    plan = parse_plan({**PLAN, "favorable_label": ["approved", "counteroffer"]})
    result = run_audit(plan, frame)
    assert (
        result.predictions.y_true.sum()
        == np.isin(frame["approved"], ["approved", "counteroffer"]).sum()
    )


def test_missing_protected_values_grouped_with_warning():
    frame = loan_frame()
    frame.loc[:4, "race"] = None
    result = run_audit(parse_plan(PLAN), frame)
    labels = [label for (label,) in result.tables[("race",)].counts.labels]
    assert "missing" in labels
    assert any(w.code == "missing_values" and w.details["count"] == 5 for w in result.warnings)


def test_missing_protected_values_dropped_with_count():
    frame = loan_frame()
    frame.loc[:4, "race"] = None
    result = run_audit(parse_plan({**PLAN, "missing_values": "drop"}), frame)
    assert len(result.predictions.y_true) == len(frame) - 5
    assert any(w.code == "dropped_rows" and w.details["count"] == 5 for w in result.warnings)


def test_missing_protected_values_error_policy():
    frame = loan_frame()
    frame.loc[:4, "race"] = None
    with pytest.raises(DataError, match="has 5 missing values .* set missing_values to 'group'"):
        run_audit(parse_plan({**PLAN, "missing_values": "error"}), frame)


def test_missing_target_values():
    frame = loan_frame().astype({"approved": float})
    frame.loc[3, "approved"] = np.nan
    with pytest.raises(DataError, match="target column 'approved' has 1 missing value"):
        run_audit(parse_plan(PLAN), frame)


def test_empty_data():
    with pytest.raises(DataError, match="has no rows"):
        run_audit(parse_plan(PLAN), loan_frame().iloc[:0])


def test_single_group():
    frame = loan_frame()
    frame["race"] = "white"
    with pytest.raises(DataError, match="has a single group 'white'"):
        run_audit(parse_plan(PLAN), frame)


def test_reference_group_absent():
    plan = parse_plan({**PLAN, "protected": [{"name": "race", "reference": "whte"}]})
    with pytest.raises(DataError, match="Reference group 'whte' .* Did you mean 'white'"):
        run_audit(plan, loan_frame())


def test_hypothesis_group_absent():
    plan = parse_plan(
        {
            **PLAN,
            "hypotheses": [
                {
                    "metric": "selection_rate",
                    "attribute": "race",
                    "comparison": "ratio",
                    "threshold": 0.8,
                    "groups": ["asian"],
                }
            ],
        }
    )
    with pytest.raises(DataError, match=r"names group \['asian'\]"):
        run_audit(plan, loan_frame())


def test_csv_with_byte_order_mark(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_bytes(b"\xef\xbb\xbf" + loan_frame().to_csv(index=False).encode("utf-8"))
    result = run_audit(parse_plan({**PLAN, "data": {"path": str(path)}}))
    assert result.provenance["n_rows"] == 120


def test_csv_not_utf8_names_byte_and_fix(tmp_path):
    path = tmp_path / "rows.csv"
    frame = loan_frame()
    frame.loc[0, "race"] = "blanc-é"
    path.write_bytes(frame.to_csv(index=False).encode("latin-1"))
    with pytest.raises(DataError) as error:
        run_audit(parse_plan({**PLAN, "data": {"path": str(path)}}))
    assert "byte 0xe9" in str(error.value)
    assert "Set data.encoding" in str(error.value)


def test_csv_with_declared_encoding(tmp_path):
    path = tmp_path / "rows.csv"
    frame = loan_frame()
    frame.loc[0, "race"] = "blanc-é"
    path.write_bytes(frame.to_csv(index=False).encode("latin-1"))
    result = run_audit(parse_plan({**PLAN, "data": {"path": str(path), "encoding": "latin-1"}}))
    labels = [label for (label,) in result.tables[("race",)].counts.labels]
    assert "blanc-é" in labels


def test_csv_duplicate_column_names(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("approved,decision,race,race\n1,1,white,black\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"repeats the column name\(s\) \['race'\]"):
        run_audit(parse_plan({**PLAN, "data": {"path": str(path)}}))


def test_dataframe_duplicate_column_names():
    frame = loan_frame()
    frame.columns = ["approved", "decision", "race", "race"]
    with pytest.raises(DataError, match="repeats the column name"):
        run_audit(parse_plan(PLAN), frame)


def test_data_file_missing(tmp_path):
    with pytest.raises(DataError, match="Data file not found"):
        run_audit(parse_plan({**PLAN, "data": {"path": str(tmp_path / "absent.csv")}}))


def test_score_column_not_numeric():
    frame = loan_frame().assign(score="high")
    plan = parse_plan({**PLAN, "prediction": {"score_column": "score", "threshold": 0.5}})
    with pytest.raises(DataError, match="score column 'score' must be numeric"):
        run_audit(plan, frame)


def test_bins_outside_range():
    frame = loan_frame().assign(age=np.r_[np.full(119, 30), 95])
    plan = parse_plan({**PLAN, "protected": [{"name": "age", "bins": [18, 40, 65]}]})
    with pytest.raises(DataError, match=r"1 values of column 'age' .* outside the bins \[18, 65\)"):
        run_audit(plan, frame)


def test_model_that_never_approves_is_audited():
    frame = loan_frame().assign(decision=0)
    result = run_audit(parse_plan(PLAN), frame)
    assert result.predictions.y_pred.sum() == 0


def test_prediction_labels_unlike_target_rejected():
    frame = loan_frame()
    frame["decision"] = np.where(frame["decision"] == 1, "yes", "no")
    with pytest.raises(
        DataError, match="Favorable label 1 does not occur in the prediction column"
    ):
        run_audit(parse_plan(PLAN), frame)


def test_unquoted_yes_label_gets_quoting_hint():
    frame = loan_frame()
    frame["approved"] = np.where(frame["approved"] == 1, "yes", "no")
    frame["decision"] = frame["approved"]
    with pytest.raises(DataError, match="quote the label"):
        run_audit(parse_plan({**PLAN, "favorable_label": True}), frame)


def test_prediction_label_mismatch_points_to_prediction_favorable_label():
    frame = loan_frame()
    frame["decision"] = np.where(frame["decision"] == 1, "Y", "N")
    with pytest.raises(DataError, match="Set prediction.favorable_label"):
        run_audit(parse_plan(PLAN), frame)
