"""How alike two children are under a module's matching rules, and the keys that find the candidates.

A record's data become a `Profile` once (its names as parts, its birth, places, identity numbers); two profiles
are scored from 0 to 1: each comparison both records can make adds weight x similarity, and is out of its weight;
one they cannot make (a field empty on either side) is out of MISSING_SHARE of its weight, so that a score rests
on evidence and a name alone is never a likely duplicate; one that clearly disagrees takes its `against` weight
away (two children of one name born years apart are two children). The child's name must be comparable, or there is no
score. The same identity number on both is a likely duplicate whatever the rest says.

Candidates are found by keys stored on each case (`_match`, indexed) and looked up with the keys of the data being
matched: each two parts of the child's name by their sound keys ("n:ABJ|KF"), each part's sound key with the birth
year and the sex ("y:KF:2014:female"; an age is stored with the years either side too, since ages are
estimates), and each identity number ("i:national_id_no:BJ0012345"). A typo that changes one part's sound still
meets the other parts with the birth year; nothing is found by scanning. The keys of a part with a birth year
are wide (every child of a common surname born that year shares one): they are looked up with the names listed
under them (server/storage/matching.py NAMES), and only the records whose names are alike enough to reach
"possible" (`name_floor`) are read.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable

from server.matching.names import (blocking_keys, fold, name_parts, name_similarity, sound_key,
                                   variants_index)
from server.metadata.configuration import LocationIndex
from server.metadata.matching import BIRTH, LOCATION, NAME, SAME, Comparison, Matching

MISSING_SHARE = 0.5   # a comparison one record cannot make counts for this share of its weight, at no similarity
AGREES = 0.8          # a comparison this alike is one of "the fields that agree"
MIN_IDENTIFIER = 4    # an identity number shorter than this (folded) is not one
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")
WIDE = ("y:", "y0:")  # the prefixes of the wide keys
_variants: dict[str, dict[str, str]] = {}


@dataclass
class Profile:
    """What one record (or one trace) offers to a comparison."""

    names: dict[int, list[tuple[str, ...]]] = field(default_factory=dict)   # comparison index: the names it holds
    values: dict[int, Any] = field(default_factory=dict)                    # comparison index: its value
    births: dict[int, tuple[date | None, float | None]] = field(default_factory=dict)
    identifiers: dict[str, str] = field(default_factory=dict)
    filled: dict[int, list[str]] = field(default_factory=dict)              # comparison index: fields with a value

    @property
    def child_name(self) -> tuple[str, ...]:
        names = self.names.get(0) or []
        return names[0] if names else ()


@dataclass(frozen=True)
class Match:
    score: float
    level: str                          # "likely" or "possible"
    agree: tuple[str, ...]              # the fields that agree
    identifiers: tuple[str, ...] = ()   # the identity numbers both hold the same


def variants(rules: Matching) -> dict[str, str]:
    if rules.fingerprint not in _variants:
        _variants[rules.fingerprint] = variants_index(rules.name_variants)
    return _variants[rules.fingerprint]


def profile(rules: Matching, data: dict[str, Any], created: datetime | date | None = None) -> Profile:
    """The profile of a record's data (`created`: the day an age is taken as of when `as_of` is empty)."""
    found = Profile()
    index_of_name = _name_comparisons(rules)
    for index, comparison in enumerate(rules.compare):
        filled = [name for name in comparison.fields if _present(_values(data, name))]
        if not filled:
            continue
        if comparison.kind == NAME:
            names = _names(data, comparison, variants(rules))
            if names:
                found.names[index_of_name[index]] = names
                found.filled[index] = filled
        elif comparison.kind == BIRTH:
            birth = _birth(data, comparison, created)
            if birth != (None, None):
                found.births[index] = birth
                found.filled[index] = filled
        else:
            found.values[index] = _values(data, comparison.fields[0])
            found.filled[index] = filled
    for name in rules.identifiers:
        value = data.get(name)
        folded = _NOT_ALNUM.sub("", fold(value).upper()) if isinstance(value, str) else ""
        if len(folded) >= MIN_IDENTIFIER:
            found.identifiers[name] = folded
    return found


def stored_keys(rules: Matching, found: Profile) -> list[str]:
    """The keys a record is stored with (its `_match`)."""
    return _keys(rules, found, stored=True)


def lookup_keys(rules: Matching, found: Profile) -> list[str]:
    """The keys to look candidates up with (each costs the database one index probe, and every record it finds
    one read: keys are as narrow as recall allows, measured by bench/bench_matching.py)."""
    return _keys(rules, found, stored=False)


def is_wide(key: str) -> bool:
    """Whether a key is a part of a name with a birth year (looked up by the names listed under it)."""
    return key.startswith(WIDE)


