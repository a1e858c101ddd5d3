"""Uncertainty: bootstrap on counts, closed-form intervals, tests and multiple testing."""
