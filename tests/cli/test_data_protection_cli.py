"""`abri retention preview|run` and `abri subject-access` on SecantusDB, as the machine's operator: what they print,
what they change, and their audit entries (by "system", from "cli")."""
from __future__ import annotations

import json
import uuid
import zipfile

import pytest
from click.testing import CliRunner

from server.cli import cli
from tests.conftest import app_on
from tests.data_protection_world import NAMES, ok, open_office


@pytest.fixture
def operator(monkeypatch, secantus_uri):
    """A CliRunner on the office's database (SecantusDB), the office, and that database."""
    name = f"abri_cli_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("ABRI_MONGO_URI", secantus_uri)
    monkeypatch.setenv("ABRI_MONGO_DB_NAME", name)
    with app_on(secantus_uri, MONGO_DB_NAME=name) as application:
        yield CliRunner(), open_office(application), application.extensions["abri_db"]


def run(runner: CliRunner, *args: str, status: int = 0) -> str:
    done = runner.invoke(cli, list(args))
    assert done.exit_code == status, done.output
    return done.output


def test_the_operator_previews_tries_and_applies_the_retention_rules(operator):
    runner, office, db = operator
    awa = office.cases["awa"]
    preview = run(runner, "retention", "preview")
    assert preview.startswith("closed-cases-pseudonymised: pseudonymise case closed records 1826 days after "
                              f"date_closure: 1 due ({awa['case_id_display']})")
    dry = run(runner, "retention", "run", "--dry-run")
    assert "    name_first: 1" in dry and "1 records would change, 0 finished from an earlier run, 0 remaining" in dry
    assert ok(office.as_("worker").get(office.case_url("awa")))["data"]["data"]["name_first"] == "Awa"

    done = json.loads(run(runner, "retention", "run", "--json"))
    assert (done["rules"][0]["done"], done["remaining"]) == (1, 0)
    case = db.case.find_one({"_id": awa["id"]})
    assert case["pseudonymised_at"] and not [name for name in NAMES if name in json.dumps(case, default=str)]
    assert "0 records changed" in run(runner, "retention", "run")  # nothing is left to do
    audited = [(e["user_name"], e["action"], e["address"]) for e in
               db.audit_log.find({"action": {"$regex": "^(retention|pseudonymise)"}}).sort("at", 1)]
    assert audited == [("system", "retention_preview", "cli"), ("system", "retention_dry_run", "cli"),
                       ("system", "pseudonymise", "cli"), ("system", "retention_run", "cli"),
                       ("system", "retention_run", "cli")]


def test_the_operator_writes_a_childs_archive_to_a_file(operator, tmp_path):
    runner, office, db = operator
    awa, out = office.cases["awa"], tmp_path / "awa.zip"
    printed = run(runner, "subject-access", awa["short_id"], "--out", str(out), "--locale", "fr")
    assert printed.startswith("Wrote 3 records, ") and str(out) in printed
    archive = zipfile.ZipFile(out)
    assert archive.read("README.txt").decode().startswith("Données qu'Abri détient sur un enfant")
    assert json.loads(archive.read(f"records/case-{awa['short_id']}.json"))["data"]["name_last"] == "Kpogbé"
    assert db.audit_log.find_one({"action": "subject_access"})["record_id"] == awa["id"]

    missing = tmp_path / "nobody.zip"
    assert "NOT_FOUND" in run(runner, "subject-access", "zzzzzzz", "--out", str(missing), status=1)
    assert not missing.exists() and [path.name for path in tmp_path.iterdir()] == ["awa.zip"]  # nothing half-written
