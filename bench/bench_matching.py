"""Duplicate detection (issue #18): precision and recall on a labelled set of children named as in Bénin and
Cameroon, and the time of one match query over 10,000 and 100,000 cases on the embedded database.

    python bench/bench_matching.py [--children 20000] [--sizes 10000,100000] [--repeat 300] [--seed 18]
                                   [--no-precision] [--no-timing]

The labelled set: `--children` children (first and last names from bench/population.py, drawn with its Zipf-like
weights, so common names collide as they do in an office), a third of them in families of two to four (siblings
share the last name, the caregiver and the place; twins the birth day too), registered once; a third registered
again, a tenth of those a third time, at the same office or another, each time with what happens between two
registrations: accents dropped, a transliteration (Mohamed/Mouhamed, ou/u, dj/j, c/k, a doubled letter), first and
last name swapped, a typo, a nickname, a compound name joined or split, a first name of two left at one, an age
instead of the date of birth (estimated, as of another day), day and month swapped, the sex, caregiver or place
not given, an identity number given once. Each record is matched through its keys against the others (in memory,
the keys as the database index holds them); a pair is a true duplicate when both are registrations of one child.
Printed: for each threshold the precision and recall of the pairs scored at or above it (recall out of every true
pair, those the keys never found included); the recall of the keys alone, and of the candidates read (those under
the wide keys whose names cannot reach "possible" are not); recall by what changed.

The timing: for each size, a population of that many registrations made the same way (so that common names collide
as often as they would in a country's data) is stored as the record engine stores cases (data, `_match` keys, the
names listed under the wide keys, the indexes the app makes), and `server.matching.find.matches` (the reads and the
scoring) is timed for registrations drawn from it, each against the others, against the same reads run bare with
pymongo (ratio): p50/p95 in ms, records read; and, for comparison, the former design's one query by every key.
"""
from __future__ import annotations

import argparse
import random
import time
import unicodedata
import uuid
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone

from common import header, insert_all, median_ms, p95_ms, secantus
from population import FIRST_NAMES, LAST_NAMES, first_name, last_name

COMMUNES = ["BJ-LI-01", "BJ-OU-08", "BJ-BO-05", "BJ-ZO-01", "BJ-AK-06", "BJ-DO-03", "BJ-MO-06", "BJ-AQ-04",
            "BJ-AL-03", "BJ-ZO-03", "BJ-CO-05", "BJ-PL-04", "BJ-KO-01", "BJ-AL-05", "BJ-ZO-02", "BJ-AQ-01"]
TRANSLITERATIONS = [("ou", "u"), ("dj", "j"), ("c", "k"), ("ph", "f"), ("y", "i"), ("tch", "ch"), ("ss", "s"),
                    ("é", "e"), ("è", "e"), ("ï", "i"), ("mm", "m"), ("gb", "b"), ("ah", "a"), ("h", "")]
NICKNAMES = {"Fatoumata": "Fatou", "Mohamed": "Mouhamed", "Abdoulaye": "Laye", "Ibrahim": "Ibra",
             "Jean-Baptiste": "JB", "Emmanuel": "Manu", "Elisabeth": "Babette", "Joseph": "Jo", "Aminatou": "Amina",
             "Mariam": "Mariama", "Koffi": "Kofi", "Codjo": "Kodjo", "Aïssatou": "Aissa", "Christelle": "Chris",
             "Françoise": "Fanny", "Boubakari": "Bouba", "Souleymane": "Soule", "Fatimata": "Fanta"}
