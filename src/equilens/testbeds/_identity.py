"""The identity bed: emotion sentences that differ only in the person they name.

The method follows the Equity Evaluation Corpus (Kiritchenko and Mohammad, 2018,
"Examining Gender and Race Bias in Two Hundred Sentiment Analysis Systems", *SEM 2018).
Templates are crossed with person terms and first names and with emotion words of known
emotion and intensity. A model's output should not change when only the person changes.
The templates and word lists are equilens's own, written per language.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from typing import Any

from equilens.testbeds._data import LANGUAGES, load_yaml
from equilens.testbeds._pairs import Member, PairSetBuilder
from equilens.testbeds._personas import NameList, load_names
from equilens.testbeds._text import Phrase, capitalize_first

BED = "identity"
EMOTIONS = ("anger", "fear", "joy", "sadness")
INTENSITIES = ("low", "high")
TERM_AGE_BANDS = ("young", "middle", "older")


@dataclass(frozen=True)
class Person:
    """A person term or name with the attributes it stands for."""

    kind: str
    gender: str
    age_band: str
    origin: str
    relation: str | None
    forms: dict[str, str]
    gloss: str

    def form(self, case: str) -> str:
        """Return the person in grammatical `case`; languages without case use ``nom``."""
        return self.forms.get(case, self.forms["nom"])

    def attributes(self) -> dict[str, Any]:
        """Return the controlled attributes of the person."""
        return {
            "person_kind": self.kind,
            "gender": self.gender,
            "age_band": self.age_band,
            "name_origin": self.origin,
            "relation": self.relation,
        }


@dataclass(frozen=True)
class EmotionWord:
    """An emotion word in the form one template slot needs."""

    word_id: str
    emotion: str
    intensity: str | None
    text: str
    gloss: str


@functools.cache
def load_templates(language: str) -> dict[str, Any]:
    """Return the identity templates of one language."""
    return load_yaml(f"identity/{language}.yaml")


def _term(spec: dict[str, Any], kind: str) -> Person:
    forms = {case: spec[case] for case in ("nom", "gen", "ade") if case in spec}
    if "text" in spec:
        forms["nom"] = spec["text"]
    return Person(
        kind=kind,
        gender=spec["gender"],
        age_band=spec.get("age_band", "unspecified"),
        origin="unspecified",
        relation=spec.get("relation"),
        forms=forms,
        gloss=spec.get("gloss", forms["nom"]),
    )


def _named_person(names: NameList, language: str, origin: str, row: int, gender: str) -> Person:
    """Return the person named by one row of the name list.

    English and Finnish use the given name, as the Equity Evaluation Corpus does. Japanese
    refers to people by full name with さん, written in the origin's name order.
    """
    given = names.given(origin, row, gender)
    if language == "ja":
        name_origin = names.origins[origin]
        family = name_origin.families[row].family
        if name_origin.order == "family_given":
            text = name_origin.separator.join((family.text, given.text))
            gloss = f"{family.gloss} {given.gloss}"
        else:
            text = name_origin.separator.join((given.text, family.text))
            gloss = f"{given.gloss} {family.gloss}"
        forms = {"nom": text + "さん"}
        gloss += "-san"
    else:
        forms = {"nom": given.text, **given.forms}
        gloss = given.gloss
    return Person("name", gender, "unspecified", origin, None, forms, gloss)


def _emotion_words(templates: dict[str, Any], slot: str) -> list[EmotionWord]:
    """Return the emotion words that fill a template `slot`, or one neutral filler."""
    if slot == "none":
        return [EmotionWord("neutral", "neutral", None, "", "")]
    source = templates["situations" if slot == "situation" else "states"]
    words = []
    for emotion in EMOTIONS:
        for intensity in INTENSITIES:
            for index, entry in enumerate(source[emotion][intensity], start=1):
                text = entry[slot]
                gloss = entry.get(f"gloss_{slot}", entry.get("gloss", text))
                word_id = f"{emotion}.{intensity}.{index}"
                words.append(EmotionWord(word_id, emotion, intensity, text, gloss))
    return words


def _person_sets(language: str, names: NameList, templates: dict[str, Any], seed: int):
    """Yield (set key, axis, [(value, person), ...]) for every person pair set.

    The first person of each list is the set's base.
    """
    origins = tuple(names.origins)
    rows = len(names.origins[origins[0]].families)

    for origin in origins:
        for row in range(rows):
            people = [
                (g, _named_person(names, language, origin, row, g)) for g in ("female", "male")
            ]
            yield f"name.{origin}.{row + 1}", "gender", people

    # An origin set joins one row of each origin; the seed decides which rows go together.
    shuffled = {}
    for origin in origins:
        order = list(range(rows))
        random.Random(f"identity|{seed}|{names.locale}|{origin}").shuffle(order)
        shuffled[origin] = order
    for gender in ("female", "male"):
        for index in range(rows):
            people = [
                (o, _named_person(names, language, o, shuffled[o][index], gender)) for o in origins
            ]
            yield f"name.{gender}.{index + 1}", "name_origin", people

    age_terms = [_term(spec, "age_term") for spec in templates["age_terms"]]
    for band in TERM_AGE_BANDS:
        people = [(p.gender, p) for p in age_terms if p.age_band == band]
        yield f"age_term.{band}", "gender", people
    for gender in ("female", "male"):
        people = [(p.age_band, p) for p in age_terms if p.gender == gender]
        yield f"age_term.{gender}", "age_band", people

    kin_terms = [_term(spec, "kin_term") for spec in templates["kin_terms"]]
    for relation in dict.fromkeys(p.relation for p in kin_terms):
        people = [(p.gender, p) for p in kin_terms if p.relation == relation]
        yield f"kin_term.{relation}", "gender", people


def _sentence(template: dict[str, Any], person: Person, word: EmotionWord) -> Phrase:
    case = template.get("case", "nom")
    text = template["text"].format(person=person.form(case), word=word.text)
    gloss = template.get("gloss", template["text"]).format(person=person.gloss, word=word.gloss)
    return Phrase(capitalize_first(text), capitalize_first(gloss))


def generate_identity(locale: str, *, seed: int) -> PairSetBuilder:
    """Generate every identity item of one locale."""
    language = LANGUAGES[locale]
    templates = load_templates(language)
    names = load_names(locale)
    person_sets = list(_person_sets(language, names, templates, seed))
    builder = PairSetBuilder(BED, locale)

    for template in templates["templates"]:
        for word in _emotion_words(templates, template["slot"]):
            gold = {"emotion": word.emotion, "intensity": word.intensity}
            prefix = f"{BED}/{locale}/s{seed}/{template['id']}/{word.word_id}"
            for set_key, axis, people in person_sets:
                members = [
                    Member(
                        value,
                        _sentence(template, person, word),
                        {
                            "emotion": word.emotion,
                            "intensity": word.intensity,
                            **person.attributes(),
                        },
                        {"person": person.form("nom"), "word": word.text or None},
                    )
                    for value, person in people
                ]
                builder.add_set(
                    pair_id=f"{prefix}/{set_key}/{axis}",
                    template_id=f"{BED}/{template['id']}",
                    axis=axis,
                    base=members[0],
                    variants=members[1:],
                    gold=gold,
                )
    return builder
