"""Worst-subgroup discovery over protected groups and binned features."""

from equilens.subgroups.search import find_subgroups

__all__ = ["find_subgroups"]
