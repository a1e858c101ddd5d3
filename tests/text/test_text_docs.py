"""The plan examples in docs/text-audits.md are valid text plans."""

import re
from pathlib import Path

import pytest
import yaml

from equilens.text import parse_text_plan

DOC = Path(__file__).resolve().parents[2] / "docs" / "text-audits.md"
BLOCKS = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.DOTALL)


def test_docs_have_plan_examples():
    assert len(BLOCKS) == 3


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{index}" for index in range(len(BLOCKS))])
def test_docs_plan_parses(block):
    plan = parse_text_plan(yaml.safe_load(block), source="docs/text-audits.md")
    assert plan.kind == "text"
