"""Names as the people of Bénin and Cameroon write them: normalised, keyed by sound, compared part by part.

A name is written many ways: accents dropped (Houngbédji, Hounbedji), transliterations (Mohamed, Mouhamed,
Mohammed), parts swapped (Ngo Bassa Marie, Marie Ngo Bassa), parts joined (Abdoul Karim, Abdoulkarim), typos and
nicknames. Three steps make those one name:

- `name_parts`: Unicode NFKD without the combining marks (no library: unidecode is GPL), lower case, letters only,
  split on anything else; each part replaced by the first spelling of its group in the configured `name_variants`
  (nicknames and spellings no rule can guess: Fatou = Fatoumata).
- `sound_key`: a phonetic key written for French spelling and for the names of West and Central Africa, which no
  maintained library has (jellyfish's Soundex, Metaphone and NYSIIS are English; abydos has French keys but is
  GPL-3.0, which Abri's MIT licence cannot take in). It keeps the consonant skeleton of what is heard: French
  digraphs (ph, ch, qu, gu, ge, ç, eau), the West African ones (dj, tch, gb, kp, ny), a silent h, the nasal before a
  consonant (Mbarga, Ndjock, Houngbédji), doubled letters, and a vowel at the start as one mark; a short name
  (Awa, Ali) keeps its vowels.
- `name_similarity`: the parts of two names matched one to one, best pairs first, whatever their order, each pair
  scored by Jaro-Winkler (RapidFuzz, MIT: compiled, maintained, and the fastest of the edit-distance libraries)
  raised when the two parts sound the same; the joined parts compared too, so that Abdoulkarim meets Abdoul Karim.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Iterable

from rapidfuzz.distance import Indel, JaroWinkler

KEY_LENGTH = 6
SOUNDS_ALIKE = 0.92     # the similarity of two parts that sound the same but are spelled apart
UNLIKE = 0.80           # a pair of parts less alike than this counts as no match at all
JOINED_ALIKE = 0.92    # two names whose parts joined are this alike are one name written joined and apart
MAX_PARTS = 6           # a name longer than this is cut (a form's free text is not a name)

_NOT_LETTER = re.compile(r"[^a-z]+")
# Rewrites applied in this order, on a lower-case part of a-z only (French first, then West and Central African).
_REWRITES = tuple((re.compile(pattern), replacement) for pattern, replacement in (
    (r"([a-z])\1+", r"\1"),                      # doubled letters: Mohammed, Moussa
    (r"eau|au", "o"),
    (r"ou|oo|w", "u"),
    (r"y", "i"),
    (r"ph", "f"),
    (r"tch|tsh|sch|sh|ch|x(?=[aeiou])", "X"),   # the "ch" of Aïcha, Tchakounté, Achta, Shaibou
    (r"dj|dz|j|g(?=[ei])", "J"),                 # Djibril, Jibril, Georges
    (r"gb", "b"),                                # Gbaguidi ~ Baguidi: the labial-velar stop is heard as b
    (r"kp", "p"),
    (r"ny|gn", "N"),                             # Nyemb, Agnès
    (r"qu|q|ck|c(?![ei])|kh|k", "k"),
    (r"c", "s"),                                 # ce, ci
    (r"x", "ks"),
    (r"z", "s"),
    (r"gu(?=[ei])|gh", "g"),
    (r"th", "t"),
    (r"dh", "d"),
    (r"(?<=[aeiou])h|h(?=[aeiou])|^h|h$", ""),  # h is not heard
    (r"^[mn](?=[^aeiou])|(?<=[aeiou])[mn](?=[^aeiouN])", ""),  # a nasal before a consonant: Mbarga, Ngono, Houngbo
    (r"(?<=.)es?$", ""),                         # a silent final e: Traoré, Marie
))


def fold(text: str) -> str:
    """Lower case, accents and other marks dropped, ç as s, œ and æ spelled out."""
    text = text.lower().replace("ç", "s").replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")
    return "".join(char for char in unicodedata.normalize("NFKD", text) if not unicodedata.combining(char))


def variants_index(groups: Iterable[Iterable[str]]) -> dict[str, str]:
    """{a spelling: the first spelling of its group} from the configured name_variants (folded)."""
    index: dict[str, str] = {}
    for group in groups:
        spellings = [fold(name).strip() for name in group if isinstance(name, str) and fold(name).strip()]
        for spelling in spellings[1:]:
            index.setdefault(spelling, spellings[0])
    return index


def name_parts(values: Iterable[object], variants: dict[str, str] | None = None) -> tuple[str, ...]:
    """The distinct parts of one or more name values, folded, each as its group's first spelling."""
    parts: list[str] = []
    for value in values:
        if not isinstance(value, str):
            continue
        for part in _NOT_LETTER.split(fold(value)):
            part = (variants or {}).get(part, part)
            if part and part not in parts:
                parts.append(part)
    return tuple(parts[:MAX_PARTS])


