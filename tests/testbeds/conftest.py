"""Shared fixtures: each bed is generated once per test session, for all locales."""

from __future__ import annotations

import pytest

from equilens.testbeds import generate_with_stats


@pytest.fixture(scope="session")
def escalation():
    return generate_with_stats("escalation", seed=0)


@pytest.fixture(scope="session")
def identity():
    return generate_with_stats("identity", seed=0)


@pytest.fixture(scope="session", params=["escalation", "identity"])
def bed_result(request, escalation, identity):
    return {"escalation": escalation, "identity": identity}[request.param]
