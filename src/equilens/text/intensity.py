"""Writer-versus-reader gaps in emotion intensity, the human baseline of a WRIME corpus.

WRIME (Kajiwara et al., NAACL 2021) has each post's writer rate their own emotions and
three readers rate what they perceive, on 0-3 scales. Where readers underrate an
emotion, a model trained on or judged by readers' labels inherits the gap. Per emotion,
this reports the mean writer and reader intensity and their mean difference with a
bootstrap interval. A Wilcoxon signed-rank test of the paired differences is adjusted
across emotions. "Missed by readers" is the share of posts where the writer felt the
emotion (intensity at least 1) but the readers' average is below 0.5, i.e. rounds to
none.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from equilens.probes._stats import (
    adjust,
    bootstrap_mean,
    cell_rng,
    proportion,
    wilcoxon_signed_rank,
)

#: A readers' average below this rounds to "no emotion" on WRIME's 0-3 scale.
MISSED_BELOW = 0.5


def writer_reader_gaps(
    intensities: pd.DataFrame,
    *,
    level: float,
    replicates: int,
    seed: int,
    multiple_testing: str,
) -> dict[str, Any]:
    """Return the ``writer_reader_gap`` entry of findings.json ``probes``.

    Parameters
    ----------
    intensities : pandas.DataFrame
        ``writer_<emotion>`` and ``readers_<emotion>`` columns, one row per post.
    level, replicates, seed, multiple_testing
        Interval level, bootstrap replicates, seed and correction across emotions.
    """
    emotions = [
        column.removeprefix("writer_") for column in intensities if column.startswith("writer_")
    ]
    entries, tests = [], []
    for emotion in emotions:
        writer = intensities[f"writer_{emotion}"].to_numpy(float)
        readers = intensities[f"readers_{emotion}"].to_numpy(float)
        felt = writer >= 1
        missed = felt & (readers < MISSED_BELOW)
        test = wilcoxon_signed_rank(writer - readers)
        tests.append(test)
        entries.append(
            {
                "emotion": emotion,
                "n": int(len(writer)),
                "writer_mean": float(writer.mean()) if len(writer) else None,
                "readers_mean": float(readers.mean()) if len(readers) else None,
                "writer_minus_readers": bootstrap_mean(
                    writer - readers,
                    level=level,
                    replicates=replicates,
                    rng=cell_rng(seed, f"wrime|{emotion}"),
                ),
                "felt_by_writer": int(felt.sum()),
                "missed_by_readers": proportion(
                    int(missed.sum()),
                    int(felt.sum()),
                    level=level,
                    reason="no post where the writer felt it",
                ),
                "test": test,
            }
        )
    adjust(tests, method=multiple_testing)
    for entry in entries:
        entry["test"] = entry["test"].to_dict()
    entries.sort(key=lambda entry: -(entry["writer_minus_readers"]["value"] or 0.0))
    return {
        "posts": int(len(intensities)),
        "emotions": len(entries),
        "largest_gap": entries[0]["emotion"] if entries else None,
        "by_emotion": entries,
    }
