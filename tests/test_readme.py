"""Every plan shown in the README validates, so the examples stay in step with the code."""

import re
from pathlib import Path

import pytest
import yaml

from equilens.mitigate import MitigationSpec
from equilens.plan import parse_plan
from equilens.text import parse_text_plan

README = Path(__file__).parent.parent / "README.md"
BLOCKS = re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme_has_plans():
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("block", BLOCKS)
def test_readme_plan_validates(block):
    raw = yaml.safe_load(block)
    if set(raw) == {"mitigation"}:
        # A plan section shown on its own.
        assert MitigationSpec.model_validate(raw["mitigation"]).candidates
        return
    plan = parse_text_plan(raw) if raw.get("kind") == "text" else parse_plan(raw)
    assert plan.name == raw["name"]
