"""Small synthetic escalation items for the text audit tests, in the test beds' item format."""

from __future__ import annotations

from equilens.testbeds._types import TestItem

FACTS = {
    "S0": "I ordered a desk lamp yesterday and would like to know the delivery date.",
    "S1": "My desk lamp is two days late.",
    "S2": "I was charged the delivery fee of 15 euros twice.",
    "S3": "You charged me 600 euros twice and I lost the money for rent.",
    "S4": "The charger you sold me smoked and burned my desk, which is dangerous.",
}
EVALUATION = {
    "moderate": "This is a problem for me.",
    "understated": "This is a little inconvenient.",
    "extreme": "This is completely unacceptable and awful!",
}
NAMES = {"female": ["Mary", "Emma", "Olivia"], "male": ["John", "James", "Oliver"]}


def escalation_items(
    locales: tuple[str, ...] = ("en-US", "en-GB"), personas: int = 3, gloss_suffix: str = ""
) -> list[TestItem]:
    """Return pair sets (base and variants) and praise controls for each locale.

    Every frame and persona has two pair sets: one varies ``intensity`` (understated,
    extreme) and one varies ``gender`` (male). The texts are English, so VADER scores
    them; `gloss_suffix` is appended to each gloss, to make glosses differ from texts.
    """
    items = []
    for locale in locales:
        for severity, facts in FACTS.items():
            for persona in range(personas):
                female = NAMES["female"][persona]
                for axis, values in (
                    ("intensity", ["understated", "extreme"]),
                    ("gender", ["male"]),
                ):
                    pair_id = f"{locale}:{severity}:{persona}:{axis}"
                    base = _item(
                        locale,
                        severity,
                        facts,
                        pair_id,
                        "base",
                        axis,
                        "moderate",
                        "female",
                        female,
                        gloss_suffix,
                    )
                    items.append(base)
                    for value in values:
                        intensity = value if axis == "intensity" else "moderate"
                        gender = value if axis == "gender" else "female"
                        name = NAMES["male"][persona] if gender == "male" else female
                        items.append(
                            _item(
                                locale,
                                severity,
                                facts,
                                pair_id,
                                "variant",
                                axis,
                                intensity,
                                gender,
                                name,
                                gloss_suffix,
                            )
                        )
        for persona in range(personas):
            name = NAMES["female"][persona]
            text = f"Thank you, the delivery was wonderful and fast. Best wishes, {name}"
            items.append(
                TestItem(
                    id=f"{locale}:control:{persona}",
                    bed="escalation",
                    locale=locale,
                    text=text,
                    english_gloss=text + gloss_suffix,
                    template_id="praise",
                    pair_id=f"{locale}:control:{persona}",
                    pair_role="control",
                    attributes=_attributes("praise", "moderate", "female", persona, None),
                    gold={"severity": "S0", "should_escalate": False},
                )
            )
    return items


def _attributes(topic, intensity, gender, persona, axis):
    attributes = {
        "topic": topic,
        "intensity": intensity,
        "gender": gender,
        "age_band": ["18-29", "30-49", "50-69"][persona % 3],
        "name_origin": "anglo",
    }
    if axis is not None:
        attributes["varied_axis"] = axis
    return attributes


def _item(locale, severity, facts, pair_id, role, axis, intensity, gender, name, gloss_suffix):
    persona = int(pair_id.split(":")[2])
    text = f"{facts} {EVALUATION[intensity]} Please help. Regards, {name}"
    if role == "base":
        style = "base"
    elif axis == "intensity":
        style = intensity
    else:
        style = gender
    return TestItem(
        id=f"{pair_id}:{style}",
        bed="escalation",
        locale=locale,
        text=text,
        english_gloss=text + gloss_suffix,
        template_id=f"frame.{severity}",
        pair_id=pair_id,
        pair_role=role,
        attributes=_attributes("billing", intensity, gender, persona, axis),
        gold={"severity": severity, "should_escalate": severity in ("S3", "S4")},
    )
