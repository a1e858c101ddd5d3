"""Result types of the test-bed generator: items, bed descriptions and generation stats."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Fields of a serialised item, in the order they are written to JSON Lines.
ITEM_FIELDS = (
    "id",
    "bed",
    "locale",
    "text",
    "english_gloss",
    "template_id",
    "pair_id",
    "pair_role",
    "attributes",
    "gold",
    "slots",
    "synthetic",
)


@dataclass(frozen=True)
class TestItem:
    """One generated test sentence or message with its gold labels.

    Attributes
    ----------
    id : str
        Stable identifier; the same bed, locale and seed always give the same ids.
    bed : str
        Name of the bed that generated the item (``"escalation"`` or ``"identity"``).
    locale : str
        BCP 47 locale code, e.g. ``"fi-FI"``.
    text : str
        The item in the language of `locale`.
    english_gloss : str
        A translation that keeps the hedges, apologies and register of `text`. For English
        locales it equals `text`.
    template_id : str
        Identifier of the template the text came from. The same id is used across locales
        for the same fact frame or sentence template.
    pair_id : str
        Identifier of the minimal-pair set. All items of one set differ in exactly one
        attribute, named by ``attributes["varied_axis"]``.
    pair_role : str
        ``"base"`` for the set's reference item, ``"variant"`` for the others and
        ``"control"`` for items outside any pair.
    attributes : dict
        Controlled variables: topic, severity, style-axis values, persona gender, age band
        and name origin, and ``varied_axis``.
    gold : dict
        Gold labels: ``severity`` and ``should_escalate`` in the escalation bed, ``emotion``
        and ``intensity`` in the identity bed.
    slots : dict
        The concrete fillers used (name, age, amount, emotion word), kept for tracing. They
        are not controlled attributes.
    synthetic : bool
        Always True: every item is written from templates, not collected from people.
    """

    __test__ = False  # keeps pytest from collecting this class as a test case

    id: str
    bed: str
    locale: str
    text: str
    english_gloss: str
    template_id: str
    pair_id: str
    pair_role: str
    attributes: dict[str, Any]
    gold: dict[str, Any]
    slots: dict[str, Any] = field(default_factory=dict)
    synthetic: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Return the item as a JSON-ready dict with keys in `ITEM_FIELDS` order."""
        return {name: _copy(getattr(self, name)) for name in ITEM_FIELDS}

    @classmethod
    def from_dict(cls, record: dict[str, Any]) -> TestItem:
        """Build an item from a dict written by `to_dict`; unknown keys raise `KeyError`."""
        unknown = set(record) - set(ITEM_FIELDS)
        if unknown:
            raise KeyError(f"unknown item fields: {sorted(unknown)}")
        return cls(**{name: record[name] for name in ITEM_FIELDS if name in record})


def _copy(value: Any) -> Any:
    return dict(value) if isinstance(value, dict) else value


@dataclass(frozen=True)
class BedInfo:
    """Description of one test bed.

    Attributes
    ----------
    name : str
        Name passed to `generate`.
    description : str
        One-sentence summary of what the bed tests.
    locales : tuple of str
        Locale codes the bed can generate.
    axes : tuple of str
        Attributes that pair sets vary, one per set.
    gold_labels : tuple of str
        Keys of each item's ``gold`` dict.
    """

    name: str
    description: str
    locales: tuple[str, ...]
    axes: tuple[str, ...]
    gold_labels: tuple[str, ...]


@dataclass
class GenerationStats:
    """Counts from one generation run.

    Attributes
    ----------
    items_per_locale : dict
        Locale code to number of emitted items.
    pairs : int
        Number of distinct ``pair_id`` values with at least two items.
    dropped_noops : dict
        Locale code to number of variants dropped because their text equalled the base
        text of their pair set.
    """

    items_per_locale: dict[str, int] = field(default_factory=dict)
    pairs: int = 0
    dropped_noops: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        """Return a one-line summary of the counts."""
        per_locale = ", ".join(f"{loc} {n}" for loc, n in self.items_per_locale.items())
        dropped = sum(self.dropped_noops.values())
        total = sum(self.items_per_locale.values())
        return (
            f"{total} items ({per_locale}); {self.pairs} pair sets; "
            f"{dropped} no-op perturbations dropped"
        )


@dataclass
class GenerationResult:
    """Items from one generation run together with their `GenerationStats`."""

    items: list[TestItem]
    stats: GenerationStats