CHANGES = ("accents", "transliteration", "swapped", "typo", "nickname", "joined", "one_first_name", "age_only",
           "day_month", "no_sex", "no_caregiver", "no_place", "moved")


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def make_children(rng: random.Random, count: int, today: date) -> list[dict]:
    """The children: who they are (not how they were written down)."""
    children: list[dict] = []
    while len(children) < count:
        family = rng.choices([1, 2, 3, 4], [66, 18, 10, 6])[0]
        last = last_name(rng)
        caregiver = f"{first_name(rng)} {rng.choice([last, last_name(rng)])}"
        place = rng.choice(COMMUNES)
        twins = family > 1 and rng.random() < 0.1
        born = today - timedelta(days=rng.randint(200, 17 * 365))
        for sibling in range(family):
            if sibling and not (twins and sibling == 1):
                born = born - timedelta(days=rng.randint(300, 4 * 365))
            first = first_name(rng)
            if rng.random() < 0.2:
                first = f"{first} {first_name(rng)}"
            npi = "".join(rng.choice("0123456789") for _ in range(10)) if rng.random() < 0.25 else None
            children.append({"child": len(children), "first": first, "last": last, "born": born,
                             "sex": rng.choice(["male", "female"]), "caregiver": caregiver, "place": place,
                             "npi": npi})
    return children[:count]


def typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["sub", "del", "ins", "swap"])
    letters = "aeioukstnmrl"
    if kind == "sub":
        return word[:i] + rng.choice(letters) + word[i + 1:]
    if kind == "del":
        return word[:i] + word[i + 1:]
    if kind == "ins":
        return word[:i] + rng.choice(letters) + word[i:]
    return word[:i - 1] + word[i] + word[i - 1] + word[i + 1:]


def transliterate(rng: random.Random, word: str) -> str:
    options = [(a, b) for a, b in TRANSLITERATIONS if a in word.lower()] + \
              [(b, a) for a, b in TRANSLITERATIONS if b and b in word.lower() and len(b) > 1]
    if not options:
        return word[:-1] + word[-1] * 2 if word[-1].isalpha() else word
    a, b = rng.choice(options)
    lower = word.lower().replace(a, b, 1)
    return lower[:1].upper() + lower[1:]


