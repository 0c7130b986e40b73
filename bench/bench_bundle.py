"""The sync bundle's size (issue #16): what a tablet downloads to work offline, raw and gzipped.

    python bench/bench_bundle.py

For the shipped configuration and for each country profile (bj, cm): the full bundle of a system administrator
(every form) and of a social worker (the forms their role reads), with all languages and with ?locale=fr, raw and
as sent gzipped; then the delta (`since=<version>`) after an administrator changes one form's label and publishes,
and the 304 revalidation. Everything is measured through the API on mongomock (sizes do not depend on the
database).
"""
from __future__ import annotations

import gzip
import json
import sys
from datetime import datetime, timedelta, timezone

from common import ROOT, header


def bundle_app(profile: str | None):
    from server.app import create_app
    from server.auth import accounts, tokens
    from server.metadata.bootstrap import bootstrap_configuration
    from server.metadata.versions import LanguageSettings, published_configuration
    from server.storage import get_db

    app = create_app({"MONGO_URI": "mongomock://", "MONGO_DB_NAME": f"bundle_{profile}", "EXPORT_WORKER_THREADS": 0})
    with app.app_context():
        db = get_db()
        bootstrap_configuration(db, ROOT / "metadata", LanguageSettings(("en", "fr"), "en"), profile=profile)
        config, now, made = published_configuration(db), datetime.now(timezone.utc), {}
        worker_role = next(uid for uid in ("role-social-worker", "role-cp-case-worker", "role-case-worker")
                           if uid in config.roles)
        for name, role_id in (("admin", "role-system-administrator"), ("worker", worker_role)):
            user = accounts.create_user(db, config, {"user_name": name, "password": "quiet lagoon at dusk",
                                                     "role_unique_id": role_id}, now)
            made[name] = tokens.issue_token(db, user, tokens.BEARER, now, timedelta(hours=1))["token"]
    return app, made, worker_role


def sizes(client, url: str) -> tuple[int, int, str]:
    raw = client.get(url)
    packed = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert raw.status_code == packed.status_code == 200, raw.get_json()
    assert packed.headers.get("Content-Encoding") == "gzip"
    unpacked, plain = json.loads(gzip.decompress(packed.data)), json.loads(raw.data)
    for body in (unpacked, plain):
        body["data"].pop("server_time")
    assert unpacked == plain
    return len(raw.data), len(packed.data), raw.headers["ETag"]


def main() -> None:
    header("python bench/bench_bundle.py")
    print(f"{'configuration':<14} {'user':<28} {'request':<34} {'raw':>10} {'gzip':>9}")
    for profile in (None, "bj", "cm"):
        app, made, worker_role = bundle_app(profile)
        try:
            clients = {}
            for name, token in made.items():
                clients[name] = app.test_client()
                clients[name].environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
            label = profile or "shipped"
            for name in ("admin", "worker"):
                who = "system administrator" if name == "admin" else worker_role
                for url in ("/api/v1/sync/bundle", "/api/v1/sync/bundle?locale=fr"):
                    raw, packed, _ = sizes(clients[name], url)
                    print(f"{label:<14} {who:<28} {url.removeprefix('/api/v1'):<34} {raw:>10,} {packed:>9,}")
            worker = clients["worker"]
            _, _, etag = sizes(worker, "/api/v1/sync/bundle")
            admin = clients["admin"]
            version = admin.get("/api/v1/sync/bundle").get_json()["data"]["version"]
            form_id = worker.get("/api/v1/sync/bundle").get_json()["data"]["forms"][0]["unique_id"]
            form = admin.get(f"/api/v1/forms/{form_id}").get_json()["data"]
            names = dict(form["name_i18n"], fr=form["name_i18n"].get("fr", "") + " (modifié)")
            assert admin.patch(f"/api/v1/forms/{form_id}", json={"data": {"name_i18n": names}}).status_code == 200
            assert admin.post("/api/v1/metadata/publish", json={"data": {"comment": "one label"}}).status_code == 201
            raw, packed, _ = sizes(worker, f"/api/v1/sync/bundle?since={version}")
            print(f"{label:<14} {worker_role:<28} {'delta after one label (since=' + str(version) + ')':<34} "
                  f"{raw:>10,} {packed:>9,}")
            same = worker.get(f"/api/v1/sync/bundle?since={version + 1}")
            revalidated = worker.get(f"/api/v1/sync/bundle?since={version + 1}",
                                     headers={"If-None-Match": same.headers["ETag"]})
            print(f"{label:<14} {worker_role:<28} {'revalidation (If-None-Match)':<34} "
                  f"{revalidated.status_code:>10} {len(revalidated.data):>9,}")
        finally:
            app.close()


if __name__ == "__main__":
    sys.exit(main())
