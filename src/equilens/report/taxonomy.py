"""Likely sources of bias, named in the vocabulary of ISO/IEC TR 24027:2021.

The technical report groups sources of unwanted bias in AI systems into human cognitive
biases, data biases and biases introduced by engineering decisions. An audit cannot
prove a source from outcome statistics alone, so each attribution states the evidence it
rests on and is worded as the likely source to investigate first.
"""

from __future__ import annotations

from dataclasses import dataclass

HUMAN_COGNITIVE = "human cognitive bias"
DATA = "data bias"
ENGINEERING = "bias introduced by engineering decisions"

# Sub-types used below, as the report names them.
NON_REPRESENTATIVE_SAMPLING = "non-representative sampling"
DATA_LABELS = "data labels and labelling process"
MISSING_FEATURES = "missing features and labels"
SOCIETAL = "societal bias"
FEATURE_ENGINEERING = "feature engineering (proxy features)"
INFORMATIVENESS = "informativeness"
MODEL_BIAS = "model bias"

# Share of the data below which a group is treated as under-represented.
UNDER_REPRESENTED_SHARE = 0.10
# A model gap larger than the label gap by more than this ratio margin counts as amplified.
AMPLIFICATION_MARGIN = 0.05

ERROR_RATE_METRICS = {
    "true_positive_rate",
    "false_negative_rate",
    "false_positive_rate",
    "true_negative_rate",
    "accuracy",
    "balanced_accuracy",
    "f1_score",
    "auc",
}
PREDICTIVE_VALUE_METRICS = {
    "positive_predictive_value",
    "negative_predictive_value",
    "false_discovery_rate",
    "false_omission_rate",
}


@dataclass(frozen=True)
class BiasSource:
    """A likely source of bias with the evidence behind it and the next step."""

    category: str
    subtype: str | None
    rationale: str
    recommendation: str

    def to_dict(self) -> dict[str, str | None]:
        return {"category": self.category, "subtype": self.subtype, "rationale": self.rationale}


@dataclass(frozen=True)
class Evidence:
    """Evidence about the group that drives a finding, as input to an attribution."""

    metric: str
    group: str
    reference: str
    share: float
    small: bool
    n: int
    label_ratio: float | None
    model_ratio: float | None
    minimum_detectable_difference: float | None
    controlled: bool = False


def likely_source(evidence: Evidence) -> BiasSource:
    """Attribute a failing or inconclusive finding to its likely source of bias."""
    group, reference = evidence.group, evidence.reference
    if evidence.small:
        detectable = (
            f" At this size only differences of about {evidence.minimum_detectable_difference:.2f} "
            f"or more are detectable."
            if evidence.minimum_detectable_difference is not None
            else ""
        )
        return BiasSource(
            DATA,
            NON_REPRESENTATIVE_SAMPLING,
            f"The group {group} has only {evidence.n} rows, too few to judge the "
            f"hypothesis.{detectable}",
            f"Collect or sample more labelled cases for {group} before drawing conclusions; "
            f"until then, review its decisions manually.",
        )

    if evidence.controlled:
        return BiasSource(
            ENGINEERING,
            MODEL_BIAS,
            f"The test set fixes the facts and gold labels by design and varies only what "
            f"tells {group} from {reference}, so the gap in {evidence.metric} comes from how "
            f"the model reads {group}, not from sampling or labelling.",
            f"Find what in the {group} items the model reacts to (the minimal-pair token "
            f"attributions show it), change the model, its rule or its threshold, and test "
            f"again on the same items.",
        )

    if evidence.metric == "selection_rate":
        return _selection_source(evidence)

    if evidence.metric in ERROR_RATE_METRICS:
        if evidence.share < UNDER_REPRESENTED_SHARE:
            return BiasSource(
                DATA,
                NON_REPRESENTATIVE_SAMPLING,
                f"The model's errors differ for {group}, which makes up {evidence.share:.1%} of "
                f"the data; a model fitted mostly to other groups' patterns often errs more on "
                f"an under-represented group.",
                f"Check the training data's coverage of {group}, compare per-group error rates "
                f"on a larger held-out set, and consider error-rate parity mitigation "
                f"(equalized odds post-processing or reductions).",
            )
        return BiasSource(
            ENGINEERING,
            INFORMATIVENESS,
            f"The model's errors differ for {group} although the group is well represented "
            f"({evidence.share:.1%} of the data); its features may predict the outcome less "
            f"well for this group.",
            f"Analyse the errors for {group} by feature, look for features that carry less "
            f"signal for it, and compare error-rate parity mitigations on held-out data.",
        )

    if evidence.metric in PREDICTIVE_VALUE_METRICS:
        return BiasSource(
            ENGINEERING,
            MODEL_BIAS,
            f"A favorable or unfavorable decision means something different for {group} than "
            f"for {reference}: the model's scores are not equally calibrated across groups. "
            f"When base rates differ, predictive parity and equal error rates cannot all hold "
            f"at once.",
            "Check calibration per group and decide which parity criterion the use case "
            "requires before mitigating.",
        )

    return BiasSource(
        ENGINEERING,
        MODEL_BIAS,
        f"The model's {evidence.metric} differs between {group} and {reference}.",
        "Investigate the features and training choices behind the difference.",
    )


def _selection_source(evidence: Evidence) -> BiasSource:
    group, reference = evidence.group, evidence.reference
    label_ratio, model_ratio = evidence.label_ratio, evidence.model_ratio
    if label_ratio is not None and model_ratio is not None:
        if model_ratio < label_ratio - AMPLIFICATION_MARGIN:
            return BiasSource(
                ENGINEERING,
                FEATURE_ENGINEERING,
                f"The model favors {group} at {model_ratio:.2f} times the rate of {reference}, "
                f"a wider gap than the actual outcomes show ({label_ratio:.2f}); the model "
                f"amplifies the gap, which points to features that stand in for the protected "
                f"attribute.",
                "Look for proxy features of the attribute, run counterfactual flip tests, and "
                "compare mitigations (e.g. threshold optimisation or exponentiated gradient "
                "under demographic parity) on held-out data.",
            )
        return BiasSource(
            DATA,
            DATA_LABELS,
            f"The actual outcomes already show a similar gap ({label_ratio:.2f} against the "
            f"model's {model_ratio:.2f}), so the model reproduces the historical decisions it "
            f"learned from; those decisions may carry {SOCIETAL}, a human cognitive bias.",
            f"Review how the historical outcomes for {group} were decided and whether the gap "
            f"has a documented, legitimate business justification; if not, compare mitigations "
            f"that enforce demographic parity on held-out data.",
        )
    return BiasSource(
        ENGINEERING,
        MODEL_BIAS,
        f"The model's selection rate for {group} differs from {reference}'s.",
        "Look for proxy features and compare mitigations on held-out data.",
    )


def missing_values_source(attribute: str, count: int) -> BiasSource:
    """Attribute missing protected values to data bias."""
    return BiasSource(
        DATA,
        MISSING_FEATURES,
        f"{count} rows have no recorded {attribute}; if values are missing more often for some "
        f"groups, every disparity of {attribute} is measured on a selected sample.",
        f"Find out why {attribute} is missing and whether the missing rows' outcomes differ.",
    )