@lru_cache(maxsize=65536)
def sound_key(part: str) -> str:
    """The phonetic key of one folded name part ("" for an empty one)."""
    if not part:
        return ""
    spoken = part
    for pattern, replacement in _REWRITES:
        spoken = pattern.sub(replacement, spoken)
    head = "A" if not spoken or spoken[0] in "aeiou" else ""
    key = head + "".join(char for char in spoken if char not in "aeiou").upper()
    # A name of vowels and one consonant (Awa, Ali, Aoua) keys by how it is said, vowels included.
    return (key if len(key) > 1 else (spoken or part).upper())[:KEY_LENGTH]


@lru_cache(maxsize=262144)
def part_similarity(left: str, right: str) -> float:
    """How alike two folded parts are, from 0 to 1: Jaro-Winkler, at least SOUNDS_ALIKE when they sound the same."""
    if left == right:
        return 1.0
    similarity = JaroWinkler.normalized_similarity(left, right)
    key = sound_key(left)
    if len(key) > 2 and key == sound_key(right) and similarity >= 0.7:  # a short key is too common to tell
        similarity = max(similarity, SOUNDS_ALIKE)
    return similarity if similarity >= UNLIKE else 0.0


def name_similarity(left: tuple[str, ...], right: tuple[str, ...]) -> float:
    """How alike two names are (their parts from `name_parts`), from 0 to 1, whatever the order of their parts.

    The parts of the shorter name are matched one to one with the other's, the most alike pairs first; the score is
    their mean similarity weighted by length, times the square root of the weakest pair's (a part that matches
    nothing makes two names), lowered a little for each part of the longer name left over (a middle name or a
    nickname written once). When the two have a different number of parts, the parts joined without
    spaces are compared too (Indel, so that a long shared prefix is not enough), and the better is kept.
    """
    if not left or not right:
        return 0.0
    short, long_ = (left, right) if len(left) <= len(right) else (right, left)
    pairs = sorted(((part_similarity(a, b), i, j) for i, a in enumerate(short) for j, b in enumerate(long_)),
                   reverse=True)
    used_short: set[int] = set()
    used_long: set[int] = set()
    total = weight = 0.0
    weakest = 1.0
    for similarity, i, j in pairs:
        if i in used_short or j in used_long:
            continue
        used_short.add(i)
        used_long.add(j)
        size = len(short[i]) + len(long_[j])
        total += similarity * size
        weight += size
        weakest = min(weakest, similarity)
    # A part of the shorter name that matches nothing in the other makes them two names: Éric Ondoa is not
    # Mohamed Ondoa, however alike the rest.
    score = total / weight * weakest ** 0.5 * (1.0 - 0.05 * (len(long_) - len(short)))
    if len(left) != len(right):  # parts written joined once and apart once: Abdoulkarim, Abdoul Karim
        joined = max(Indel.normalized_similarity("".join(left), "".join(right)),
                     Indel.normalized_similarity("".join(sorted(left)), "".join(sorted(right))))
        score = max(score, joined if joined >= JOINED_ALIKE else 0.0)
    return score


def blocking_keys(parts: tuple[str, ...]) -> list[str]:
    """The keys a name is found by: the sound keys of each two of its parts (in sorted order), or of its one part."""
    keys = sorted({sound_key(part) for part in parts if len(part) > 1})
    if len(keys) == 1:
        return keys
    return [f"{a}|{b}" for index, a in enumerate(keys) for b in keys[index + 1:]]
