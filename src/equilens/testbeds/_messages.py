"""Composition of one escalation message from a fact frame, a style and a persona.

A message is a sequence of segments (greeting, self-introduction, facts, contact
history, evaluation, optional emotion, reproach and apology sentences, the request and
a closing). Each style axis changes only the segments it names, so a variant differs
from its base in that one respect.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from equilens.testbeds._text import (
    EMPTY,
    Phrase,
    add_emoji,
    add_emphasis,
    add_exclamation,
    capitalize_first,
    contract,
    fill_phrase,
    join_sentences,
    to_phrase,
)

#: Style axes of the escalation bed. The first value of each is the neutral base.
STYLE_AXES: dict[str, tuple[str, ...]] = {
    "intensity": ("moderate", "extreme", "understated", "litotes"),
    "directness": ("conventional", "direct", "hint"),
    "reproach": ("none", "disapproval", "accusation", "blame"),
    "register": ("polite", "plain", "formal"),
    "apology": ("none", "ritual"),
    "hedging": ("none", "hedged"),
    "completion": ("complete", "trailing_off"),
    "emotion_naming": ("facts_only", "anger", "disappointment", "worry", "joy"),
    "typography": ("none", "exclamation", "emphasis", "emoji"),
    "length": ("standard", "short", "long"),
}

BASE_STYLE: dict[str, str] = {axis: values[0] for axis, values in STYLE_AXES.items()}

#: Emotions that a message of each kind can name.
NAMED_EMOTIONS: dict[str, tuple[str, ...]] = {
    "problem": ("anger", "disappointment"),
    "question": ("worry",),
    "praise": ("joy",),
}


def axis_values(axis: str, kind: str) -> tuple[str, ...]:
    """Return the values of `axis` that apply to frames of `kind`, base value first.

    Reproach applies to complaints only: a question or a thank-you note has nothing to
    reproach. Each kind names the emotions in `NAMED_EMOTIONS`.
    """
    if axis == "reproach" and kind != "problem":
        return ("none",)
    if axis == "emotion_naming":
        return ("facts_only", *NAMED_EMOTIONS[kind])
    return STYLE_AXES[axis]


@dataclass(frozen=True)
class MessageContext:
    """Everything about one frame in one locale that does not depend on the style."""

    language: str
    templates: dict[str, Any]
    frame: dict[str, Any]
    slots: dict[str, Any]
    gloss_slots: dict[str, Any]


def compose_message(context: MessageContext, style: dict[str, str]) -> Phrase:
    """Write the message of one frame in one style.

    Parameters
    ----------
    context : MessageContext
        Templates of the language, the frame and its slot fillers (name, age, amount).
    style : dict
        One value per axis of `STYLE_AXES`.

    Returns
    -------
    Phrase
        The message and its English gloss.
    """
    templates = context.templates
    frame = context.frame
    kind = frame["kind"]
    register = style["register"]

    def segment(spec: Any) -> Phrase:
        phrase = to_phrase(spec, english=context.language == "en", register=register)
        return fill_phrase(phrase, context.slots, context.gloss_slots)

    frame_text = templates["frames"][frame["id"]]
    long_form = style["length"] == "long"

    body = [segment(templates["intro"])]
    if long_form:
        body.append(segment(templates["background"]))
    body.append(segment(frame_text["facts"]))
    if long_form:
        body.append(segment(frame_text["detail"]))
    if frame["contacts"] >= 2:
        body.append(segment(templates["contacts"][frame["contacts"]]))

    evaluation_key = "hedged" if style["hedging"] == "hedged" else style["intensity"]
    evaluation = segment(templates["evaluation"][kind][evaluation_key])
    body.append(_apply_typography(evaluation, style["typography"], context, kind))

    if style["emotion_naming"] != "facts_only":
        body.append(segment(templates["emotion"][style["emotion_naming"]]))
    if style["reproach"] != "none":
        body.append(segment(templates["reproach"][style["reproach"]]))
    if style["apology"] == "ritual":
        body.append(segment(templates["apology"]))
    body.append(_request(context, style))

    greeting = closing = EMPTY
    if style["length"] != "short":
        greeting = segment(templates["greeting"])
        closing = segment(templates["closing"])

    text = _layout(greeting.text, [p.text for p in body], closing.text, context.language)
    gloss = _layout(greeting.gloss, [p.gloss for p in body], closing.gloss, "en")
    if context.language == "en" and register == "plain":
        text = gloss = contract(text)
    return Phrase(text, gloss)


def _request(context: MessageContext, style: dict[str, str]) -> Phrase:
    """Write the request sentence for the style's directness, hedging and completion."""
    english = context.language == "en"
    request = context.templates["requests"][context.frame["request"]]
    patterns = context.templates["request_patterns"]

    if style["directness"] == "hint":
        return to_phrase(request["hint"], english=english)
    if style["hedging"] == "hedged":
        pattern = patterns["hedged"]
    elif style["completion"] == "trailing_off":
        pattern = patterns["trailing_off"]
    elif style["directness"] == "direct":
        pattern = patterns["direct"]
    else:
        pattern = patterns["conventional"]

    phrase = to_phrase(pattern, english=english, register=style["register"])
    text_slots = {key: value for key, value in request.items() if key != "hint"}
    gloss_slots = {"vp": request["vp"], "vp_capitalized": capitalize_first(request["vp"])}
    filled = fill_phrase(phrase, text_slots, gloss_slots)
    return Phrase(capitalize_first(filled.text), capitalize_first(filled.gloss))


def _apply_typography(
    evaluation: Phrase, typography: str, context: MessageContext, kind: str
) -> Phrase:
    language = context.language
    if typography == "exclamation":
        return evaluation.map(add_exclamation)
    if typography == "emphasis":
        return Phrase(
            add_emphasis(evaluation.text, language=language),
            add_emphasis(evaluation.gloss, language="ja" if language == "ja" else "en"),
        )
    if typography == "emoji":
        emoji = context.templates["emoji"][kind]
        return Phrase(
            add_emoji(evaluation.text, emoji, language=language),
            add_emoji(evaluation.gloss, emoji, language="en"),
        )
    return evaluation


def _layout(greeting: str, sentences: list[str], closing: str, language: str) -> str:
    """Put the greeting and closing on lines of their own around the body paragraph."""
    lines = [greeting, join_sentences(sentences, language=language), closing]
    return "\n".join(line for line in lines if line)