def name_floor(rules: Matching) -> float:
    """The least similarity of the child's names at which two records can still score "possible": with every other
    comparison made and in full agreement (a comparison not made, or disagreeing, only lowers a score), a score is
    (w x similarity + the other weights) / all the weights. An identity number in common is found by its own key."""
    weights = sum(comparison.weight for comparison in rules.compare)
    name = rules.compare[0].weight
    return max(0.0, (rules.possible * weights - (weights - name)) / name) if name else 0.0


def record_names(found: Profile) -> list[str]:
    """The child's names of a profile as NAMES lists them (their parts, space-separated)."""
    return [" ".join(parts) for parts in found.names.get(0) or []]


def names_alike(found: Profile, names: list[str]) -> float:
    """How alike the child's names of a profile are to names listed in NAMES (0 when either has none)."""
    mine = found.names.get(0) or []
    return max((name_similarity(a, tuple(b.split())) for a in mine for b in names), default=0.0)


def _keys(rules: Matching, found: Profile, stored: bool) -> list[str]:
    """Each two parts of the name by sound; each part by sound with a birth year and the sex (the first `same`
    comparison: "-" when not given), and, for a lookup without the sex, without it ("y0:"); identity numbers.

    A date of birth gives its year; an age gives the two years it may mean, and is stored with the years either
    side as well, since ages are estimates: a date meets an age, and an age another age, two years apart at most.
    """
    keys = [f"n:{key}" for key in blocking_keys(found.child_name)]
    years: set[int] = set()
    spread = 1 if stored else 0
    for birth_day, year in found.births.values():
        if birth_day is not None:
            years.add(birth_day.year)
        elif year is not None:
            years.update(whole + step for whole in {int(year), int(year + 0.999)}
                         for step in range(-spread, spread + 1))
    sounds = sorted({sound_key(part) for part in found.child_name if len(part) > 1})
    sex = _first_same(rules, found)
    marks = [sex] if sex else ["-"]
    if not stored and sex:
        marks.append("-")  # the records stored without it
    keys += [f"y:{sound}:{year}:{mark}" for sound in sounds for year in sorted(years) for mark in marks]
    if stored or not sex:
        keys += [f"y0:{sound}:{year}" for sound in sounds for year in sorted(years)]
    keys += [f"i:{name}:{value}" for name, value in sorted(found.identifiers.items())]
    return keys


def _first_same(rules: Matching, found: Profile) -> str | None:
    """The value of the first `same` comparison, when it is one text (the sex, in the shipped rules)."""
    index = next((i for i, comparison in enumerate(rules.compare) if comparison.kind == SAME), None)
    value = found.values.get(index) if index is not None else None
    return value.strip().lower()[:50] if isinstance(value, str) and value.strip() else None


def compare(rules: Matching, left: Profile, right: Profile, places: LocationIndex | None = None) -> Match | None:
    """The match of two profiles under the rules, or None when it is below "possible"."""
    scored = score_pair(rules, left, right, places)
    if scored is None:
        return None
    score, agree, same_ids = scored
    level = "likely" if score >= rules.likely else "possible" if score >= rules.possible else None
    return Match(round(score, 4), level, agree, same_ids) if level else None


def score_pair(rules: Matching, left: Profile, right: Profile, places: LocationIndex | None = None
               ) -> tuple[float, tuple[str, ...], tuple[str, ...]] | None:
    """(score, the fields that agree, the identity numbers both hold the same), or None when the two cannot be
    compared (a name missing on either side, and no identity number in common).

    Each comparison both can make adds weight x similarity; one that clearly disagrees (similarity under 1/2) takes
    away up to its `against` weight (a birth years apart, another sex: evidence that two children are two).
    """
    same_ids = tuple(name for name, value in left.identifiers.items() if right.identifiers.get(name) == value)
    if not (left.child_name and right.child_name) and not same_ids:
        return None
    total = out_of = 0.0
    agree: list[str] = []
    name_index = _name_comparisons(rules)
    for index, comparison in enumerate(rules.compare):
        similarity = _similarity(comparison, index, name_index, left, right, places)
        if similarity is None:
            out_of += MISSING_SHARE * comparison.weight
            continue
        total += comparison.weight * similarity - comparison.against * max(0.0, 1.0 - 2 * similarity)
        out_of += comparison.weight
        if similarity >= AGREES:
            agree += [name for name in comparison.fields if name in left.filled.get(index, ())
                      or name in right.filled.get(index, ())]
    score = max(0.0, total / out_of) if out_of else 0.0
    if same_ids:
        score = max(score, rules.likely)
    return score, tuple(agree + list(same_ids)), same_ids


