"""Personal names and personas: who writes a message or is named in a sentence.

A persona has a gender, an age band and a name origin. Pair sets vary one of them while
the text stays fixed, so a model that changes its output across a pair reacts to the
persona alone. This is an invariance test in the sense of CheckList (Ribeiro et al.,
"Beyond Accuracy: Behavioral Testing of NLP Models with CheckList", ACL 2020).
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, field, replace

from equilens.testbeds._data import LANGUAGES, load_yaml, ordinary_words
from equilens.testbeds._text import Phrase

GENDERS = ("female", "male", "unspecified")

#: Age bands of message writers, with the inclusive age range each stands for.
AGE_BANDS: dict[str, tuple[int, int]] = {
    "18-29": (19, 29),
    "30-49": (31, 48),
    "50-69": (51, 68),
    "70+": (71, 84),
}


@dataclass(frozen=True)
class NamePart:
    """One given or family name with its romanised gloss and any case forms."""

    text: str
    gloss: str
    forms: dict[str, str] = field(default_factory=dict)

    def form(self, case: str) -> str:
        """Return the name in grammatical `case` (``nom`` is the written form)."""
        return self.text if case == "nom" else self.forms[case]


@dataclass(frozen=True)
class NameFamily:
    """A family name with one female and one male given name."""

    family: NamePart
    female: NamePart
    male: NamePart


@dataclass(frozen=True)
class NameOrigin:
    """The names of one origin within a locale, and how they are written."""

    key: str
    order: str
    separator: str
    families: tuple[NameFamily, ...]


@dataclass(frozen=True)
class NameList:
    """All names of one locale."""

    locale: str
    unspecified_gender: str
    origins: dict[str, NameOrigin]

    def given(self, origin: str, index: int, gender: str) -> NamePart:
        """Return the given name of row `index` of `origin` for a female or male persona."""
        family = self.origins[origin].families[index]
        return family.female if gender == "female" else family.male

    def all_parts(self) -> list[NamePart]:
        """Return every given and family name of the locale."""
        parts = []
        for origin in self.origins.values():
            for family in origin.families:
                parts.extend([family.family, family.female, family.male])
        return parts


def _name_part(spec) -> NamePart:
    if isinstance(spec, str):
        return NamePart(spec, spec)
    if "nom" in spec:
        forms = {case: value for case, value in spec.items() if case != "nom"}
        return NamePart(spec["nom"], spec.get("gloss", spec["nom"]), forms)
    return NamePart(spec["text"], spec["gloss"])


@functools.cache
def load_names(locale: str) -> NameList:
    """Read ``names/<locale>.yaml``."""
    data = load_yaml(f"names/{locale}.yaml")
    origins = {}
    for key, spec in data["origins"].items():
        families = tuple(
            NameFamily(
                _name_part(row["family"]), _name_part(row["female"]), _name_part(row["male"])
            )
            for row in spec["families"]
        )
        origins[key] = NameOrigin(key, spec["order"], spec.get("separator", " "), families)
    return NameList(locale, data["unspecified_gender"], origins)


def excluded_names(language: str) -> dict[str, str]:
    """Return the names excluded for `language` because they are ordinary words."""
    return dict(load_yaml("names/excluded.yaml")[language])


def is_ordinary_word(name: str, language: str, extra_words: frozenset[str] = frozenset()) -> bool:
    """Apply the exclusion rule: is `name` also an ordinary word of `language`?

    English and Finnish names are compared lowercased; Japanese names as written.
    `extra_words` adds words from the bed's own templates to the lexicon.
    """
    key = name if language == "ja" else name.lower()
    return key in ordinary_words(language) or key in extra_words


@dataclass(frozen=True)
class Persona:
    """The writer of an escalation message."""

    gender: str
    age_band: str
    origin: str
    row: int
    ages: dict[str, int]

    @property
    def age(self) -> int:
        """Age in years, fixed per age band so that a band swap changes only the age."""
        return self.ages[self.age_band]

    def with_value(self, axis: str, value: str) -> Persona:
        """Return the persona with one attribute (gender, age_band or name_origin) changed."""
        field_name = "origin" if axis == "name_origin" else axis
        return replace(self, **{field_name: value})


def choose_persona(names: NameList, *, key: str, seed: int) -> Persona:
    """Draw a base persona for the frame or template named by `key`.

    Gender, age band and ages depend on `key` and `seed` only, so the same frame has the
    same gender and age in every locale. Origin and name row also depend on the locale.
    """
    shared = random.Random(f"persona|{seed}|{key}")
    gender = shared.choice(("female", "male"))
    age_band = shared.choice(tuple(AGE_BANDS))
    ages = {band: shared.randint(low, high) for band, (low, high) in AGE_BANDS.items()}

    local = random.Random(f"persona|{seed}|{key}|{names.locale}")
    origin = local.choice(tuple(names.origins))
    row = local.randrange(len(names.origins[origin].families))
    return Persona(gender, age_band, origin, row, ages)


def persona_name(names: NameList, persona: Persona) -> Phrase:
    """Write the persona's full name as the locale writes it, with its gloss.

    A persona of unspecified gender is named by initial and family name, or in Japanese
    by the family name alone.
    """
    origin = names.origins[persona.origin]
    family = origin.families[persona.row].family

    if persona.gender == "unspecified":
        if names.unspecified_gender == "family_only":
            return Phrase(family.text, family.gloss)
        initial = names.given(persona.origin, persona.row, "female").text[0] + "."
        return Phrase(f"{initial} {family.text}", f"{initial} {family.gloss}")

    given = names.given(persona.origin, persona.row, persona.gender)
    if origin.order == "family_given":
        parts, glosses = (family.text, given.text), (family.gloss, given.gloss)
    else:
        parts, glosses = (given.text, family.text), (given.gloss, family.gloss)
    return Phrase(origin.separator.join(parts), " ".join(glosses))


def language_of(locale: str) -> str:
    """Return the language code of `locale`."""
    return LANGUAGES[locale]
