"""Configuration cannot be turned into a weapon: patterns run in linear time, identifiers are whole strings.

On mongomock and on SecantusDB: a write is refused before anything reaches the database.
"""
import time

from tests.builders import field, form, i18n, lookup, publish


def add_field(client, data, form_id="basic_identity"):
    return client.post(f"/api/v1/forms/{form_id}/fields", json={"data": data})


def details(response):
    return {(d["field"], d["code"]) for d in response.get_json()["error"]["details"]}


def test_a_nested_repetition_cannot_stall_a_write(backend_client):
    assert add_field(backend_client, field("code_word", pattern="^(a+)+$")).status_code == 200
    publish(backend_client)
    started = time.perf_counter()
    # 30 letters take Python's backtracking re about 40 s (doubling with each letter); RE2 takes microseconds.
    response = backend_client.post("/api/v1/cases", json={"data": {"code_word": "a" * 30 + "!"}})
    assert time.perf_counter() - started < 1
    assert response.status_code == 422
    assert details(response) == {("/code_word", "pattern")}
    assert backend_client.get("/api/v1/cases").get_json()["meta"]["total"] == 0
    accepted = backend_client.post("/api/v1/cases", json={"data": {"code_word": "a" * 40}})
    assert accepted.status_code == 201 and accepted.get_json()["data"]["data"]["code_word"] == "a" * 40


def test_a_pattern_matches_the_whole_value_not_up_to_a_trailing_newline(backend_client):
    assert add_field(backend_client, field("npi", pattern=r"^\d{10}$",
                                           pattern_hint_i18n=i18n("10 digits", "10 chiffres"))).status_code == 200
    publish(backend_client)
    response = backend_client.post("/api/v1/cases?locale=fr", json={"data": {"npi": "0123456789\n"}})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == [
        {"field": "/npi", "code": "pattern", "message": "N'est pas au format attendu : 10 chiffres."}]
    assert backend_client.post("/api/v1/cases", json={"data": {"npi": "0123456789"}}).status_code == 201


def test_a_pattern_the_linear_engine_cannot_run_is_refused_at_the_check(client):
    response = add_field(client, field("twice", pattern=r"^(\w+) \1$"))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "CHECKS_FAILED"
    assert [(d["field"], d["code"]) for d in error["details"]] == [
        ("form:basic_identity/twice/pattern", "PATTERN_UNSUPPORTED")]
    assert "a backreference" in error["details"][0]["message"]
    lookahead = add_field(client, field("strong", pattern=r"^(?=.*\d).{8,}$"))
    assert [d["code"] for d in lookahead.get_json()["error"]["details"]] == ["PATTERN_UNSUPPORTED"]
    form_now = client.get("/api/v1/forms/basic_identity?draft=true").get_json()["data"]
    assert not {"twice", "strong"} & {f["name"] for f in form_now["fields"]}


def test_the_check_speaks_french(client):
    response = client.post("/api/v1/forms/basic_identity/fields?locale=fr",
                           json={"data": field("strong", pattern=r"^(?=.*\d).{8,}$")})
    message = response.get_json()["error"]["details"][0]["message"]
    assert message.startswith("Le format utilise une assertion avant ou arrière")


def test_a_field_name_with_a_trailing_newline_is_refused(backend_client):
    response = add_field(backend_client, field("name\n"))
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "DOCUMENT_INVALID"
    assert {code for pointer, code in details(response) if pointer.endswith("/name")} == {"pattern"}
    names = [f["name"] for f in backend_client.get("/api/v1/forms/basic_identity?draft=true").get_json()["data"]["fields"]]
    assert names.count("name") == 1 and "name\n" not in names


def test_a_form_id_with_a_trailing_newline_is_refused(backend_client):
    response = backend_client.post("/api/v1/forms", json={"data": form("extra_form\n", field("note"))})
    assert response.status_code == 422
    assert ("/unique_id", "pattern") in details(response)
    assert backend_client.get("/api/v1/forms/extra_form?draft=true").status_code == 404


def test_a_lookup_value_id_with_a_newline_or_a_nul_is_refused(backend_client):
    def add_value(value_id):
        return backend_client.post("/api/v1/lookups/lookup-sex/values",
                                   json={"data": {"id": value_id, "display_text": i18n("Female")}})
    assert {code for pointer, code in details(add_value("female\n")) if pointer.endswith("/id")} == {"pattern"}
    nul = add_value("female\x00")  # refused at the edge (nul) or by the identifier rule (pattern)
    assert nul.status_code == 422 and {p for p, _ in details(nul)} & {"/data/id", "/lookup_values_i18n/2/id"}
    values = backend_client.get("/api/v1/lookups/lookup-sex?draft=true").get_json()["data"]["lookup_values_i18n"]
    assert [v["id"] for v in values] == ["female", "male"]
    response = backend_client.post("/api/v1/lookups", json={"data": lookup("lookup-language\n", "fon")})
    assert ("/unique_id", "pattern") in details(response)
