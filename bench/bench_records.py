"""Records: API create vs bare insert_one; a filtered, sorted page vs the bare query; validation throughput.

    python bench/bench_records.py [--creates 1000] [--cases 100000]
"""
from __future__ import annotations

import argparse
import copy
import random
import time
import uuid
from datetime import datetime, timedelta, timezone

from common import header, insert_all, make_app, median_ms, secantus, timed
from generate import case_data


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--creates", type=int, default=1000)
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()
    header(f"python bench/bench_records.py --creates {args.creates} --cases {args.cases}")
    from jsonschema import Draft202012Validator

    from server.metadata.record_schema import record_schema
    from server.metadata.versions import published_configuration
    from server.records.validation import validate_data
    from server.storage import get_db

    rng = random.Random(7)
    with secantus() as uri:
        app, client = make_app(uri)
        with app.app_context():
            db = get_db()
            config = published_configuration(db)
        bodies = [case_data(rng) for _ in range(args.creates)]

        print(f"\n## Create: POST /api/v1/cases vs bare insert_one of the same documents ({args.creates} each)")
        api_times, stored = [], []
        for body in bodies:
            start = time.perf_counter()
            response = client.post("/api/v1/cases", json={"data": body})
            api_times.append(time.perf_counter() - start)
            assert response.status_code == 201, response.get_json()
            stored.append(response.get_json()["data"]["id"])
        documents = [db.case.find_one({"_id": record_id}) for record_id in stored]
        bare_times = []
        for document in documents:
            document = dict(document, _id=str(uuid.uuid4()))
            start = time.perf_counter()
            db.bare_case.insert_one(document)
            bare_times.append(time.perf_counter() - start)
        print(f"API create median {median_ms(api_times):.2f} ms, bare insert_one median {median_ms(bare_times):.2f} ms, "
              f"ratio {median_ms(api_times) / median_ms(bare_times):.1f}x")

        print(f"\n## A page of 50 with a filter and a sort over {args.cases:,} cases")
        template = documents[0]
        start = time.perf_counter()
        now = datetime.now(timezone.utc)
        def generated():
            for index in range(args.cases - len(documents)):
                data = case_data(rng)
                yield dict(copy.deepcopy(template), _id=str(uuid.uuid4()), short_id=format(index, "07x"),
                           data=data, last_updated_at=now - timedelta(seconds=index),
                           _search=[f"name_first:{data['name_first'].lower()}"])

        insert_all(db.case, generated())
        print(f"(loaded with insert_many in {time.perf_counter() - start:.0f} s; {db.case.count_documents({}):,} cases)")
        url = "/api/v1/cases?sex=female&risk_level=high&sort=-last_updated_at&per_page=50&page=3"
        assert client.get(url).status_code == 200
        query = {"data.sex": "female", "data.risk_level": "high"}
        sort = [("last_updated_at", -1), ("_id", 1)]

        def bare():
            db.case.count_documents(query)
            return list(db.case.find(query).sort(sort).skip(100).limit(50))
        t_api = timed(lambda: client.get(url), 20)
        t_bare = timed(bare, 20)
        print(f"API page median {median_ms(t_api):.1f} ms, bare find+count median {median_ms(t_bare):.1f} ms, "
              f"ratio {median_ms(t_api) / median_ms(t_bare):.2f}x")

        print("\n## Validation of the full case schema")
        samples = [case_data(rng) for _ in range(2000)]
        start = time.perf_counter()
        for data in samples:
            validate_data(config, "case", "primeromodule-cp", {}, data)
        full = len(samples) / (time.perf_counter() - start)
        validator = Draft202012Validator(record_schema(config, "case", "primeromodule-cp"))
        start = time.perf_counter()
        for data in samples:
            validator.is_valid(data)
        schema_only = len(samples) / (time.perf_counter() - start)
        print(f"validate_data (schema, options, conditions, calculations): {full:,.0f} records/s; "
              f"jsonschema alone: {schema_only:,.0f} records/s")


if __name__ == "__main__":
    main()
