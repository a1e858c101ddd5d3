"""Exceptions raised for invalid user input.

Every message names the offending value, column or file and states what to do next. The
command-line interface turns these exceptions into a message and exit code 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class EquilensError(Exception):
    """Base class of the errors that equilens raises for invalid input."""


class PlanError(EquilensError):
    """An audit plan that fails validation."""


class DataError(EquilensError):
    """A data source, column or value that cannot be audited as given."""


class ModelError(EquilensError):
    """A model that cannot be loaded or that returns unusable output."""


def closest_names(name: str, candidates: Iterable[str], *, limit: int = 3) -> list[str]:
    """Return up to `limit` candidates that are spelled most like `name`."""
    candidates = [str(candidate) for candidate in candidates]
    matches = difflib.get_close_matches(name, candidates, n=limit, cutoff=0.5)
    if not matches:
        lowered = {candidate.lower(): candidate for candidate in candidates}
        matches = [
            lowered[key] for key in difflib.get_close_matches(name.lower(), lowered, n=limit)
        ]
    return matches


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """Format a 'Did you mean ...?' hint, or an empty string when nothing is close."""
    matches = closest_names(name, candidates)
    if not matches:
        return ""
    return " Did you mean " + " or ".join(repr(match) for match in matches) + "?"
