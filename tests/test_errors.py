"""One error catalogue, one rules vocabulary, one table of HTTP statuses at the edge."""
import ast
import importlib
import pkgutil
from pathlib import Path

import pytest
from marshmallow import ValidationError, fields, validate

from server.api.arguments import ArgumentSchema
from server.api.errors import STATUSES, flatten_messages
from server.errors import CODES, AbriError, Detail, Error, NotFound, Unprocessable
from server.messages import _l, render
from server.rules import Rule, Violation

SERVER = Path(__file__).resolve().parent.parent / "server"


def error_kinds() -> dict[str, type]:
    """Every AbriError subclass importable from server/, by name."""
    import server

    for module in pkgutil.walk_packages(server.__path__, "server."):
        if not module.name.endswith("__main__"):
            importlib.import_module(module.name)
    kinds, todo = {}, [AbriError]
    while todo:
        kind = todo.pop()
        kinds[kind.__name__] = kind
        todo.extend(kind.__subclasses__())
    return kinds


def raise_sites():
    """(path, line, kind name, code) of every construction of an error kind in server/."""
    kinds = error_kinds()
    for path in sorted(SERVER.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in kinds:
                first = node.args[0] if node.args else None
                code = next((k.value.value for k in node.keywords
                             if k.arg == "code" and isinstance(k.value, ast.Constant)), None)
                if isinstance(first, ast.Attribute) and getattr(first.value, "id", None) == "Error":
                    assert first.attr in Error.__members__, f"{path}:{node.lineno}: no Error.{first.attr}"
                    code = Error[first.attr].code
                yield path.relative_to(SERVER.parent), node.lineno, node.func.id, code or kinds[node.func.id].code


def test_every_code_of_the_catalogue_has_an_http_status_and_the_table_no_other():
    assert set(STATUSES) == set(CODES)


def test_every_raise_site_names_a_code_of_the_catalogue_with_the_status_of_its_kind():
    kinds = error_kinds()
    sites = list(raise_sites())
    assert len(sites) > 100
    for path, line, kind, code in sites:
        assert code in CODES, f"{path}:{line}: {code} is not in server.errors.Error"
        assert STATUSES[code] == kinds[kind].status, f"{path}:{line}: {kind} raises {code}"


def test_error_subclasses_carry_codes_of_the_catalogue():
    for kind in error_kinds().values():
        assert kind.code in CODES, kind


def test_a_domain_error_carries_a_code_and_parameters_and_renders_in_the_language_it_is_given():
    error = Unprocessable(Error.RECORD_MODULE, modules="cp, gbv")
    assert (error.code, error.params) == ("RECORD_INVALID", {"modules": "cp, gbv"})
    assert error.as_json("en")["error"]["message"] == "Choose the module of the record: one of cp, gbv."
    assert error.as_json("fr")["error"]["message"] == "Choisissez le module du dossier : l'un de cp, gbv."


def test_the_old_call_form_still_works():
    error = NotFound(kind=_l("Form"), id="basic_identity")
    assert error.code == "NOT_FOUND"
    assert error.as_json("fr")["error"]["message"] == "Formulaire basic_identity est introuvable."


def test_numbers_and_nested_messages_are_rendered_in_the_language_without_flask():
    assert render(Rule.MAXIMUM.template, {"limit": 12500}, "fr") == "Doit être au plus 12\u202f500."
    assert render(Rule.MAXIMUM.template, {"limit": 12500}, "en") == "Must be at most 12,500."
    detail = Detail.of("/age", Rule.MAXIMUM, limit=120)
    assert detail.as_json("fr") == {"field": "/age", "code": "maximum", "message": "Doit être au plus 120."}


def test_rule_codes_are_stable_names():
    assert {rule.code for rule in Rule} >= {"required", "unknown", "type", "enum", "pattern", "range", "minimum",
                                            "maximum", "max_length", "min_length", "format", "nul"}


class Pages(ArgumentSchema):
    page = fields.Integer(validate=validate.Range(min=1, max=100))
    name = fields.String(required=True, validate=validate.Length(max=5))
    kind = fields.String(validate=validate.OneOf(["case", "incident"]))
    tags = fields.List(fields.String(validate=validate.Length(max=3)))
    flag = fields.Boolean()


def details_of(data) -> list[tuple[str, str, str]]:
    with pytest.raises(ValidationError) as refused:
        Pages().load(data)
    return sorted((d.field, d.code, d.as_json("fr")["message"]) for d in flatten_messages(refused.value.messages))


def test_argument_errors_are_rules_by_structure_never_by_english_text():
    assert details_of({"page": "x", "flag": "maybe", "extra": 1}) == [
        ("extra", "unknown", "Ce champ n'est pas autorisé ici."),
        ("flag", "type", "Doit être vrai ou faux."),
        ("name", "required", "Ce champ est obligatoire."),
        ("page", "type", "Doit être un nombre entier.")]
    assert details_of({"page": 0, "name": "abcdefg", "kind": "person", "tags": ["abcd"]}) == [
        ("kind", "enum", "Doit être l'une des valeurs : case, incident."),
        ("name", "max_length", "Doit contenir au plus 5 caractères."),
        ("page", "range", "Doit être compris entre 1 et 100."),
        ("tags.0", "max_length", "Doit contenir au plus 3 caractères.")]


def test_argument_schema_violations_keep_their_parameters():
    with pytest.raises(ValidationError) as refused:
        Pages().load({"name": "abcdefg"})
    assert refused.value.messages == {"name": [Violation(Rule.MAX_LENGTH, {"limit": 5})]}


def test_a_query_parameter_out_of_range_is_answered_in_the_request_language(client):
    response = client.get("/api/v1/users?page=0&locale=fr")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "BAD_PARAMETER"
    assert response.get_json()["error"]["details"] == [
        {"field": "page", "code": "range", "message": "Doit être compris entre 1 et 2\u202f147\u202f483\u202f647."}]


def test_an_error_raised_from_the_catalogue_names_its_member():
    assert Unprocessable(Error.RECORD_MODULE, modules="cp").error is Error.RECORD_MODULE
    assert NotFound(kind="Case", id="x").error is Error.NOT_FOUND


def calls_in_server():
    for path in sorted(SERVER.rglob("*.py")):
        source = path.read_text("utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call):
                yield path.relative_to(SERVER.parent), node


def is_marked_text(node) -> bool:
    return isinstance(node, ast.Call) and getattr(node.func, "id", None) == "_l"


def test_errors_are_raised_from_the_catalogue_not_with_their_own_text_or_code():
    kinds = error_kinds()
    own = [f"{path}:{node.lineno}" for path, node in calls_in_server()
           if isinstance(node.func, ast.Name) and node.func.id in kinds
           and (any(k.arg == "code" for k in node.keywords) or (node.args and is_marked_text(node.args[0])))]
    assert own == [], "raise Kind(Error.MEMBER, **params): add the member to server.errors.Error"


def test_failing_fields_name_a_rule_of_the_vocabulary_not_their_own_text():
    own = [f"{path}:{node.lineno}" for path, node in calls_in_server()
           if getattr(node.func, "id", None) == "Detail" and any(map(is_marked_text, node.args))]
    assert own == [], "Detail.of(where, Rule.MEMBER, **params): add the rule to server.rules.Rule"


def test_every_api_input_schema_reports_violations_by_structure():
    checked = 0
    for path in sorted((SERVER / "api").glob("*.py")):
        module = importlib.import_module(f"server.api.{path.stem}")
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "arguments" and node.args):
                continue
            argument = node.args[0]
            if isinstance(argument, ast.Subscript) and isinstance(argument.value, ast.Name):  # BODIES[name]
                schemas = list(getattr(module, argument.value.id).values())
            else:
                schemas = [getattr(module, argument.id)]
            assert all(issubclass(schema, ArgumentSchema) for schema in schemas), f"{path.name}: {schemas}"
            checked += 1
    assert checked > 20


def test_messages_read_the_catalogs_where_the_app_finds_them():
    from server.config import shipped_path
    from server.messages import TRANSLATIONS_DIR

    assert TRANSLATIONS_DIR == shipped_path("translations")
