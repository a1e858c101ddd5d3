"""The likely source of bias that a finding names."""

import numpy as np

from equilens import parse_plan, run_audit

PLAN = {
    "target": "approved",
    "prediction": {"column": "decision"},
    "protected": [{"name": "race", "reference": "white"}],
    "bootstrap_replicates": 100,
}


def loan_frame(n, seed=0):
    import pandas as pd

    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "approved": rng.integers(0, 2, n),
            "decision": rng.integers(0, 2, n),
            "race": rng.choice(["white", "black"], n),
        }
    )


def test_controlled_sample_attributes_gap_to_model():
    frame = loan_frame(400)
    frame["decision"] = np.where(frame["race"] == "black", 0, frame["decision"])
    hypothesis = {
        "metric": "selection_rate",
        "attribute": "race",
        "comparison": "ratio",
        "threshold": 0.8,
    }
    plan = parse_plan({**PLAN, "hypotheses": [hypothesis], "controlled_sample": True})
    finding = run_audit(plan, frame).findings[0]
    assert finding.verdict == "fail"
    assert finding.source.subtype == "model bias"
    assert "fixes the facts and gold labels by design" in finding.source.rationale
