"""Occlusion attribution of text minimal pairs: which tokens moved the score.

When a minimal pair flips a text model's decision, the pair shows that the varied
attribute mattered but not through which words. Occlusion answers that for any model
that can score texts: each token of the variant is removed in turn, the shortened text is
scored, and the token's effect is the score of the full text minus that of the text
without it. The effect of the tokens that differ from the base
text shows whether the substitution itself moved the score.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from equilens.errors import DataError

logger = logging.getLogger(__name__)

# Words (letters, digits and underscores in any script) and single punctuation marks.
# NOTE: Japanese and Chinese text has no spaces, so a run of kanji and kana becomes one
# token. Pass a morphological tokenizer as `tokenize` for such text.
_TOKEN = re.compile(r"\w+|[^\w\s]")

Tokenizer = Callable[[str], list[tuple[int, int]]]


def regex_tokens(text: str) -> list[tuple[int, int]]:
    """Return the (start, end) character spans of the words and punctuation of `text`."""
    return [match.span() for match in _TOKEN.finditer(text)]


def occlusion_attributions(
    model: Any,
    pairs: pd.DataFrame | Sequence[tuple[str, str]],
    *,
    positive_label: Any = None,
    only_flipped: bool = True,
    max_pairs: int = 50,
    top_tokens: int = 5,
    tokenize: Tokenizer = regex_tokens,
) -> dict[str, Any]:
    """Attribute the score of each flipped minimal pair's variant to its tokens.

    Parameters
    ----------
    model : object
        A text model with ``score(texts)`` and ``predict(texts)``, such as the adapters of
        `equilens.models.text`. Without scores, the effect is on the decision (0 or 1).
    pairs : pandas.DataFrame or sequence of (base_text, variant_text)
        Minimal pairs, for example from `equilens.probes.pair_table`: the columns
        ``base_input_text`` and ``input_text`` are used, and ``pair_id``, ``run``,
        ``axis``, ``value`` and ``base_value`` are copied when present.
    positive_label : object, optional
        Label counted as the positive decision; needed when the model has no scores, and
        used to decide which pairs flipped.
    only_flipped : bool
        Explain only pairs whose decision differs between base and variant.
    max_pairs : int
        Largest number of pairs explained, in their given order.
    top_tokens : int
        Tokens listed per pair, largest absolute effect first.
    tokenize : callable
        Maps a text to the character spans of its tokens.

    Returns
    -------
    dict
        ``output`` (``score`` or ``decision``), counts of pairs, ``pairs`` (per pair the
        texts, both outputs, the ``changed_tokens`` with their effects and the
        ``top_tokens``) and ``tokens``: per changed token text, its mean effect over the
        explained pairs.
    """
    frame = _pair_frame(pairs)
    if frame.empty:
        return _empty("no minimal pairs were given")

    texts = list(dict.fromkeys([*frame["base_input_text"], *frame["input_text"]]))
    values, output_kind = _outputs(model, texts, positive_label)
    outputs = dict(zip(texts, values, strict=True))
    frame["base_output"] = frame["base_input_text"].map(outputs)
    frame["output"] = frame["input_text"].map(outputs)
    frame["flipped"] = _flipped(model, frame, positive_label)

    selected = frame[frame["flipped"]] if only_flipped else frame
    selected = selected.head(max_pairs)
    if selected.empty:
        return {**_empty("no pair changed its decision"), "pairs_given": len(frame)}

    occluded, owners = [], []
    spans_by_pair = []
    for index, text in zip(selected.index, selected["input_text"], strict=True):
        spans = tokenize(text)
        spans_by_pair.append(spans)
        for position, span in enumerate(spans):
            shortened = _remove(text, span)
            # A text of one token has nothing left to score once it is removed.
            if shortened:
                occluded.append(shortened)
                owners.append((index, position))
    occluded_outputs, _ = _outputs(model, occluded, positive_label)
    effects: dict[Any, np.ndarray] = {
        index: np.full(len(spans), np.nan)
        for index, spans in zip(selected.index, spans_by_pair, strict=True)
    }
    for (index, position), value in zip(owners, occluded_outputs, strict=True):
        effects[index][position] = selected.at[index, "output"] - value

    entries, by_token = [], defaultdict(list)
    for (index, row), spans in zip(selected.iterrows(), spans_by_pair, strict=True):
        entry = _pair_entry(row, spans, effects[index], tokenize, top_tokens)
        for token in entry["changed_tokens"]:
            if token["effect"] is not None:
                by_token[token["token"]].append(token["effect"])
        entries.append(entry)

    return {
        "method": (
            "Each token of a flipped variant is removed in turn and the text scored again; "
            "a token's effect is the full text's output minus the output without it."
        ),
        "output": output_kind,
        "pairs_given": int(len(frame)),
        "pairs_flipped": int(frame["flipped"].sum()),
        "pairs_explained": int(len(selected)),
        "pairs": entries,
        "tokens": sorted(
            (
                {"token": token, "mean_effect": float(np.mean(values)), "count": len(values)}
                for token, values in by_token.items()
            ),
            key=lambda item: abs(item["mean_effect"]),
            reverse=True,
        ),
    }


def _pair_frame(pairs) -> pd.DataFrame:
    if isinstance(pairs, pd.DataFrame):
        missing = [c for c in ("base_input_text", "input_text") if c not in pairs.columns]
        if missing:
            raise DataError(
                f"The minimal pairs lack the columns {missing}; pass the pairs of "
                f"equilens.probes.pair_table or (base_text, variant_text) tuples."
            )
        return pairs.reset_index(drop=True).copy()
    rows = list(pairs)
    bad = [row for row in rows if not (isinstance(row, tuple | list) and len(row) == 2)]
    if bad:
        raise DataError(
            f"Each minimal pair must be (base_text, variant_text); got {bad[0]!r}. Pass a "
            f"list of two-text tuples or the frame of equilens.probes.pair_table."
        )
    return pd.DataFrame(rows, columns=["base_input_text", "input_text"])


def _outputs(model, texts: list[str], positive_label) -> tuple[np.ndarray, str]:
    """Return the model's score of each text, or its 0/1 decision when it has no scores."""
    if not texts:
        return np.empty(0), "score"
    score = model.score(texts)
    if score is not None:
        return np.asarray(score, dtype=float), "score"
    if positive_label is None:
        raise DataError(
            "The text model gives no scores, so occlusion needs positive_label to turn its "
            "labels into decisions."
        )
    decisions = np.asarray(model.predict(texts), dtype=object) == positive_label
    return decisions.astype(float), "decision"


