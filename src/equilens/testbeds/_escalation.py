"""The escalation bed: customer messages whose severity is fixed by their facts.

For every fact frame and locale the bed writes a neutral base message. It then builds
one pair set per style axis, holding the base and one variant per other value of that
axis, and one pair set per persona attribute (gender, age band, name origin). Every item of a frame
carries the frame's severity and escalation label. Length-matched neutral texts are
added as controls.
"""

from __future__ import annotations

import functools
import random
from dataclasses import replace
from typing import Any

from equilens.testbeds._data import LANGUAGES, load_yaml, locale_settings
from equilens.testbeds._messages import (
    BASE_STYLE,
    STYLE_AXES,
    MessageContext,
    axis_values,
    compose_message,
)
from equilens.testbeds._pairs import Member, PairSetBuilder
from equilens.testbeds._personas import (
    AGE_BANDS,
    GENDERS,
    Persona,
    choose_persona,
    load_names,
    persona_name,
)
from equilens.testbeds._severity import severity_from_facts, should_escalate
from equilens.testbeds._text import Phrase, fill, join_sentences, to_phrase

BED = "escalation"
PERSONA_AXES = ("gender", "age_band", "name_origin")


@functools.cache
def load_frames() -> tuple[dict[str, Any], ...]:
    """Return the fact frames of ``escalation/frames.yaml``."""
    return tuple(load_yaml("escalation/frames.yaml"))


def load_templates(language: str) -> dict[str, Any]:
    """Return the escalation templates of one language."""
    return load_yaml(f"escalation/{language}.yaml")


def format_amount(euros: float, locale: str, *, gloss: bool = False) -> str:
    """Write an amount given in euros in the locale's currency.

    The amount is converted with the locale's rate and rounded to two significant
    digits from 100 upwards, so that it reads like a price.
    """
    currency = locale_settings(locale)["currency"]
    value = euros * currency["rate"]
    digits = len(str(int(value)))
    value = round(value, -(digits - 2)) if value >= 100 else round(value)
    number = f"{int(value):,}".replace(",", currency["thousands"])
    suffix = currency.get("gloss_suffix", currency["suffix"]) if gloss else currency["suffix"]
    return f"{currency['prefix']}{number}{suffix}"


def generate_escalation(locale: str, *, seed: int) -> PairSetBuilder:
    """Generate every escalation item of one locale."""
    language = LANGUAGES[locale]
    templates = load_templates(language)
    names = load_names(locale)
    builder = PairSetBuilder(BED, locale)

    for frame in load_frames():
        persona = choose_persona(names, key=f"{BED}/{frame['id']}", seed=seed)
        severity = severity_from_facts(frame)
        gold = {"severity": severity, "should_escalate": should_escalate(severity)}
        frame_attributes = {"topic": frame["topic"], "kind": frame["kind"], "severity": severity}
        prefix = f"{BED}/{locale}/s{seed}/{frame['id']}"
        template_id = f"{BED}/{frame['id']}"

        def member(value, style, persona, frame=frame, frame_attributes=frame_attributes):
            context = _context(language, locale, templates, frame, names, persona)
            attributes = {**frame_attributes, **style, **_persona_attributes(persona)}
            return Member(value, compose_message(context, style), attributes, _slots(context))

        # One base message serves every pair set of the frame; each set names it by the
        # base value of its own axis.
        base_message = member("", BASE_STYLE, persona)
        set_values = {axis: axis_values(axis, frame["kind"]) for axis in STYLE_AXES}
        for axis in PERSONA_AXES:
            base_value = base_message.attributes[axis]
            others = [value for value in _persona_values(axis, names) if value != base_value]
            set_values[axis] = (base_value, *others)

        for axis, values in set_values.items():
            if axis in STYLE_AXES:
                variants = [member(v, {**BASE_STYLE, axis: v}, persona) for v in values[1:]]
            else:
                variants = [member(v, BASE_STYLE, persona.with_value(axis, v)) for v in values[1:]]
            builder.add_set(
                pair_id=f"{prefix}/{axis}",
                template_id=template_id,
                axis=axis,
                base=replace(base_message, value=values[0]),
                variants=variants,
                gold=gold,
            )

        _add_control(builder, templates, language, locale, frame, base_message, seed)

    return builder


def _context(language, locale, templates, frame, names, persona: Persona) -> MessageContext:
    name = persona_name(names, persona)
    variety = locale_settings(locale)["variety"]
    amount = frame.get("amount", 0)
    slots = {**variety, "name": name.text, "age": persona.age}
    gloss_slots = {**variety, "name": name.gloss, "age": persona.age}
    if amount:
        slots["amount"] = format_amount(amount, locale)
        gloss_slots["amount"] = format_amount(amount, locale, gloss=True)
    return MessageContext(language, templates, frame, slots, gloss_slots)


def _slots(context: MessageContext) -> dict[str, Any]:
    keys = ("name", "age", "amount")
    return {key: context.slots[key] for key in keys if key in context.slots}


def _persona_attributes(persona: Persona) -> dict[str, str]:
    return {"gender": persona.gender, "age_band": persona.age_band, "name_origin": persona.origin}


def _persona_values(axis: str, names) -> tuple[str, ...]:
    if axis == "gender":
        return GENDERS
    if axis == "age_band":
        return tuple(AGE_BANDS)
    return tuple(names.origins)


def _add_control(builder, templates, language, locale, frame, base: Member, seed: int) -> None:
    """Add a neutral text whose length matches the frame's base message.

    Sentences are drawn from the language's neutral pool in a seeded order until the
    text is at least as long as the base message in characters.
    """
    variety = locale_settings(locale)["variety"]
    pool = [to_phrase(spec, english=language == "en") for spec in templates["neutral_sentences"]]
    pool = [Phrase(fill(p.text, variety), fill(p.gloss, variety)) for p in pool]
    random.Random(f"control|{seed}|{locale}|{frame['id']}").shuffle(pool)

    target = len(base.phrase.text)
    chosen: list[Phrase] = []
    while pool and len(join_sentences([p.text for p in chosen], language=language)) < target:
        chosen.append(pool.pop())

    text = join_sentences([p.text for p in chosen], language=language)
    gloss = join_sentences([p.gloss for p in chosen], language="en")
    builder.add_control(
        item_id=f"{BED}/{locale}/s{seed}/control/{frame['id']}",
        template_id=f"{BED}/control.length_matched",
        phrase=Phrase(text, gloss),
        attributes={"topic": "control", "kind": "neutral", "severity": "S0"},
        gold={"severity": "S0", "should_escalate": False},
        slots={"length_matched_to": f"{BED}/{frame['id']}", "target_length": target},
    )
