"""`LabelScale`: the labels reviewers choose from and their level of measurement."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from equilens.errors import DataError, did_you_mean

Level = Literal["nominal", "ordinal", "interval"]
LEVELS: tuple[str, ...] = ("nominal", "ordinal", "interval")


@dataclass(frozen=True)
class LabelScale:
    """The label set of a review and how distances between labels are measured.

    Parameters
    ----------
    labels : tuple of str
        The labels reviewers choose from. For an ordinal scale, in order from lowest to
        highest; for an interval scale, each label must be a number.
    level : {"nominal", "ordinal", "interval"}
        Level of measurement, which sets Krippendorff's difference function: nominal
        labels agree or not, ordinal labels are ranked, interval labels are numbers.
    positive_label : str, optional
        The audit's positive label (e.g. ``escalate``). Label-bias tests on a nominal
        scale compare how often each reviewer group chooses it.

    Raises
    ------
    DataError
        For fewer than two labels, a repeated or empty label, an unknown level, or a
        non-numeric label on an interval scale.
    """

    labels: tuple[str, ...]
    level: Level = "nominal"
    positive_label: str | None = None

    def __post_init__(self) -> None:
        labels = tuple(str(label) for label in self.labels)
        object.__setattr__(self, "labels", labels)
        if self.level not in LEVELS:
            raise DataError(
                f"Unknown label type {self.level!r}; use one of {', '.join(LEVELS)}."
                f"{did_you_mean(str(self.level), LEVELS)}"
            )
        if len(labels) < 2:
            raise DataError(
                f"A review needs at least two labels to choose from; got {list(labels)}. "
                f"Give the labels with --labels, e.g. --labels escalate,no_escalate."
            )
        empty = [index for index, label in enumerate(labels) if not label.strip()]
        if empty:
            raise DataError(
                f"Label number {empty[0] + 1} of {list(labels)} is empty; remove it or name it."
            )
        repeated = sorted({label for label in labels if labels.count(label) > 1})
        if repeated:
            raise DataError(f"The labels {repeated} are listed more than once; list each once.")
        if self.level == "interval":
            for label in labels:
                if _number(label) is None:
                    raise DataError(
                        f"Label {label!r} is not a number, but an interval scale needs numeric "
                        f"labels such as 1,2,3,4. Use --label-type ordinal for ordered names."
                    )

    @property
    def domain(self) -> np.ndarray:
        """The values Krippendorff's alpha works on: label positions, or the numbers of an
        interval scale."""
        if self.level == "interval":
            return np.array([_number(label) for label in self.labels], dtype=float)
        return np.arange(len(self.labels), dtype=float)

    def index(self, labels: Iterable[str]) -> np.ndarray:
        """Return the position of each label in `labels` (all must be on the scale)."""
        position = {label: index for index, label in enumerate(self.labels)}
        return np.array([position[label] for label in labels], dtype=int)

    def numeric(self, labels: Iterable[str]) -> np.ndarray:
        """Return each label as the number that label-bias tests compare.

        On a nominal scale, the number is 1 for the positive label (or the first label when
        the scale has no positive label) and 0 otherwise. On an ordinal scale it is the
        label's position, and on an interval scale the label's number.
        """
        labels = list(labels)
        if self.level == "nominal":
            target = self.positive_label if self.positive_label in self.labels else self.labels[0]
            return np.array([1.0 if label == target else 0.0 for label in labels])
        return self.domain[self.index(labels)]

    def numeric_meaning(self) -> str:
        """Describe what the numbers of `numeric` mean, for reports."""
        if self.level == "nominal":
            target = self.positive_label if self.positive_label in self.labels else self.labels[0]
            return f"share of labels {target!r}"
        if self.level == "ordinal":
            return f"mean position on the scale {' < '.join(self.labels)}"
        return "mean label value"

    @property
    def comparable_by_share(self) -> bool:
        """Whether `numeric` summarises the scale: not for a nominal scale with more than
        two labels and no positive label among them."""
        if self.level != "nominal" or len(self.labels) == 2:
            return True
        return self.positive_label in self.labels

    def check_labels(self, labels: Sequence[str], places: Sequence[Any], *, source: str) -> None:
        """Raise `DataError` for labels that are not on the scale, naming where each is.

        `places` describes where each label is, e.g. ``line 4`` or ``task 2, annotation 7``.
        """
        allowed = set(self.labels)
        outside: dict[str, list[Any]] = {}
        for label, place in zip(labels, places, strict=True):
            if label not in allowed:
                outside.setdefault(label, []).append(place)
        if not outside:
            return
        first = next(iter(outside))
        shown = "; ".join(
            f"{label!r} ({_places(where)})" for label, where in list(outside.items())[:5]
        )
        count = sum(len(where) for where in outside.values())
        raise DataError(
            f"{source} has labels that are not in the review's label set {list(self.labels)}: "
            f"{shown} ({count} in all).{did_you_mean(first, allowed)} Correct those labels, "
            f"or export the sample again with --labels to change the set."
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "labels": list(self.labels),
            "level": self.level,
            "positive_label": self.positive_label,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LabelScale:
        return cls(
            labels=tuple(data["labels"]),
            level=data.get("level", "nominal"),
            positive_label=data.get("positive_label"),
        )


def parse_labels(text: str) -> tuple[str, ...]:
    """Split a comma-separated label list such as ``"S0,S1,S2"``."""
    return tuple(part.strip() for part in text.split(","))


def _number(label: str) -> float | None:
    try:
        value = float(label)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _places(places: Sequence[Any], limit: int = 5) -> str:
    shown = ", ".join(str(place) for place in places[:limit])
    return shown + (", ..." if len(places) > limit else "")
