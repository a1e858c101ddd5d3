"""Assembly of minimal-pair sets: one base item plus variants along one attribute."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from equilens.testbeds._text import Phrase
from equilens.testbeds._types import TestItem


@dataclass(frozen=True)
class Member:
    """One candidate item of a pair set: the value of the varied attribute and its text."""

    value: str
    phrase: Phrase
    attributes: dict[str, Any]
    slots: dict[str, Any] = field(default_factory=dict)


@dataclass
class PairSetBuilder:
    """Collects pair sets of one bed and locale into items.

    Variants whose text equals the base text are dropped and counted in `dropped`,
    because a perturbation that leaves the text unchanged tests nothing.
    """

    bed: str
    locale: str
    items: list[TestItem] = field(default_factory=list)
    dropped: int = 0

    def add_set(
        self,
        *,
        pair_id: str,
        template_id: str,
        axis: str,
        base: Member,
        variants: list[Member],
        gold: dict[str, Any],
    ) -> None:
        """Add the base and each variant that differs from it in text."""
        kept = [variant for variant in variants if variant.phrase.text != base.phrase.text]
        self.dropped += len(variants) - len(kept)
        if not kept:
            return

        self.items.append(self._item(pair_id, template_id, axis, base, "base", gold))
        for variant in kept:
            self.items.append(self._item(pair_id, template_id, axis, variant, "variant", gold))

    def add_control(
        self,
        *,
        item_id: str,
        template_id: str,
        phrase: Phrase,
        attributes: dict[str, Any],
        gold: dict[str, Any],
        slots: dict[str, Any],
    ) -> None:
        """Add an item outside any pair; its pair set holds only itself."""
        self.items.append(
            TestItem(
                id=item_id,
                bed=self.bed,
                locale=self.locale,
                text=phrase.text,
                english_gloss=phrase.gloss,
                template_id=template_id,
                pair_id=item_id,
                pair_role="control",
                attributes={**attributes, "varied_axis": None},
                gold=dict(gold),
                slots=dict(slots),
            )
        )

    def _item(self, pair_id, template_id, axis, member: Member, role, gold) -> TestItem:
        return TestItem(
            id=f"{pair_id}/{member.value}",
            bed=self.bed,
            locale=self.locale,
            text=member.phrase.text,
            english_gloss=member.phrase.gloss,
            template_id=template_id,
            pair_id=pair_id,
            pair_role=role,
            attributes={**member.attributes, "varied_axis": axis},
            gold=dict(gold),
            slots=dict(member.slots),
        )
