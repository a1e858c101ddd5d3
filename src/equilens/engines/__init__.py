"""Counting backends; every engine returns the same `GroupCounts`."""

from equilens.engines.counts import GroupCounts
from equilens.engines.numpy_engine import EncodedAttribute, count_groups

__all__ = ["EncodedAttribute", "GroupCounts", "count_groups"]
