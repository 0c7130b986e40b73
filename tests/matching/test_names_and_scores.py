"""Names as they are written in Bénin and Cameroon, and scores of two children under the shipped matching rules."""
from __future__ import annotations

import pytest

from server.config import PROJECT_ROOT
from server.matching.names import blocking_keys, name_parts, name_similarity, sound_key, variants_index
from server.matching.score import (compare, is_wide, lookup_keys, name_floor, names_alike, profile, record_names,
                                   score_pair, stored_keys)
from server.metadata.configuration import Configuration
from server.metadata.files import read_configuration
from server.metadata.matching import matching_of

CONFIG = Configuration.from_documents(read_configuration(PROJECT_ROOT / "metadata", "bj"))
RULES = matching_of(CONFIG, "primeromodule-cp")


def key(name: str) -> str:
    return sound_key(name_parts([name])[0])


@pytest.mark.parametrize("spellings", [
    ("Houngbédji", "Hounbedji", "Houngbedji"), ("Mohamed", "Mouhamed", "Mohammed"), ("Fatoumata", "Fatimata"),
    ("Aïcha", "Aicha", "Aisha", "Ayesha"), ("Tchakounté", "Chakounte"), ("Mbarga", "Barga"), ("Ndjock", "Djock"),
    ("Ousmane", "Usman", "Ousman"), ("Abdoulaye", "Abdulai"), ("Gbaguidi", "Baguidi"), ("Kpadonou", "Padonou"),
    ("Nyemb", "Gnemb"), ("François", "Fransois"), ("Awa", "Aoua"), ("Ali", "Aly"),
])
def test_spellings_of_one_name_sound_the_same(spellings):
    assert len({key(name) for name in spellings}) == 1, [(name, key(name)) for name in spellings]


@pytest.mark.parametrize("one, other", [("Koffi", "Kossi"), ("Awa", "Aminata"), ("Dossou", "Sossou"),
                                        ("Jean", "Paul")])
def test_other_names_do_not(one, other):
    assert key(one) != key(other)


@pytest.mark.parametrize("one, other, at_least", [
    ("Ngo Bassa Marie", "Marie Ngo Bassa", 1.0),          # the order of the parts does not count
    ("Abdoul Karim Traoré", "Abdoulkarim Traore", 1.0),   # written joined once and apart once
    ("Fatoumata Diallo", "Fatimata Diallo", 0.9),         # a transliteration
    ("Koffi Agbo", "Kofi Agbo Mensah", 0.85),             # a part written once
    ("Marie-Claire Houngbédji", "Marie Claire HOUNGBEDJI", 1.0),
])
def test_one_name_written_two_ways_is_alike(one, other, at_least):
    assert name_similarity(name_parts([one]), name_parts([other])) >= at_least


@pytest.mark.parametrize("one, other", [("Éric Ondoa", "Mohamed Ondoa"), ("Jean Houngbedji", "Paul Houngbedji"),
                                        ("Awa Kone", "Aminata Kone")])
def test_two_children_of_one_family_are_two_names(one, other):
    assert name_similarity(name_parts([one]), name_parts([other])) < 0.3


def test_name_variants_make_nicknames_one_name():
    variants = variants_index([["Fatoumata", "Fatou", "Fanta"]])
    assert name_parts(["Fanta Sow"], variants) == ("fatoumata", "sow")
    assert name_similarity(name_parts(["Fatou Sow"], variants), name_parts(["Fatoumata SOW"], variants)) == 1.0


def test_a_name_is_found_by_each_two_of_its_parts_whatever_their_order():
    assert blocking_keys(name_parts(["Ngo Bassa Marie"])) == blocking_keys(name_parts(["Marie Ngo Bassa"]))
    assert len(blocking_keys(name_parts(["Ngo Bassa Marie"]))) == 3


CHILD = {"name_first": "Fatoumata", "name_last": "Houngbédji", "sex": "female", "date_of_birth": "2015-04-12",
         "location_current": "BJ-AK-06", "family_details_section": [{"relation_name": "Awa Houngbédji"}]}


