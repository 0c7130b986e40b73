"""Bad input gets a 4xx naming the field and the rule; never a 500, never a half-applied change."""
import io
import json
import struct
import tracemalloc
import zipfile
import zlib

import pytest

from server.errors import PayloadTooLarge
from tests.builders import field, form


def error_of(response):
    return response.get_json()["error"]


def draft_of(client, form_id="basic_identity"):
    return client.get(f"/api/v1/forms/{form_id}?draft=true").get_json()


def test_malformed_json(backend_client):
    response = backend_client.post("/api/v1/forms", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "MALFORMED_JSON"


def test_body_that_is_not_json(client):
    response = client.post("/api/v1/forms", data="unique_id=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and error_of(response)["code"] == "CONTENT_TYPE"


@pytest.mark.parametrize("key", ["$where", "$ne", "a.b"])
def test_operator_like_keys_are_refused_anywhere_in_a_body(client, key):
    body = {"data": form("other_form", field("x"), module_ids=["primeromodule-cp"])}
    body["data"]["fields"][0]["display_name_i18n"] = {"en": "X", key: "y"}
    response = client.post("/api/v1/forms", json=body)
    assert response.status_code == 422
    assert error_of(response)["details"][0] == {
        "field": f"/data/fields/0/display_name_i18n/{key}", "code": "key_forbidden",
        "message": "Keys may not start with $ or contain a dot."}


def test_deep_nesting_is_refused(client):
    body = {"data": {}}
    node = body["data"]
    for _ in range(50):
        node["n"] = {}
        node = node["n"]
    response = client.post("/api/v1/forms", json=body)
    assert response.status_code == 422
    assert error_of(response)["details"][0]["code"] == "max_depth"


def test_very_deep_nesting_does_not_crash_the_parser(client):
    response = client.post("/api/v1/forms", data="[" * 100_000 + "]" * 100_000, content_type="application/json")
    assert response.status_code in (400, 422)
    assert "error" in response.get_json()


def test_unknown_envelope_key(client):
    response = client.post("/api/v1/forms", json={"data": form("x_form", field("x")), "extra": 1})
    assert response.status_code == 422
    assert {"field": "extra", "code": "unknown"}.items() <= error_of(response)["details"][0].items()


def test_unknown_document_key_and_wrong_types_are_listed_together(client):
    bad = form("bad_form", field("x"), colour="red")
    bad["fields"][0]["required"] = "yes"
    response = client.post("/api/v1/forms", json={"data": bad})
    assert response.status_code == 422
    details = {(d["field"], d["code"]) for d in error_of(response)["details"]}
    assert details == {("/colour", "unknown"), ("/fields/0/required", "type")}


@pytest.mark.parametrize("name", ["Name", "1st", "with space", "é", ""])
def test_bad_field_names(client, name):
    response = client.post("/api/v1/forms/basic_identity/fields", json={"data": field(name)})
    assert response.status_code == 422
    assert error_of(response)["details"][0]["field"] == "/fields/7/name"
    assert error_of(response)["details"][0]["code"] in ("pattern", "min_length")
    assert len(draft_of(client)["data"]["fields"]) == 7


def test_duplicate_field_name(client):
    response = client.post("/api/v1/forms/basic_identity/fields", json={"data": field("age")})
    assert response.status_code == 409 and error_of(response)["code"] == "ALREADY_EXISTS"


def test_reference_to_a_missing_lookup(client):
    response = client.post("/api/v1/forms/basic_identity/fields", json={
        "data": field("religion", "select_box", option_strings_source="lookup lookup-religion")})
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "CHECKS_FAILED"
    assert error["details"] == [{"field": "form:basic_identity/religion/option_strings_source",
                                 "code": "LOOKUP_MISSING", "message": "The lookup lookup-religion does not exist."}]
    assert draft_of(client)["meta"]["revision"] == 1


def test_reference_to_a_missing_subform(client):
    response = client.post("/api/v1/forms/basic_identity/fields", json={
        "data": field("siblings", "subform", subform_section_id="siblings_section")})
    assert error_of(response)["details"][0]["code"] == "SUBFORM_MISSING"


def test_type_change_of_a_published_field(backend_client):
    assert backend_client.post("/api/v1/cases", json={"data": {"name": "Awa", "age": 9}}).status_code == 201
    response = backend_client.patch("/api/v1/forms/basic_identity/fields/age", json={"data": {"type": "text_field"}})
    assert response.status_code == 422
    assert error_of(response)["details"][0]["code"] == "PUBLISHED_FIELD_CHANGED"
    assert error_of(response)["details"][0]["field"] == "form:basic_identity/age/type"


def test_bad_expression_is_refused_with_its_reason(client):
    response = client.patch("/api/v1/forms/basic_identity/fields/risk_reason",
                            json={"data": {"display_conditions": {"like": {"risk_level": "h%"}}}})
    assert response.status_code == 422
    detail = error_of(response)["details"][0]
    assert detail["code"] == "EXPRESSION_INVALID" and "unknown operator" in detail["message"]


def test_body_over_the_size_cap(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/api/v1/forms", json={"data": {"x": "y" * 2000}})
    assert response.status_code == 413
    assert error_of(response)["code"] == "PAYLOAD_TOO_LARGE"


def test_bad_query_parameter(client):
    response = client.get("/api/v1/forms?record_type=person")
    assert response.status_code == 400
    assert error_of(response)["details"][0]["field"] == "record_type"


def test_unknown_route_and_method(client):
    assert error_of(client.get("/api/v1/nothing"))["code"] == "ROUTE_NOT_FOUND"
    assert client.delete("/api/v1/metadata/versions").status_code == 405


def test_unexpected_errors_are_500_in_the_error_shape(client, monkeypatch):
    from server.metadata import versions

    def broken(*args, **kwargs):
        raise RuntimeError("boom")
    monkeypatch.setattr(versions, "list_versions", broken)
    response = client.get("/api/v1/metadata/versions")
    assert response.status_code == 500
    assert error_of(response) == {"code": "INTERNAL_ERROR", "details": [],
                                  "message": "An unexpected error occurred. It has been logged.",
                                  "request_id": response.headers["X-Request-Id"]}  # the id of its log line


def test_anonymous_requests_are_refused(app):
    response = app.test_client().post("/api/v1/metadata/publish", json={})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "AUTHENTICATION_REQUIRED"


# Section 4 of issue #12: every value a database cannot hold, and every hostile upload, is a clean 4xx.

def strict_json(response):
    """The body parsed as strict JSON: NaN and Infinity are not JSON."""
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")
    return json.loads(response.data, parse_constant=refuse)


def case_total(client):
    return client.get("/api/v1/cases").get_json()["meta"]["total"]


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_in_a_body_are_refused_naming_the_place(backend_client, number):
    response = backend_client.post("/api/v1/cases", data='{"data": {"name": "Awa", "family_members": '
                                   '[{"relation_age": %s}]}}' % number, content_type="application/json")
    assert response.status_code == 422
    assert error_of(response)["details"] == [{
        "field": "/data/family_members/0/relation_age", "code": "not_finite",
        "message": "Must be a finite number (NaN and Infinity are not JSON numbers)."}]
    assert case_total(backend_client) == 0


@pytest.mark.parametrize("route,body", [
    ("/api/v1/forms/basic_identity/fields", {"data": field("weight", "numeric_field"), "position": 2**64}),
    ("/api/v1/forms/basic_identity/fields", {"data": field("weight", "numeric_field", max_value=-(2**63) - 1)}),
    ("/api/v1/cases", {"data": {"name": "Awa", "age": 99999999999999999999999}}),
])
def test_integers_beyond_64_bits_in_a_body_are_refused(backend_client, route, body):
    response = backend_client.post(route, json=body)
    assert response.status_code == 422
    detail = error_of(response)["details"][0]
    assert detail["code"] == "int64_range"
    assert detail["message"] == "Must be a whole number between -9,223,372,036,854,775,808 and 9,223,372,036,854,775,807."
    assert len(draft_of(backend_client)["data"]["fields"]) == 7 and case_total(backend_client) == 0


@pytest.mark.parametrize("body,place,code", [
    ('{"data": {"name": "Aw\\ud800a"}}', "/data/name", "surrogate"),
    ('{"data": {"family_members": [{"relation_name": "\\udfff"}]}}', "/data/family_members/0/relation_name",
     "surrogate"),
    ('{"data": {"na\\udc00me": "Awa"}}', "/data/na\\udc00me", "surrogate"),
    ('{"data": {"name": "Aw\\u0000a"}}', "/data/name", "nul"),
    ('{"data": {"na\\u0000me": "Awa"}}', "/data/na\\x00me", "nul"),
])
def test_lone_surrogates_and_nul_in_body_texts_and_keys_are_refused(backend_client, body, place, code):
    response = backend_client.post("/api/v1/cases", data=body, content_type="application/json")
    assert response.status_code == 422
    assert [(d["field"], d["code"]) for d in error_of(response)["details"]] == [(place, code)]
    assert case_total(backend_client) == 0


@pytest.mark.parametrize("url,name", [
    ("/api/v1/cases?page=99999999999999999999999", "page"),
    ("/api/v1/cases?page=9223372036854775807", "page"),  # 64 bits, but (page - 1) * per_page is not
    ("/api/v1/cases?page=%C2%B2", "page"),  # "²" is a digit to Python, not a number
    ("/api/v1/cases?per_page=99999999999999999999999", "per_page"),
    ("/api/v1/users?page=9223372036854775807", "page"),
    ("/api/v1/metadata/versions?page=99999999999999999999999", "page"),
    ("/api/v1/metadata/versions/99999999999999999999999", "number"),
    ("/api/v1/metadata/versions/1/diff/99999999999999999999999", "b"),
    ("/api/v1/forms?since=99999999999999999999999999999999", "since"),
    ("/api/v1/locations?since=99999999999999999999999999999999", "since"),
])
def test_integers_beyond_64_bits_in_query_and_path_parameters_are_refused(backend_client, url, name):
    response = backend_client.get(url)
    assert response.status_code == 400
    assert error_of(response)["code"] == "BAD_PARAMETER"
    assert error_of(response)["details"][0]["field"] == name


def test_huge_pages_of_a_record_history_are_refused(backend_client):
    case = backend_client.post("/api/v1/cases", json={"data": {"name": "Awa"}}).get_json()["data"]
    response = backend_client.get(f"/api/v1/cases/{case['id']}/history?page=9223372036854775807")
    assert response.status_code == 400
    assert error_of(response)["details"] == [{"field": "page", "code": "range",
                                              "message": "Must be between 1 and 2,147,483,647."}]


def test_a_restore_of_a_version_beyond_64_bits_is_refused(backend_client):
    response = backend_client.post("/api/v1/metadata/versions/99999999999999999999999/restore", json={})
    assert response.status_code == 400
    assert error_of(response)["details"][0]["field"] == "number"
    assert backend_client.get("/api/v1/metadata/versions").get_json()["meta"]["total"] == 1


@pytest.fixture
def filterable_age(backend_client):
    """The age field made filterable, and one case of age 7."""
    backend_client.patch("/api/v1/forms/basic_identity/fields/age", json={"data": {"filterable": True}})
    assert backend_client.post("/api/v1/metadata/publish", json={}).status_code == 201
    backend_client.post("/api/v1/cases", json={"data": {"name": "Awa", "age": 7}})
    return backend_client


@pytest.mark.parametrize("query,code", [
    ("age=99999999999999999999999", "range"),
    ("age=1..99999999999999999999999", "range"),
    ("age=-99999999999999999999999..7", "range"),
    ("age=nan", "format"),
    ("age=inf", "format"),
    ("age=1..1e400", "format"),
    ("created_at=0001-01-01T00:00:00%2B01:00", "format"),  # before year 1 in UTC
    ("last_updated_at=9999-12-31T23:00:00-05:00", "format"),  # after year 9999 in UTC
    ("updated_since=0001-01-01T00:30:00%2B01:00", "format"),
])
def test_filters_and_ranges_beyond_what_the_database_holds_are_refused(filterable_age, query, code):
    response = filterable_age.get(f"/api/v1/cases?{query}")
    assert response.status_code == 400
    name = query.split("=")[0]
    assert error_of(response)["message"] == f"The query parameter {name} is not valid."
    assert [(d["field"], d["code"]) for d in error_of(response)["details"]] == [(name, code)]
    for query in ("age=1..9223372036854775807", "age=-1e300..1e300", "last_updated_at=..2999-01-01T00:00:00%2B01:00"):
        assert filterable_age.get(f"/api/v1/cases?{query}").get_json()["meta"]["total"] == 1, query


@pytest.mark.parametrize("revision", ["99999999999999999999999", "²", '"1٣"'])
def test_if_match_that_is_no_64_bit_revision_is_refused(backend_client, revision):
    case = backend_client.post("/api/v1/cases", json={"data": {"name": "Awa"}}).get_json()["data"]
    response = backend_client.patch(f"/api/v1/cases/{case['id']}", json={"data": {"name": "Ali"}},
                                    headers={"If-Match": revision})
    assert response.status_code == 400
    assert error_of(response)["details"][0]["field"] == "If-Match"
    assert backend_client.get(f"/api/v1/cases/{case['id']}").get_json()["data"]["data"]["name"] == "Awa"


@pytest.mark.parametrize("text,code,message", [
    ("a" * 201, "max_length", "Must be at most 200 characters long."),  # the one wording of max_length (#14)
    ("awa " * 60, "max_length", "Must be at most 200 characters long."),
    (" ".join(f"w{n}" for n in range(11)), "max_words", "Has more than 10 words."),
])
def test_text_searches_too_long_for_the_database_are_refused(backend_client, text, code, message):
    response = backend_client.get("/api/v1/cases", query_string={"query": text})
    assert response.status_code == 400
    assert error_of(response)["details"] == [{"field": "query", "code": code, "message": message}]


@pytest.mark.parametrize("url,name", [
    ("/api/v1/cases?query=a%00b", "query"),
    ("/api/v1/cases?status=open%00", "status"),
    ("/api/v1/cases?a%00b=1", "a\\x00b"),
    ("/api/v1/forms/basic%00identity", "unique_id"),
    ("/api/v1/cases/0b0c%00", "record_id"),
    ("/api/v1/users/ad%00min", "user_name"),
])
def test_nul_in_query_parameters_and_path_segments_is_refused(backend_client, url, name):
    response = backend_client.get(url)
    assert response.status_code == 400
    assert error_of(response)["details"] == [{"field": name, "code": "nul",
                                              "message": "Text may not contain the NUL character."}]


def test_a_record_holding_nan_from_before_is_answered_as_strict_json(app, client):
    case = client.post("/api/v1/cases", json={"data": {"name": "Awa", "age": 7}}).get_json()["data"]
    app.extensions["abri_db"]["case"].update_one({"_id": case["id"]}, {"$set": {"data.age": float("nan")}})
    body = strict_json(client.get(f"/api/v1/cases/{case['id']}"))
    assert body["data"]["data"]["age"] is None and body["data"]["data"]["name"] == "Awa"


@pytest.mark.parametrize("target", ["/admin%0d%0aSet-Cookie:%20abri_session=x", "/admin/forms%0aX-Injected:%201",
                                    "/admin/forms%0d", "/admin%09/forms", "/admin/%7F"])
def test_no_control_character_reaches_the_location_of_a_redirect(app, target):
    response = app.test_client().get(f"/admin/language/fr?next={target}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
    assert "X-Injected" not in response.headers and "abri_session" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("target", ["/admin\\\\evil.example", "/admin/..\\\\..\\\\evil.example"])
def test_the_language_switch_stays_on_the_admin_pages(app, target):
    response = app.test_client().get("/admin/language/fr", query_string={"next": target})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/"


# Uploads: a few kilobytes must not unpack to gigabytes in memory.

def _raw_deflate(*chunks: tuple[bytes, int]) -> tuple[bytes, int, int]:
    """Deflate chunk * times for each (chunk, times); return (data, crc, size). Each chunk is compressed
    once: after a full flush the compressor starts afresh, so the same chunk gives the same bytes."""
    out, crc, size = [], 0, 0
    for chunk, times in chunks:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
        out.append(block * times)
        for _ in range(times):
            crc = zlib.crc32(chunk, crc)
        size += len(chunk) * times
    out.append(zlib.compressobj(9, zlib.DEFLATED, -15).flush(zlib.Z_FINISH))
    return b"".join(out), crc, size


def _zip(parts: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of already deflated parts (name, data, crc, size)."""
    body, directory = io.BytesIO(), io.BytesIO()
    for name, data, crc, size in parts:
        offset, encoded = body.tell(), name.encode()
        body.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0))
        body.write(encoded + data)
        directory.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(data), size,
                                    len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(parts), len(parts), directory.tell(), body.tell(), 0)
    return body.getvalue() + directory.getvalue() + end


def xlsx_with_sheet(*chunks: tuple[bytes, int]) -> bytes:
    """A translations workbook whose first sheet is the given XML (chunks repeated)."""
    from server.export.translation_workbook import write_translation_workbook

    template = zipfile.ZipFile(io.BytesIO(write_translation_workbook([("case", [])], "fr", "en")))
    parts = []
    for info in template.infolist():
        if info.filename == "xl/worksheets/sheet1.xml":
            parts.append((info.filename, *_raw_deflate(*chunks)))
        else:
            parts.append((info.filename, *_raw_deflate((template.read(info), 1))))
    return _zip(parts)


SHEET_START = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SHEET_END = b"</sheetData></worksheet>"


def upload_translations(client, data):
    return client.post("/api/v1/metadata/translations.xlsx?locale=fr", data=data,
                       content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def test_a_1_mb_spreadsheet_of_millions_of_cells_is_refused_in_bounded_memory(client):
    from server.export.translation_workbook import read_translation_workbook

    bomb = xlsx_with_sheet((SHEET_START + b'<row r="2">', 1), (b"<c/>" * 16384, 11_000), (b"</row>" + SHEET_END, 1))
    assert 0.9e6 < len(bomb) < 1.2e6  # 1 MB that unpacks to 720 MB: 180 million empty cells in one row
    response = upload_translations(client, bomb)
    assert response.status_code == 413
    assert error_of(response)["code"] == "SPREADSHEET_TOO_LARGE"
    assert error_of(response)["message"] == ("Le tableur est trop volumineux pour être lu. "  # ?locale=fr
                                             "Envoyez le fichier téléchargé depuis Abri.")
    assert error_of(response)["details"] == [{"field": "file", "code": "max_unpacked_size",
                                              "message": "Une fois décompressé, il dépasse 16\u202f777\u202f216 octets."}]
    tracemalloc.start()
    try:
        with pytest.raises(PayloadTooLarge):
            read_translation_workbook(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024


@pytest.mark.parametrize("chunks,code", [
    (((SHEET_START + b'<row r="2">', 1), (b"<c/>", 100_000), (b"</row>" + SHEET_END, 1)), "max_cells_per_row"),
    (((SHEET_START + b'<row r="1048576"><c t="inlineStr"><is><t>x</t></is></c></row>' + SHEET_END, 1),), "max_rows"),
    (((SHEET_START, 1), (b'<row><c t="inlineStr"><is><t>x</t></is></c></row>', 20_200), (SHEET_END, 1)), "max_rows"),
])
def test_spreadsheets_past_the_cell_and_row_limits_are_refused(client, chunks, code):
    response = upload_translations(client, xlsx_with_sheet(*chunks))
    assert response.status_code == 413
    assert error_of(response)["details"][0]["code"] == code


def test_a_spreadsheet_with_a_dtd_is_refused(client):
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
              b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
              b'<row r="2"><c t="inlineStr"><is><t>&lol2;</t></is></c></row>' + SHEET_END)
    response = upload_translations(client, xlsx_with_sheet((laughs, 1)))
    assert response.status_code == 422 and error_of(response)["code"] == "SPREADSHEET_INVALID"


@pytest.fixture
def hierarchy_client(app, client):
    """The minimal configuration with a location hierarchy in the draft."""
    from datetime import datetime, timezone

    from server.metadata import draft as drafts
    from server.metadata.versions import LanguageSettings
    from server.storage import get_db

    body = {"unique_id": "locations-xx", "name_i18n": {"en": "Xland", "fr": "Xland"},
            "admin_levels": [{"admin_level": 0, "type": "country", "type_i18n": {"en": "Country", "fr": "Pays"}},
                             {"admin_level": 1, "type": "region", "type_i18n": {"en": "Region", "fr": "Région"}}],
            "locations": [{"code": "XX", "admin_level": 0, "name_i18n": {"en": "Xland", "fr": "Xland"}}]}
    with app.app_context():
        drafts.create_document(get_db(), "location", body, LanguageSettings(("en", "fr"), "en"), "tester",
                               datetime.now(timezone.utc))
    return client


def import_places(client, text):
    return client.post("/api/v1/metadata/locations/import?unique_id=locations-xx", data=text.encode(),
                       content_type="text/csv")


def test_a_csv_cell_longer_than_the_limit_is_refused_with_its_row(hierarchy_client):
    response = import_places(hierarchy_client, "#adm1+code,#adm1+name\nXX-A,Alpha\nXX-B," + "B" * 200_000 + "\n")
    assert response.status_code == 422
    assert error_of(response)["details"] == [{"field": "row 3", "code": "max_length",
                                              "message": "Row 3: a cell is longer than 500 characters."}]


def test_a_csv_cell_with_nul_is_refused_with_its_row(hierarchy_client):
    response = import_places(hierarchy_client, "#adm1+code,#adm1+name\nXX-A,Al\x00pha\n")
    assert response.status_code == 422
    assert error_of(response)["details"][0]["code"] == "nul"


def test_a_csv_of_more_rows_than_the_limit_is_refused_while_reading(hierarchy_client):
    rows = "".join(f"XX-{n},P{n}\n" for n in range(50_001))
    response = import_places(hierarchy_client, "#adm1+code,#adm1+name\n" + rows)
    assert response.status_code == 413
    assert error_of(response)["code"] == "CSV_TOO_LARGE"
    assert error_of(response)["message"] == "The file has more than 50,000 rows; split it."


def test_a_csv_with_many_bad_rows_lists_the_first_hundred_and_counts_all(hierarchy_client):
    rows = "".join(f"bad code {n},P{n}\n" for n in range(500))
    response = import_places(hierarchy_client, "#adm1+code,#adm1+name\n" + rows)
    assert response.status_code == 422
    assert error_of(response)["message"] == "Rows refused: 500. Nothing was changed."
    assert len(error_of(response)["details"]) == 100


@pytest.mark.parametrize("query", ["from=0001-01-01T00:00:00%2B01:00", "to=9999-12-31T23:59:59-05:00"])
def test_audit_dates_outside_what_the_database_holds_are_refused(backend_client, query):
    response = backend_client.get(f"/api/v1/audit_logs?{query}")
    assert response.status_code == 400
    assert error_of(response)["details"][0]["field"] == query.split("=")[0]
