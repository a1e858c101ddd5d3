"""A Hugging Face text classifier loaded from a local directory, never from the Hub."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from equilens.errors import ModelError, did_you_mean
from equilens.models.base import ensure_output_length
from equilens.models.text._base import (
    RUNTIME_FIELDS,
    TextModel,
    TextPrediction,
    TruncationLog,
    check_texts,
    stable_model_id,
)

logger = logging.getLogger(__name__)

# Tokenizers without a length limit report model_max_length as a huge sentinel (1e30).
_NO_LIMIT = 1_000_000


class HFLocalConfig(BaseModel):
    """Settings of a Hugging Face sequence-classification model saved on disk.

    Parameters
    ----------
    kind : {"hf_local"}
        Adapter name.
    path : Path
        Directory written by ``save_pretrained`` that contains the model and its
        tokenizer. Files are loaded with ``local_files_only=True``, so nothing is
        downloaded.
    task : {"text-classification", "sentiment-analysis"}
        Pipeline task; ``"sentiment-analysis"`` is an alias of ``"text-classification"``.
    label_mapping : dict of str to str, optional
        Maps each of the model's labels (``id2label`` in its config) to an audit label.
        When given, it must cover every model label. Without it, the model's labels are
        used as they are.
    positive_label : str, optional
        Audit label whose probability is the score. Without it, the model gives no scores.
    batch_size : int
        Texts per forward pass.
    max_length : int, optional
        Tokens per text, special tokens included; longer texts are truncated. Defaults
        to the model's limit and must not exceed it.
    device : str
        Torch device, e.g. ``"cpu"`` or ``"cuda:0"``.
    allow_pickle_weights : bool
        Also load ``pytorch_model.bin`` weights, which are pickle files. By default only
        ``model.safetensors`` is loaded.
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["hf_local"] = "hf_local"
    path: Path
    task: Literal["text-classification", "sentiment-analysis"] = "text-classification"
    label_mapping: dict[str, str] | None = None
    positive_label: str | None = None
    batch_size: int = Field(default=32, ge=1)
    max_length: int | None = Field(default=None, ge=1)
    device: str = "cpu"
    allow_pickle_weights: bool = False

    @field_validator("label_mapping", mode="before")
    @classmethod
    def _keys_as_strings(cls, mapping: Any) -> Any:
        if isinstance(mapping, dict):
            return {str(key): value for key, value in mapping.items()}
        return mapping


class HFLocalModel(TextModel):
    """A Hugging Face ``text-classification`` pipeline over a local model directory.

    Needs the optional extra ``hf``: ``pip install 'equilens[hf]'``. The label is the
    model's most probable label, mapped through ``label_mapping``. The model id hashes
    the content of every file in the directory, so moving the directory keeps the id and
    changing the weights changes it.
    """

    kind = "hf_local"
    max_concurrency = 1

    def __init__(self, config: HFLocalConfig) -> None:
        transformers = _import_transformers()

        self.config = config
        self.batch_size = config.batch_size
        self.has_scores = config.positive_label is not None
        path = config.path.expanduser()
        _check_model_directory(path)

        model, tokenizer = _load(transformers, path, allow_pickle=config.allow_pickle_weights)
        model_labels = [model.config.id2label[index] for index in sorted(model.config.id2label)]
        self._mapping = _resolve_mapping(model_labels, config.label_mapping, path)
        self.labels = tuple(dict.fromkeys(self._mapping.values()))
        if config.positive_label is not None and config.positive_label not in self.labels:
            raise ModelError(
                f"positive_label {config.positive_label!r} is not one of the labels "
                f"{list(self.labels)} of the model in {str(path)!r}."
                f"{did_you_mean(config.positive_label, self.labels)}"
            )
        self.max_length = _resolve_max_length(model, tokenizer, config.max_length, path)

        identity = config.model_dump(mode="json", exclude=RUNTIME_FIELDS | {"path"})
        identity["files_sha256"] = directory_sha256(path)
        identity["transformers"] = version("transformers")
        self.id = stable_model_id(self.kind, identity)

        self._tokenizer = tokenizer
        try:
            self._pipeline = transformers.pipeline(
                config.task, model=model, tokenizer=tokenizer, device=config.device
            )
        # torch raises AssertionError for a CUDA device in a CPU-only build, and
        # RuntimeError for a device string it does not know.
        except (AssertionError, RuntimeError, ValueError) as error:
            raise ModelError(
                f"Failed to put the model on device {config.device!r}: {error}. Set device "
                "to 'cpu' or to a device that this machine has, e.g. 'cuda:0'."
            ) from error
        self._truncation_log = TruncationLog(self.id, f"{self.max_length} tokens")

    def predict_batch(self, texts: Sequence[str]) -> list[TextPrediction]:
        """Classify the texts, truncating each to `max_length` tokens."""
        texts = check_texts(texts)
        lengths = [
            len(ids) for ids in self._tokenizer(texts, truncation=False, verbose=False)["input_ids"]
        ]
        truncated = [length > self.max_length for length in lengths]
        self._truncation_log.record(sum(truncated))

        outputs = self._pipeline(
            texts,
            batch_size=self.batch_size,
            truncation=True,
            max_length=self.max_length,
            top_k=None,
        )
        ensure_output_length(outputs, len(texts), model_id=self.id)
        return [
            self._prediction(output, cut) for output, cut in zip(outputs, truncated, strict=True)
        ]

    def _prediction(self, output: list[dict[str, Any]], truncated: bool) -> TextPrediction:
        top = max(output, key=lambda item: item["score"])
        label = self._mapping[top["label"]]
        score = None
        if self.config.positive_label is not None:
            score = sum(
                float(item["score"])
                for item in output
                if self._mapping[item["label"]] == self.config.positive_label
            )
        return TextPrediction("ok", label=label, score=score, truncated=truncated)


