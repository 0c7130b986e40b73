"""Metadata: GET /forms full, 304 and a static file of the same bytes; publish; payload sizes.

    python bench/bench_metadata.py [--repeat 200]
"""
from __future__ import annotations

import argparse
import gzip
import tempfile
import time
from pathlib import Path

from common import ROOT, header, make_app, median_ms, p95_ms, secantus, timed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    header(f"python bench/bench_metadata.py --repeat {args.repeat}")
    from flask import Flask, send_from_directory

    from server.metadata.bootstrap import bootstrap_configuration
    from server.metadata.checks import run_checks
    from server.metadata.files import read_directory
    from server.metadata.configuration import Configuration
    from server.metadata.record_schema import compile_record_schema
    from server.metadata.versions import LanguageSettings, check_context
    from server.storage import get_db

    with secantus() as uri:
        app, client = make_app(uri)
        url = "/api/v1/forms?record_type=case"
        full = client.get(url)
        etag = full.headers["ETag"]
        body = full.data
        with tempfile.TemporaryDirectory() as folder:
            Path(folder, "forms.json").write_bytes(body)
            static_app = Flask("static")
            static_app.add_url_rule("/forms.json", "forms", lambda: send_from_directory(folder, "forms.json"))
            static = static_app.test_client()
            t_full = timed(lambda: client.get(url), args.repeat)
            t_304 = timed(lambda: client.get(url, headers={"If-None-Match": etag}), args.repeat)
            t_static = timed(lambda: static.get("/forms.json"), args.repeat)
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
        print("\n## GET /api/v1/forms?record_type=case (shipped configuration, SecantusDB, Flask test client)")
        print(f"{'':24} {'median ms':>10} {'p95 ms':>8}")
        for name, times in (("full response", t_full), ("304 revalidation", t_304), ("static file, same bytes", t_static)):
            print(f"{name:24} {median_ms(times):10.2f} {p95_ms(times):8.2f}")
        print(f"ratios: full/static {median_ms(t_full) / median_ms(t_static):.2f}x, "
              f"304/static {median_ms(t_304) / median_ms(t_static):.2f}x, full/304 {median_ms(t_full) / median_ms(t_304):.2f}x")

        print("\n## Publish of the shipped configuration")
        documents = read_directory(ROOT / "metadata")
        config = Configuration.from_documents(documents)
        languages = LanguageSettings(("en", "fr"), "en")
        with app.app_context():
            context = check_context(get_db(), Configuration(version=0), languages)
        t_checks = timed(lambda: run_checks(config, context), 20)
        t_compile = timed(lambda: [compile_record_schema(config, rt) for rt in ("case", "incident", "tracing_request")], 20)
        publish_times = []
        with app.app_context():
            for run in range(5):  # each into an empty database
                db = get_db().client[f"bench_publish_{run}"]
                start = time.perf_counter()
                bootstrap_configuration(db, ROOT / "metadata", languages)
                publish_times.append(time.perf_counter() - start)
        print(f"{len(documents)} documents; read folder + checks + store + publish: median {median_ms(publish_times):.1f} ms")
        print(f"checks alone: {median_ms(t_checks):.1f} ms; compile the 3 record schemas: {median_ms(t_compile):.1f} ms")

        print("\n## Payload")
        fr = client.get(url + "&locale=fr").data
        for name, data in (("case forms, all languages", body), ("case forms, ?locale=fr", fr)):
            print(f"{name:28} {len(data):>9,} bytes raw {len(gzip.compress(data, 6)):>8,} gzipped")
        client.patch("/api/v1/forms/basic_identity/fields/age", json={"data": {"display_name_i18n": {"fr": "Âge (ans)"}}})
        assert client.post("/api/v1/metadata/publish", json={"data": {"comment": "bench"}}).status_code == 201
        delta = client.get(url + "&since=1").data
        print(f"{'since=1 after one label':28} {len(delta):>9,} bytes raw {len(gzip.compress(delta, 6)):>8,} gzipped"
              f"  (delta/full {len(delta) / len(body):.1%})")


if __name__ == "__main__":
    main()
