"""The audit log's CSV export: the filtered entries in the reader's language, no cell a spreadsheet would run, only
for readers of the audit log, redacted as the list is, and itself audited."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

import pytest

from server.auth.audit import log_event
from server.config import PROJECT_ROOT
from server.metadata.bootstrap import bootstrap_configuration
from server.metadata.versions import LanguageSettings
from server.services.audit_log import safe_cell
from server.storage import get_db
from tests.builders import make_user
from tests.conftest import app_on, authenticated

NOW = datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture
def shipped():
    """The shipped configuration, an administrator, a national administrator and a case worker; a few entries."""
    with app_on("mongomock://") as app:
        with app.app_context():
            bootstrap_configuration(get_db(), PROJECT_ROOT / "metadata", LanguageSettings(("en", "fr"), "en"))
            for at, user, action, record, detail in [
                    (NOW - timedelta(days=3), "awa", "login", None, "password"),
                    (NOW - timedelta(days=1), "awa", "read", "5f0c1c55-0000-4000-8000-000000000001", None),
                    (NOW - timedelta(hours=1), "awa", "login_failed", None, "=HYPERLINK(\"http://x\")"),
                    (NOW - timedelta(hours=1), "koffi", "login", None, "+1"),
            ]:
                log_event(get_db(), action=action, user_name=user, at=at, address="10.0.0.7",
                          resource="case" if record else None, record_id=record, status=200, detail=detail)
        clients = {name: authenticated(app, make_user(app, name, role))
                   for name, role in [("admin", "role-system-administrator"),
                                      ("national", "role-national-administrator"), ("worker", "role-case-worker")]}
        yield app, clients


def rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_the_export_holds_the_filtered_entries_in_french_with_no_formula(shipped):
    _, clients = shipped
    table = rows(clients["admin"].get("/api/v1/audit_logs/export.csv",
                                      query_string={"user_name": "awa", "locale": "fr"}))
    assert table[0] == ["Quand (UTC)", "Utilisateur", "Action", "Code de l'action", "Concerne", "Dossier", "Résultat",
                        "Adresse", "Détail"]
    assert [(row[1], row[2], row[3]) for row in table[1:]] == [("awa", "Échec de connexion", "login_failed"),
                                                            ("awa", "Dossier consulté", "read"),
                                                            ("awa", "Connexion", "login")]
    assert table[1][8] == "'=HYPERLINK(\"http://x\")"  # a formula is text
    assert table[2][4:6] == ["Dossier", "5f0c1c55-0000-4000-8000-000000000001"]


def test_the_export_follows_the_date_range_and_the_action(shipped):
    _, clients = shipped
    since = (NOW - timedelta(days=2)).isoformat()
    table = rows(clients["admin"].get("/api/v1/audit_logs/export.csv",
                                      query_string={"from": since, "action": "login", "locale": "en"}))
    assert [(row[1], row[2], row[8]) for row in table[1:]] == [("koffi", "Logged in", "'+1")]


def test_exporting_is_audited(shipped):
    _, clients = shipped
    rows(clients["admin"].get("/api/v1/audit_logs/export.csv", query_string={"user_name": "awa"}))
    entries = clients["admin"].get("/api/v1/audit_logs", query_string={"action": "audit_export"}).get_json()["data"]
    assert [(entry["user_name"], entry["detail"]) for entry in entries] == [("admin", "3 entries; user_name=awa")]


def test_a_reader_who_sees_no_case_sees_no_case_id_in_the_export(shipped):
    _, clients = shipped
    table = rows(clients["national"].get("/api/v1/audit_logs/export.csv", query_string={"action": "read"}))
    assert len(table) == 2 and table[1][5] == "" and "5f0c1c55" not in str(table)


def test_a_role_without_the_audit_log_may_not_export_it(shipped):
    _, clients = shipped
    refused = clients["worker"].get("/api/v1/audit_logs/export.csv")
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "PERMISSION_DENIED"


@pytest.mark.parametrize("value, shown", [("=1+1", "'=1+1"), ("+33 6", "'+33 6"), ("-2", "'-2"),
                                          ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("plain", "plain"),
                                          (None, ""), (403, "403")])
def test_cells_never_start_a_formula(value, shown):
    assert safe_cell(value) == shown