def directory_sha256(path: Path) -> str:
    """Return a SHA-256 over the relative names and bytes of the files under `path`.

    Hidden files and folders (names starting with ".") are skipped, such as a download
    cache that changes without changing the model.
    """
    digest = hashlib.sha256()
    files = [
        item
        for item in path.rglob("*")
        if item.is_file() and not any(part.startswith(".") for part in item.relative_to(path).parts)
    ]
    for file in sorted(files):
        digest.update(file.relative_to(path).as_posix().encode("utf-8") + b"\0")
        with file.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def _import_transformers() -> Any:
    try:
        import transformers
    except ModuleNotFoundError as error:
        raise ModelError(
            f"The hf_local model needs the packages transformers and torch, but {error.name!r} "
            "is not installed. Install the Hugging Face extra: pip install 'equilens[hf]'"
        ) from error
    return transformers


def _check_model_directory(path: Path) -> None:
    if not path.is_dir():
        raise ModelError(
            f"Hugging Face model directory {str(path)!r} not found. Give the path of a "
            "directory written by save_pretrained; equilens never downloads models."
        )
    if not (path / "config.json").is_file():
        raise ModelError(
            f"{str(path)!r} has no config.json, so it is not a saved Hugging Face model. "
            "Give the directory written by save_pretrained."
        )


def _load(transformers: Any, path: Path, *, allow_pickle: bool) -> tuple[Any, Any]:
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
        model = transformers.AutoModelForSequenceClassification.from_pretrained(
            path, local_files_only=True, use_safetensors=None if allow_pickle else True
        )
    except (OSError, ValueError) as error:
        hint = ""
        if not allow_pickle and not any(path.glob("*.safetensors")):
            hint = (
                " The directory has no .safetensors weights; convert the weights to "
                "safetensors, or set allow_pickle_weights: true if you trust the files "
                "(loading a pickle file can run code)."
            )
        raise ModelError(f"Failed to load the model in {str(path)!r}: {error}{hint}") from error
    model.eval()
    return model, tokenizer


def _resolve_mapping(
    model_labels: list[str], mapping: dict[str, str] | None, path: Path
) -> dict[str, str]:
    if mapping is None:
        return {label: label for label in model_labels}
    unknown = [key for key in mapping if key not in model_labels]
    if unknown:
        raise ModelError(
            f"label_mapping names {unknown}, which are not labels of the model in "
            f"{str(path)!r}; its labels are {model_labels}.{did_you_mean(unknown[0], model_labels)}"
        )
    missing = [label for label in model_labels if label not in mapping]
    if missing:
        raise ModelError(
            f"label_mapping does not map the model labels {missing}; add an entry for each "
            f"of the model's labels {model_labels}."
        )
    return dict(mapping)


def _resolve_max_length(model: Any, tokenizer: Any, requested: int | None, path: Path) -> int:
    limits = []
    if tokenizer.model_max_length and tokenizer.model_max_length < _NO_LIMIT:
        limits.append(int(tokenizer.model_max_length))
    positions = getattr(model.config, "max_position_embeddings", None)
    if positions:
        limits.append(int(positions))
    limit = min(limits) if limits else None

    if requested is None:
        if limit is None:
            raise ModelError(
                f"The model in {str(path)!r} does not state a maximum input length; set "
                "max_length (in tokens) in the model configuration."
            )
        return limit
    if limit is not None and requested > limit:
        raise ModelError(
            f"max_length {requested} is more than the model's limit of {limit} tokens; "
            f"set max_length to {limit} or less."
        )
    return requested