def _similarity(comparison: Comparison, index: int, name_index: dict[int, int], left: Profile, right: Profile,
                places: LocationIndex | None) -> float | None:
    if comparison.kind == NAME:
        mine, theirs = left.names.get(name_index[index]), right.names.get(name_index[index])
        if not mine or not theirs:
            return None
        return max(name_similarity(a, b) for a in mine for b in theirs)
    if comparison.kind == BIRTH:
        if index not in left.births or index not in right.births:
            return None
        return _birth_similarity(left.births[index], right.births[index])
    if index not in left.values or index not in right.values:
        return None
    if comparison.kind == LOCATION:
        return _place_similarity(left.values[index], right.values[index], places)
    return 1.0 if _same(left.values[index], right.values[index]) else 0.0


def _name_comparisons(rules: Matching) -> dict[int, int]:
    """{comparison index: its position among the name comparisons} (0 is the child's name)."""
    found: dict[int, int] = {}
    for index, comparison in enumerate(rules.compare):
        if comparison.kind == NAME:
            found[index] = len(found)
    return found


def _values(data: dict[str, Any], path: str) -> Any:
    """A field's value; for "subform/field", the list of its rows' values."""
    if "/" not in path:
        return data.get(path)
    subform, name = path.split("/", 1)
    rows = data.get(subform)
    return [row.get(name) for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


def _present(value: Any) -> bool:
    if isinstance(value, list):
        return any(_present(item) for item in value)
    return value not in (None, "") and not (isinstance(value, str) and not value.strip())


def _names(data: dict[str, Any], comparison: Comparison, variant_index: dict[str, str]) -> list[tuple[str, ...]]:
    """The names a comparison reads: the child's fields together as one name, each subform row's as one."""
    top = [data.get(name) for name in comparison.fields if "/" not in name]
    names = [name_parts(top, variant_index)] if any(isinstance(value, str) for value in top) else []
    for path in comparison.fields:
        if "/" in path:
            names += [name_parts([value], variant_index) for value in _values(data, path) if isinstance(value, str)]
    return [name for name in names if name]


def _birth(data: dict[str, Any], comparison: Comparison, created: datetime | date | None
           ) -> tuple[date | None, float | None]:
    """(the date of birth, or None; the birth year estimated from an age, or None)."""
    born = _day(data.get(comparison.fields[0]))
    if born is not None:
        return born, float(born.year)
    age = data.get(comparison.fields[1]) if len(comparison.fields) > 1 else None
    if not isinstance(age, (int, float)) or isinstance(age, bool) or not 0 <= age <= 130:
        return None, None
    as_of = _day(data.get(comparison.as_of)) if comparison.as_of else None
    as_of = as_of or (created.date() if isinstance(created, datetime) else created)
    if as_of is None:
        return None, None
    return None, as_of.year - age - 0.5


def _day(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _birth_similarity(left: tuple[date | None, float | None], right: tuple[date | None, float | None]) -> float:
    (left_day, left_year), (right_day, right_year) = left, right
    if left_day and right_day:
        if left_day == right_day:
            return 1.0
        swapped = left_day.year == right_day.year and (left_day.month, left_day.day) == (right_day.day,
                                                                                          right_day.month)
        days = abs((left_day - right_day).days)
        if swapped or days <= 31:
            return 0.85
        return 0.5 if days <= 366 else 0.0
    gap = abs((left_year or 0) - (right_year or 0))
    return 0.8 if gap <= 1 else 0.5 if gap <= 2 else 0.2 if gap <= 3 else 0.0


def _place_similarity(left: Any, right: Any, places: LocationIndex | None) -> float:
    if not isinstance(left, str) or not isinstance(right, str):
        return 0.0
    if left == right:
        return 1.0
    mine, theirs = _ancestors(left, places), _ancestors(right, places)
    if left in theirs or right in mine:
        return 0.8
    return 0.6 if mine and theirs and mine[0] == theirs[0] else 0.0  # two places of one parent: next door


def _ancestors(code: str, places: LocationIndex | None) -> list[str]:
    found: list[str] = []
    place = places.get(code) if places else None
    while place and place.get("parent_code") and len(found) < 10:
        found.append(place["parent_code"])
        place = places.get(place["parent_code"])
    return found


def _same(left: Any, right: Any) -> bool:
    mine, theirs = _as_set(left), _as_set(right)
    return bool(mine & theirs)


def _as_set(value: Any) -> set[Any]:
    """The values of a field as a set (a stored value of another kind than the form's is no value)."""
    items: Iterable[Any] = value if isinstance(value, list) else [value]
    return {item.strip().lower() if isinstance(item, str) else item for item in items
            if isinstance(item, (str, int, float, bool)) and _present(item)}
