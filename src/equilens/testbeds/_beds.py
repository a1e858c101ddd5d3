"""Registry of the test beds and the generation entry points."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from equilens.errors import DataError, did_you_mean
from equilens.testbeds._data import LOCALES, resolve_locales
from equilens.testbeds._escalation import PERSONA_AXES, generate_escalation
from equilens.testbeds._identity import generate_identity
from equilens.testbeds._messages import STYLE_AXES
from equilens.testbeds._pairs import PairSetBuilder
from equilens.testbeds._types import BedInfo, GenerationResult, GenerationStats, TestItem

logger = logging.getLogger(__name__)

_BEDS: dict[str, tuple[BedInfo, Callable[..., PairSetBuilder]]] = {
    "escalation": (
        BedInfo(
            name="escalation",
            description=(
                "Customer messages whose severity (S0-S4) is set by their facts, varied one "
                "style axis or persona attribute at a time, with neutral controls."
            ),
            locales=LOCALES,
            axes=(*STYLE_AXES, *PERSONA_AXES),
            gold_labels=("severity", "should_escalate"),
        ),
        generate_escalation,
    ),
    "identity": (
        BedInfo(
            name="identity",
            description=(
                "Emotion sentences that differ only in the person named (gender, age band, "
                "name origin), after the Equity Evaluation Corpus method."
            ),
            locales=LOCALES,
            axes=("gender", "age_band", "name_origin"),
            gold_labels=("emotion", "intensity"),
        ),
        generate_identity,
    ),
}


def list_beds() -> list[BedInfo]:
    """List the available test beds.

    Returns
    -------
    list of BedInfo
        One entry per bed, in a fixed order.

    Examples
    --------
    >>> [bed.name for bed in list_beds()]
    ['escalation', 'identity']
    """
    return [info for info, _ in _BEDS.values()]


def generate(bed: str, *, locales: Iterable[str] | None = None, seed: int = 0) -> list[TestItem]:
    """Generate the items of one test bed.

    Parameters
    ----------
    bed : str
        Bed name, one of the names returned by `list_beds`.
    locales : list of str, optional
        Locale codes to generate (``en-US``, ``en-GB``, ``ja-JP``, ``fi-FI``); all when
        omitted. Items come out in the order of that list of supported locales.
    seed : int, default 0
        Seed of the persona draws, name pairings and control sentences. The same bed,
        locales and seed always give the same items.

    Returns
    -------
    list of TestItem

    Raises
    ------
    DataError
        If `bed` or a locale code is unknown.

    Examples
    --------
    >>> items = generate("escalation", locales=["fi-FI"])
    >>> items[0].locale, items[0].synthetic
    ('fi-FI', True)
    """
    return generate_with_stats(bed, locales=locales, seed=seed).items


def generate_with_stats(
    bed: str, *, locales: Iterable[str] | None = None, seed: int = 0
) -> GenerationResult:
    """Generate the items of one test bed together with counts of what was generated.

    Takes the same parameters as `generate`. The stats count items per locale, pair sets,
    and variants dropped because their text equalled the base text of their set.
    """
    _, generator = _lookup(bed)
    codes = resolve_locales(locales)

    items: list[TestItem] = []
    stats = GenerationStats()
    for locale in codes:
        builder = generator(locale, seed=seed)
        items.extend(builder.items)
        stats.items_per_locale[locale] = len(builder.items)
        stats.dropped_noops[locale] = builder.dropped
        if builder.dropped:
            logger.info("%s %s: dropped %d no-op variants", bed, locale, builder.dropped)

    stats.pairs = len({item.pair_id for item in items if item.pair_role != "control"})
    return GenerationResult(items, stats)


def _lookup(bed: str):
    if not isinstance(bed, str) or bed not in _BEDS:
        raise DataError(
            f"Unknown test bed {bed!r}; available beds are {', '.join(_BEDS)}."
            + did_you_mean(str(bed), _BEDS)
        )
    return _BEDS[bed]