def _flipped(model, frame: pd.DataFrame, positive_label) -> np.ndarray:
    if {"y_pred", "base_y_pred"} <= set(frame.columns):
        return (frame["y_pred"] != frame["base_y_pred"]).to_numpy()
    if positive_label is None:
        raise DataError(
            "Cannot tell which minimal pairs flipped: pass the pairs with y_pred and "
            "base_y_pred columns, or give positive_label."
        )
    texts = list(dict.fromkeys([*frame["base_input_text"], *frame["input_text"]]))
    labels = dict(zip(texts, model.predict(texts), strict=True))
    base = frame["base_input_text"].map(labels) == positive_label
    variant = frame["input_text"].map(labels) == positive_label
    return (base != variant).to_numpy()


def _remove(text: str, span: tuple[int, int]) -> str:
    """Return `text` without the characters of `span`, and without a doubled space."""
    start, end = span
    before, after = text[:start], text[end:]
    if before.endswith(" ") and after.startswith(" "):
        after = after[1:]
    return (before + after).strip()


def _pair_entry(row, spans, effects, tokenize, top_tokens) -> dict[str, Any]:
    text = row["input_text"]
    tokens = [text[start:end] for start, end in spans]
    base_tokens = [row["base_input_text"][s:e] for s, e in tokenize(row["base_input_text"])]
    matcher = difflib.SequenceMatcher(a=base_tokens, b=tokens, autojunk=False)
    changed = [
        position
        for tag, _, _, start, end in matcher.get_opcodes()
        if tag in ("replace", "insert")
        for position in range(start, end)
    ]
    order = np.argsort(-np.nan_to_num(np.abs(effects)), kind="stable")[:top_tokens]
    entry = {
        key: row[key].item() if isinstance(row[key], np.generic) else row[key]
        for key in ("run", "pair_id", "axis", "base_value", "value")
        if key in row.index
    }
    entry.update(
        base_text=row["base_input_text"],
        text=text,
        base_output=float(row["base_output"]),
        output=float(row["output"]),
        changed_tokens=[
            {"token": tokens[p], "position": p, "effect": _finite(effects[p])} for p in changed
        ],
        top_tokens=[
            {"token": tokens[p], "position": int(p), "effect": _finite(effects[p])} for p in order
        ],
    )
    return entry


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _empty(reason: str) -> dict[str, Any]:
    return {"pairs_explained": 0, "pairs": [], "tokens": [], "reason": reason}