def test_the_same_child_written_another_way_is_a_likely_duplicate():
    again = {"name_first": "Hounbedji", "name_last": "Fatimata", "sex": "female", "age": 11,
             "registration_date": "2026-09-01", "location_current": "BJ-AK-06"}
    match = compare(RULES, profile(RULES, CHILD), profile(RULES, again), CONFIG.locations)
    assert match is not None and match.level == "likely"
    assert {"name_first", "name_last", "sex", "date_of_birth", "age", "location_current"} <= set(match.agree)
    assert set(lookup_keys(RULES, profile(RULES, again))) & set(stored_keys(RULES, profile(RULES, CHILD)))


def test_a_name_alone_is_never_a_likely_duplicate_and_a_birth_years_apart_counts_against():
    name_only = {"name_first": "Fatoumata", "name_last": "Houngbedji"}
    score, _, _ = score_pair(RULES, profile(RULES, CHILD), profile(RULES, name_only))
    assert score < RULES.likely
    older = {**CHILD, "date_of_birth": "2008-01-20", "family_details_section": []}
    assert score_pair(RULES, profile(RULES, CHILD), profile(RULES, older))[0] < RULES.possible


def test_twins_are_at_most_possible_duplicates():
    twin = {**CHILD, "name_first": "Zinsou"}
    assert compare(RULES, profile(RULES, CHILD), profile(RULES, twin), CONFIG.locations) is None


@pytest.mark.parametrize("first, last, under", [
    ("Zinsou", "Houngbédji", True), ("Fatoumata", "Adjovi", True), ("Fatoumata Awa", "Dossou", True),
    ("Houngbédji", "Fatoumata", False), ("Fatou", "Hounkpè", False), ("Fatoumata", "Houngbédji Adjovi", False)])
def test_a_child_whose_name_is_under_the_floor_cannot_reach_possible_even_if_all_else_agrees(first, last, under):
    # A match leaves unread the records listed under a wide key whose names are under the floor: sound only if none
    # of them could score "possible" with every other comparison in full agreement, as here.
    floor = name_floor(RULES)
    assert floor == pytest.approx((0.70 * 14 - 8) / 6)
    other = profile(RULES, {**CHILD, "name_first": first, "name_last": last})
    assert (names_alike(profile(RULES, CHILD), record_names(other)) < floor) == under
    score, _, _ = score_pair(RULES, profile(RULES, CHILD), other, CONFIG.locations)
    if under:
        assert score == pytest.approx(8 / 14) and score < RULES.possible
    else:
        assert compare(RULES, profile(RULES, CHILD), other, CONFIG.locations).level == "likely"


def test_a_typo_that_changes_how_a_part_sounds_is_found_by_the_other_part_and_the_birth_year_only():
    typo = profile(RULES, {**CHILD, "name_first": "Fatoumta"})
    shared = set(lookup_keys(RULES, typo)) & set(stored_keys(RULES, profile(RULES, CHILD)))
    assert shared and all(is_wide(key) for key in shared)
    assert names_alike(typo, record_names(profile(RULES, CHILD))) > 0.9


def test_the_same_identity_number_is_a_likely_duplicate_on_its_own():
    one = {**CHILD, "npi_number": "1234 5678 90"}
    other = {"name_first": "Rodrigue", "sex": "male", "npi_number": "1234567890"}
    match = compare(RULES, profile(RULES, one), profile(RULES, other))
    assert match.level == "likely" and match.identifiers == ("npi_number",)
    assert "i:npi_number:1234567890" in lookup_keys(RULES, profile(RULES, other))
    assert compare(RULES, profile(RULES, {"npi_number": "12"}), profile(RULES, {"npi_number": "12"})) is None


def test_hostile_values_are_ignored_not_compared():
    odd = {"name_first": ["x"], "date_of_birth": "not a date", "age": float("nan"), "sex": {"a": 1},
           "family_details_section": "rows", "location_current": 7}
    found = profile(RULES, odd)
    assert found.child_name == () and stored_keys(RULES, found) == []
    assert compare(RULES, found, profile(RULES, CHILD)) is None
    named = profile(RULES, {**odd, "name_first": "Fatoumata", "name_last": "Houngbedji"})
    assert score_pair(RULES, named, profile(RULES, CHILD))[0] < RULES.likely
