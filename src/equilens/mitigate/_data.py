"""The rows of a mitigation comparison: features, labels, groups and the train/test splits."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedKFold, train_test_split

from equilens.data.columns import binary_outcome, encode_attribute, require_columns
from equilens.data.sources import from_dataframe, read_file
from equilens.errors import DataError, PlanError
from equilens.mitigate._spec import MitigationSpec
from equilens.plan import AuditPlan, ProtectedAttribute

logger = logging.getLogger(__name__)

# Strata with fewer rows than this are pooled, because a stratified split needs at least
# two rows of every stratum.
MIN_STRATUM = 2


@dataclass
class MitigationData:
    """Rows, labels and splits of one comparison.

    Attributes
    ----------
    rows : pandas.DataFrame
        Every row, with a fresh 0..n-1 index; splits index it by position.
    y : ndarray
        1 for the favorable outcome, 0 otherwise.
    features : list of str
        Feature columns.
    sensitive : list of ProtectedAttribute
        Protected attributes the mitigations constrain.
    privileged : dict of str to str
        The privileged (reference) group of each sensitive attribute.
    splits : list of (ndarray, ndarray)
        Training and held-out positions: one pair for a split, one per fold otherwise.
    evaluation : {"holdout", "training_data", "cross_validation"}
        How the held-out rows were chosen.
    data_sha256 : str
        Digest of the plan's data (the held-out rows when a training file is given).
    """

    rows: pd.DataFrame
    y: np.ndarray
    features: list[str]
    sensitive: list[ProtectedAttribute]
    privileged: dict[str, str]
    splits: list[tuple[np.ndarray, np.ndarray]]
    evaluation: str
    data_sha256: str

    def groups(self, positions: np.ndarray | None = None) -> pd.DataFrame:
        """Return the group label of each sensitive attribute, for all rows or `positions`."""
        rows = self.rows if positions is None else self.rows.iloc[positions]
        return sensitive_labels(rows, self.sensitive)


def sensitive_labels(rows: pd.DataFrame, specs: list[ProtectedAttribute]) -> pd.DataFrame:
    """Encode each protected column into group labels; missing values form their own group."""
    columns = {}
    for spec in specs:
        encoded = encode_attribute(rows[spec.source_column].to_numpy(), spec, policy="group")
        labels = np.asarray(encoded.attribute.labels, dtype=object)
        columns[spec.name] = labels[encoded.attribute.codes]
    return pd.DataFrame(columns, index=rows.index)


def sensitive_attributes(plan: AuditPlan, spec: MitigationSpec) -> list[ProtectedAttribute]:
    """Return the protected attributes the mitigations constrain, in plan order."""
    declared = [attribute.name for attribute in plan.protected]
    if spec.sensitive_features is None:
        named = {name for hypothesis in plan.hypotheses for name in hypothesis.attributes}
        return [attribute for attribute in plan.protected if attribute.name in named]
    unknown = [name for name in spec.sensitive_features if name not in declared]
    if unknown:
        raise PlanError(
            f"mitigation.sensitive_features names {unknown}, which are not protected "
            f"attributes of the plan; declared attributes: {declared}."
        )
    return [plan.attribute(name) for name in spec.sensitive_features]


def _read(plan: AuditPlan, data: Any) -> tuple[pd.DataFrame, str]:
    if data is not None:
        frame, digest = from_dataframe(data)
    elif plan.data is not None:
        frame, digest = read_file(
            plan.data.path, format=plan.data.format, encoding=plan.data.encoding
        )
    else:
        raise PlanError("The plan has no 'data' source and no dataframe was passed; add data.path.")
    return frame.to_pandas(), digest


def default_features(plan: AuditPlan, columns: list[str]) -> list[str]:
    """Return every column except the target, protected, prediction and row-id columns."""
    excluded = {plan.target, "row_id"}
    excluded |= {attribute.source_column for attribute in plan.protected}
    if plan.prediction is not None:
        excluded |= {plan.prediction.column, plan.prediction.score_column}
    return [column for column in columns if column not in excluded]


def _check_features(rows: pd.DataFrame, features: list[str], *, source: str) -> None:
    require_columns(list(rows.columns), {name: "feature" for name in features}, source=source)
    text = [name for name in features if not pd.api.types.is_numeric_dtype(rows[name])]
    if text:
        examples = rows[text[0]].dropna().astype(str).unique()[:3].tolist()
        raise DataError(
            f"Feature columns {text} are not numeric (e.g. {text[0]!r} contains {examples}); the "
            f"mitigation estimators need numbers. Encode them as numbers, or leave them out "
            f"of mitigation.features."
        )
    if not features:
        raise PlanError("The mitigation has no feature columns; list them in mitigation.features.")


def prepare_data(
    plan: AuditPlan,
    spec: MitigationSpec,
    *,
    data: Any = None,
    training_data: Any = None,
    seed: int,
) -> MitigationData:
    """Read, check and split the rows of a mitigation comparison.

    Parameters
    ----------
    plan : AuditPlan
        The audit plan; its data (or `data`) is split, or held out whole when there is
        training data.
    spec : MitigationSpec
        The mitigation section.
    data, training_data : dataframe, optional
        Rows that replace the plan's data and ``spec.training_data``.
    seed : int
        Seed of the split or folds.

    Raises
    ------
    DataError
        When a column is missing or not numeric, or a group of a sensitive attribute is
        held out but absent from its training rows.
    """
    held_out, digest = _read(plan, data)
    evaluation = "cross_validation" if spec.folds else "holdout"
    training = None
    if training_data is not None:
        training = from_dataframe(training_data)[0].to_pandas()
    elif spec.training_data is not None:
        training = read_file(spec.training_data)[0].to_pandas()
    if training is not None:
        evaluation = "training_data"
        rows = pd.concat([training, held_out], ignore_index=True)
    else:
        rows = held_out.reset_index(drop=True)
    if len(rows) == 0:
        raise DataError("The data has no rows; there is nothing to fit or evaluate.")

    sensitive = sensitive_attributes(plan, spec)
    needed = {plan.target: "target"}
    needed |= {a.source_column: f"protected attribute {a.name!r}" for a in plan.protected}
    require_columns(list(rows.columns), needed, source="the mitigation data")
    features = spec.features or (plan.model.features if plan.model is not None else None)
    features = features or default_features(plan, [str(name) for name in rows.columns])
    _check_features(rows, features, source="the mitigation data")
    y = binary_outcome(
        rows[plan.target].to_numpy(), plan.favorable_label, column=plan.target, role="target"
    )

    if training is not None:
        splits = [(np.arange(len(training)), np.arange(len(training), len(rows)))]
    else:
        columns = spec.stratify or [plan.target, *(a.source_column for a in sensitive)]
        strata = _strata(rows, columns)
        splits = _split(len(rows), strata, spec=spec, seed=seed)

    result = MitigationData(rows, y, features, sensitive, {}, splits, evaluation, digest)
    groups = result.groups()
    for train, test in splits:
        check_training_groups(groups.iloc[train], groups.iloc[test])
    result.privileged = _privileged(sensitive, groups.iloc[splits[0][0]])
    return result


def _strata(rows: pd.DataFrame, columns: list[str]) -> np.ndarray:
    require_columns(list(rows.columns), {name: "stratify" for name in columns}, source="the data")
    keys = rows[columns].astype(str).agg("|".join, axis=1)
    sizes = keys.map(keys.value_counts())
    keys = keys.where(sizes >= MIN_STRATUM, "<pooled>")
    if (keys == "<pooled>").sum() == 1:
        keys = keys.replace("<pooled>", keys.value_counts().idxmax())
    return keys.to_numpy()


def _split(
    n_rows: int, strata: np.ndarray, *, spec: MitigationSpec, seed: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    positions = np.arange(n_rows)
    if spec.folds:
        folds = StratifiedKFold(n_splits=spec.folds, shuffle=True, random_state=seed)
        return [(train, test) for train, test in folds.split(positions, strata)]
    try:
        train, test = train_test_split(
            positions, test_size=spec.test_size, stratify=strata, random_state=seed
        )
    except ValueError as error:
        raise DataError(
            f"Cannot split {n_rows} rows with test_size {spec.test_size} stratified on "
            f"{spec.stratify or 'the target and sensitive attributes'}: {error}. Change "
            f"mitigation.test_size or mitigation.stratify."
        ) from None
    return [(np.sort(train), np.sort(test))]


def check_training_groups(train: pd.DataFrame, test: pd.DataFrame) -> None:
    """Raise `DataError` when a held-out group, or combination of groups, has no training rows.

    A mitigation cannot constrain a group without training rows, and the threshold
    optimizer cannot predict for one.
    """
    for name in train.columns:
        seen = set(train[name])
        absent = test[name][~test[name].isin(seen)].value_counts()
        if len(absent):
            group, count = absent.index[0], int(absent.iloc[0])
            raise DataError(
                f"Group {group!r} of protected attribute {name!r} has {count} held-out rows but "
                f"none in the training split, so no mitigation can constrain it. Stratify the "
                f"split on {name!r} (mitigation.stratify), add training rows of that group, or "
                f"map it into another group with the attribute's 'values'."
            )
    if train.shape[1] > 1:
        seen = set(map(tuple, train.to_numpy()))
        for combination in map(tuple, test.to_numpy()):
            if combination not in seen:
                pairs = zip(train.columns, combination, strict=True)
                listed = ", ".join(f"{name}={value}" for name, value in pairs)
                raise DataError(
                    f"The combination {listed} of the sensitive attributes has held-out rows but "
                    f"none in the training split, so no mitigation can constrain it. Use fewer "
                    f"mitigation.sensitive_features, stratify the split on them, or add "
                    f"training rows of that combination."
                )


def _privileged(specs: list[ProtectedAttribute], train: pd.DataFrame) -> dict[str, str]:
    privileged = {}
    for spec in specs:
        counts = train[spec.name].value_counts()
        if spec.reference is None:
            privileged[spec.name] = str(counts.index[0])
            logger.info(
                "no reference group for %s; the largest training group %r is privileged",
                spec.name,
                privileged[spec.name],
            )
        elif spec.reference not in counts.index:
            raise DataError(
                f"Reference group {spec.reference!r} of {spec.name!r} has no rows in the "
                f"training split, so the mitigations cannot use it as the privileged group. "
                f"Check the attribute's reference and values, or stratify the split on "
                f"{spec.source_column!r}."
            )
        else:
            privileged[spec.name] = spec.reference
    return privileged
