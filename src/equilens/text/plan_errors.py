"""Describing pydantic validation errors of a plan by YAML path, with the allowed fields."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, get_args

from pydantic import BaseModel, ValidationError

from equilens.errors import did_you_mean

# Messages of the plan's own checks start with the YAML path they are about.
_STARTS_WITH_PATH = re.compile(r"^[A-Za-z_][\w.\[\]]*: ")


def describe_errors(
    error: ValidationError,
    raw: dict[str, Any],
    *,
    root: type[BaseModel],
    source: str,
    tags: Sequence[str],
) -> str:
    """Describe each invalid field by its YAML path and what is allowed there.

    Parameters
    ----------
    error : pydantic.ValidationError
        The error of ``root.model_validate(raw)``.
    raw : dict
        The plan as read from YAML, used to find the model kind of a tagged union.
    root : type
        The plan's pydantic model.
    source : str
        The plan's file name, for the first line.
    tags : sequence of str
        The ``kind`` values of the tagged union of model configurations; pydantic puts
        the tag into the error location, and the YAML path leaves it out.
    """
    lines = [f"Invalid text audit plan {source!r}:"]
    for problem in error.errors():
        location = list(problem["loc"])
        if "model" in location:
            after = location.index("model") + 1
            if after < len(location) and location[after] in tags:
                del location[after]
        message = problem["msg"].removeprefix("Value error, ")
        kind = problem["type"]
        if kind == "extra_forbidden":
            fields = _fields_at(location[:-1], raw, root)
            hint = did_you_mean(str(location[-1]), fields)
            message = f"unknown field.{hint} Allowed: {', '.join(fields)}"
        elif kind == "missing":
            message = "required field is missing"
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            message = f"'kind' must be one of {', '.join(tags)}"
            location.append("kind")
        if _STARTS_WITH_PATH.match(message):
            lines.append(f"  {message}")
        else:
            lines.append(f"  {_yaml_path(location) or '(top level)'}: {message}")
    return "\n".join(lines)


def _yaml_path(location: list[Any]) -> str:
    parts: list[str] = []
    for item in location:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif not str(item).startswith("function-"):
            parts.append(("." if parts else "") + str(item))
    return "".join(parts)


def _fields_at(location: list[Any], raw: Any, root: type[BaseModel]) -> list[str]:
    """Return the allowed fields of the plan section at `location`.

    A field whose type is a union of models (the model configurations) resolves to the
    member whose ``kind`` default equals the ``kind`` written in the plan.
    """
    owner = root
    for item in location:
        raw = raw[item] if isinstance(raw, dict | list) and _has(raw, item) else None
        if isinstance(item, int):
            continue
        field = owner.model_fields.get(str(item))
        if field is None:
            break
        candidates = _model_classes(field.annotation)
        if len(candidates) > 1:
            kind = raw.get("kind") if isinstance(raw, dict) else None
            candidates = [
                model
                for model in candidates
                if "kind" in model.model_fields and model.model_fields["kind"].default == kind
            ]
        if len(candidates) != 1:
            break
        owner = candidates[0]
    return list(owner.model_fields)


def _has(container: dict | list, key: Any) -> bool:
    if isinstance(container, dict):
        return key in container
    return isinstance(key, int) and 0 <= key < len(container)


def _model_classes(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found = []
    for argument in get_args(annotation):
        found += [model for model in _model_classes(argument) if model not in found]
    return found