def registration(rng: random.Random, child: dict, today: date, again: bool) -> tuple[dict, set[str]]:
    """One registration of a child: the data a social worker typed, and what changed from the truth."""
    first, last = child["first"], child["last"]
    changes: set[str] = set()
    registered = today - timedelta(days=rng.randint(0, 700))
    data: dict = {"registration_date": registered.isoformat(), "sex": child["sex"], "location_current": child["place"],
                  "family_details_section": [{"relation_name": child["caregiver"], "relation": "mother",
                                              "relation_is_caregiver": True}]}
    known_birth = rng.random() < (0.55 if again else 0.7)
    if again:
        for change in rng.sample(["accents", "transliteration", "swapped", "typo", "nickname", "joined",
                                  "one_first_name", "none"], k=rng.choice([1, 1, 2, 2, 3])):
            if change == "accents" and fold(first + last) != first + last:
                first, last = fold(first), fold(last)
            elif change == "transliteration":
                if rng.random() < 0.5:
                    last = transliterate(rng, last)
                else:
                    first = transliterate(rng, first.split()[0]) + "".join(f" {p}" for p in first.split()[1:])
            elif change == "swapped":
                first, last = last, first
            elif change == "typo":
                if rng.random() < 0.5:
                    last = typo(rng, last)
                else:
                    first = typo(rng, first)
            elif change == "nickname" and first.split()[0] in NICKNAMES:
                first = NICKNAMES[first.split()[0]]
            elif change == "joined" and (" " in first or "-" in first or " " in last):
                if " " in last:
                    last = last.replace(" ", "")
                else:
                    first = first.replace("-", " ") if "-" in first else first.replace(" ", "")
            elif change == "one_first_name" and " " in first:
                first = first.split()[0]
            else:
                continue
            changes.add(change)
        if rng.random() < 0.3:
            changes.add("age_only")
            known_birth = False
        if rng.random() < 0.1:
            changes.add("no_sex")
            del data["sex"]
        if rng.random() < 0.3:
            changes.add("no_caregiver")
            del data["family_details_section"]
        if rng.random() < 0.1:
            changes.add("no_place")
            del data["location_current"]
        elif rng.random() < 0.2:
            changes.add("moved")
            data["location_current"] = rng.choice(COMMUNES)
    born = child["born"]
    if known_birth:
        if again and rng.random() < 0.05 and born.day <= 12 and born.day != born.month:
            born = date(born.year, born.day, born.month)
            changes.add("day_month")
        data["date_of_birth"] = born.isoformat()
    else:
        age = max(0, (registered - child["born"]).days // 365 + rng.choice([0, 0, 0, -1, 1]))
        data["age"] = age
    data["name_first"], data["name_last"] = first, last
    if child["npi"] and (not again or rng.random() < 0.5):
        data["npi_number"] = child["npi"]
    return data, changes


def labelled_set(rng: random.Random, children: int, today: date) -> list[dict]:
    records = []
    for child in make_children(rng, children, today):
        copies = 1 + (rng.random() < 1 / 3) + (rng.random() < 1 / 30)
        for copy in range(copies):
            data, changes = registration(rng, child, today, again=copy > 0)
            records.append({"id": str(uuid.uuid4()), "child": child["child"], "data": data, "changes": changes})
    rng.shuffle(records)
    return records


def evaluate(config, rules, records: list[dict], thresholds: list[float]) -> None:
    from server.matching.find import CANDIDATES
    from server.matching.score import (is_wide, lookup_keys, name_floor, names_alike, profile, record_names,
                                       score_pair, stored_keys)

    start = time.perf_counter()
    profiles = [profile(rules, record["data"]) for record in records]
    index: dict[str, list[int]] = defaultdict(list)
    for position, found in enumerate(profiles):
        for key in stored_keys(rules, found):
            index[key].append(position)
    by_child = defaultdict(list)
    for position, record in enumerate(records):
        by_child[record["child"]].append(position)
    true_pairs = {(min(a, b), max(a, b)) for group in by_child.values() for a in group for b in group if a < b}
    scored: dict[tuple[int, int], float] = {}
    candidates_read = []
    floor = name_floor(rules)
    names = [record_names(found) for found in profiles]
    keyed: set[tuple[int, int]] = set()
    for position, found in enumerate(profiles):
        seen: list[int] = []
        alike: list[tuple[float, int]] = []
        for key in lookup_keys(rules, found):
            others = [other for other in index.get(key, ()) if other != position]
            keyed.update(pair for pair in ((min(position, other), max(position, other)) for other in others)
                         if pair in true_pairs)
            if not is_wide(key):
                seen += others
            else:  # as server.matching.find.candidates reads them: those whose names may reach "possible"
                alike += [(-similarity, other) for other in others
                          if (similarity := names_alike(found, names[other])) >= floor]
        unique = list(dict.fromkeys(seen))[:CANDIDATES]
        unique += [other for _, other in sorted(set(alike)) if other not in unique][:CANDIDATES - len(unique)]
        candidates_read.append(len(unique))
        for other in unique:
            pair = (min(position, other), max(position, other))
            if pair in scored:
                continue
            match = score_pair(rules, found, profiles[other], config.locations)
            scored[pair] = match[0] if match else 0.0
    elapsed = time.perf_counter() - start
    found_true = sum(1 for pair in true_pairs if pair in scored)
    print(f"{len(records):,} registrations of {len(by_child):,} children; {len(true_pairs):,} true duplicate pairs; "
          f"{len(scored):,} candidate pairs scored in {elapsed:.1f} s")
    print(f"candidates read per record: median {sorted(candidates_read)[len(candidates_read) // 2]}, "
          f"max {max(candidates_read)}; recall of the keys: {len(keyed & true_pairs) / len(true_pairs):.3f}; "
          f"of the candidates read (names under the floor {floor:.2f} left out): {found_true / len(true_pairs):.3f}")
    print("\n| threshold | pairs at or above | precision | recall | F1 |\n|---|---|---|---|---|")
    for threshold in thresholds:
        predicted = {pair for pair, score in scored.items() if score >= threshold}
        hits = len(predicted & true_pairs)
        precision = hits / len(predicted) if predicted else 1.0
        recall = hits / len(true_pairs)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        mark = " (likely)" if threshold == rules.likely else " (possible)" if threshold == rules.possible else ""
        print(f"| {threshold:.2f}{mark} | {len(predicted):,} | {precision:.3f} | {recall:.3f} | {f1:.3f} |")
    by_change: dict[str, list[bool]] = defaultdict(list)
    for a, b in true_pairs:
        for change in records[a]["changes"] | records[b]["changes"] or {"none"}:
            by_change[change].append(scored.get((a, b), 0.0) >= rules.possible)
    print(f"\nrecall at 'possible' ({rules.possible}) by what changed between the two registrations:")
    print("| change | pairs | recall |\n|---|---|---|")
    for change, hits in sorted(by_change.items(), key=lambda item: -len(item[1])):
        print(f"| {change} | {len(hits):,} | {sum(hits) / len(hits):.3f} |")
    false = Counter()
    for pair, score in scored.items():
        if score >= rules.possible and pair not in true_pairs:
            a, b = records[pair[0]]["data"], records[pair[1]]["data"]
            same_family = a.get("name_last") == b.get("name_last") and a.get("family_details_section") and \
                a.get("family_details_section") == b.get("family_details_section")
            false["siblings (same last name and caregiver)" if same_family else "other children"] += 1
    print(f"\nfalse pairs at 'possible': {dict(false)}")
    baseline = {pair for pair in scored if solr_like(records[pair[0]]["data"], records[pair[1]]["data"])}
    hits = len(baseline & true_pairs)
    print(f"\nA Primero-like rule on the same candidate pairs (first and last name each within 2 edits, accents and "
          f"case aside, in the order given; the same sex): {len(baseline):,} pairs, precision "
          f"{hits / max(1, len(baseline)):.3f}, recall {hits / len(true_pairs):.3f}")


def solr_like(a: dict, b: dict) -> bool:
    """What a fuzzy search of Solr (~2 edits per name field) with the sex as a filter would call a match."""
    from rapidfuzz.distance import Levenshtein

    def name(data, field):
        return fold(str(data.get(field) or "")).lower().strip()
    if not a.get("name_first") or not b.get("name_first") or a.get("sex") != b.get("sex"):
        return False
    return all(Levenshtein.distance(name(a, field), name(b, field)) <= 2 for field in ("name_first", "name_last"))


def timing(config, rules, sizes: list[int], repeat: int, rng: random.Random) -> None:
    from server.matching.find import candidates, matches
    from server.matching.score import is_wide, lookup_keys, profile, record_names, stored_keys
    from server.storage import matching as store
    from server.storage.client import connect, disconnect
    from server.storage.records import ensure_record_indexes

    now = datetime.now(timezone.utc)
    print("\n## One match query: server.matching.find.matches against the same reads run bare (pymongo)")
    print("The reads: the cases holding a narrow key; the names listed under the wide keys; the cases whose names "
          "are alike enough to reach 'possible', by id. 'One query' is the former design, every key in one $in.")
    print("| cases | p50 ms | p95 ms | bare p50 ms | ratio | records read (median, p95) | one query p50 / p95 ms "
          "(records read median, p95) | load |")
    print("|---|---|---|---|---|---|---|---|")
    for size in sizes:
        # a population of this size, named from the same pools: common names collide as often as they would
        records = labelled_set(random.Random(size), int(size / 1.37) + 1, date.today())[:size]
        with secantus() as uri:
            db = connect(uri, f"bench{size}")  # a new name: indexes are remembered per database name
            ensure_record_indexes(db, "case", [])
            start = time.perf_counter()
            profiles = [profile(rules, record["data"], now) for record in records]
            keys = [stored_keys(rules, found) for found in profiles]

            def documents():
                for index, record in enumerate(records):
                    wide = [key for key in keys[index] if is_wide(key)]
                    yield {"_id": record["id"], "short_id": format(index, "07x"), "module_id": "primeromodule-cp",
                           "record_state": True, "status": "open", "created_at": now, "owned_by": "bench",
                           "revision": 1, "data": record["data"], store.MATCH_KEYS: keys[index],
                           store.MATCH_NAMED: wide}

            insert_all(db.case, documents())
            store.name_records(db, "case", ((record["id"], 1, [key for key in keys[index] if is_wide(key)],
                                             record_names(profiles[index])) for index, record in enumerate(records)))
            load = time.perf_counter() - start
            # registrations drawn from the population, each matched against the others (as the workers do)
            probes = [rng.choice(records) for _ in range(repeat)]
            times, bare, read, single, single_read = [], [], [], [], []
            fields = {name: 1 for name in (*store.CANDIDATE_FIELDS, *(f"data.{f}" for f in rules.read_fields))}
            for drawn in probes:
                began = time.perf_counter()
                found = matches(db, config, rules, "case", drawn["data"], now, [drawn["id"]])
                times.append(time.perf_counter() - began)
                assert found is not None
                probe = profile(rules, drawn["data"], now)
                chosen = [record["_id"] for record in candidates(db, rules, "case", probe, [drawn["id"]])]
                read.append(len(chosen))
                probe_keys = lookup_keys(rules, probe)
                narrow = sorted({key for key in probe_keys if not is_wide(key)})
                buckets = sorted({f"case|{key}" for key in probe_keys if is_wide(key)})
                began = time.perf_counter()
                list(db.case.find({store.MATCH_KEYS: {"$in": narrow}}, fields).limit(500))
                list(db[store.NAMES].find({"_id": {"$in": buckets}}))
                list(db.case.find({"_id": {"$in": chosen}}, fields))
                bare.append(time.perf_counter() - began)
                began = time.perf_counter()
                single_read.append(len(list(db.case.find({store.MATCH_KEYS: {"$in": sorted(set(probe_keys))}},
                                                         fields).limit(500))))
                single.append(time.perf_counter() - began)
            print(f"| {size:,} | {median_ms(times):.1f} | {p95_ms(times):.1f} | {median_ms(bare):.1f} | "
                  f"{median_ms(times) / median_ms(bare):.2f} | {percentile(read, 50)}, {percentile(read, 95)} | "
                  f"{median_ms(single):.1f} / {p95_ms(single):.1f} ({percentile(single_read, 50)}, "
                  f"{percentile(single_read, 95)}) | {load:.0f} s |")
            disconnect(db)


def percentile(values: list[int], share: int) -> int:
    return sorted(values)[max(0, len(values) * share // 100 - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--children", type=int, default=20_000)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--no-timing", action="store_true")
    parser.add_argument("--no-precision", action="store_true")
    args = parser.parse_args()
    header(f"python bench/bench_matching.py --children {args.children} --sizes {args.sizes} --repeat {args.repeat} "
           f"--seed {args.seed}")
    from common import ROOT
    from server.metadata.configuration import Configuration
    from server.metadata.files import read_configuration
    from server.metadata.matching import matching_of

    config = Configuration.from_documents(read_configuration(ROOT / "metadata", "bj"))
    rules = matching_of(config, "primeromodule-cp")
    print(f"rules: likely {rules.likely}, possible {rules.possible}; " +
          ", ".join(f"{c.kind} {'+'.join(c.fields)} x{c.weight:g}" for c in rules.compare) +
          f"; identifiers {', '.join(rules.identifiers)}")
    rng = random.Random(args.seed)
    if not args.no_precision:
        records = labelled_set(rng, args.children, date.today())
        print(f"\n## Precision and recall ({len(FIRST_NAMES)} first names, {len(LAST_NAMES)} last names, "
              f"seed {args.seed})")
        evaluate(config, rules, records, [round(0.5 + 0.05 * step, 2) for step in range(10)] +
                 sorted({rules.likely, rules.possible}))
    if not args.no_timing:
        timing(config, rules, [int(size) for size in args.sizes.split(",")], args.repeat, rng)


if __name__ == "__main__":
    main()
