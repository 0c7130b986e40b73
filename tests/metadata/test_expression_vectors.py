"""The shared vectors of the expression language, run through the Python reference.

tests/vectors/expressions.json is also run, in Chromium, against the field apps' JavaScript
(tests/app/test_expression_vectors_browser.py): the two implementations agree on every vector.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.metadata.expressions import (OPERATORS, ExpressionError, evaluate, is_calculation, json_equal,
                                         referenced_fields)
from server.metadata.problems import EXPRESSION_REASONS

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "expressions.json").read_text("utf-8"))


def _kind(value) -> str:
    """The JSON type of a result: a boolean is not a number; 3 and 3.0 are both numbers."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "number" if isinstance(value, (int, float)) else type(value).__name__


def _operators(expression):
    """Every operator an expression uses, nested ones included."""
    (operator, operand), = expression.items()
    yield operator
    parts = operand if isinstance(operand, list) else [operand] if operator == "not" else []
    for part in parts:
        if isinstance(part, dict):
            yield from _operators(part)


@pytest.mark.parametrize("vector", VECTORS["evaluate"], ids=[vector["name"] for vector in VECTORS["evaluate"]])
def test_evaluation_gives_the_vector_result(vector):
    result = evaluate(vector["expression"], vector["data"])
    assert (_kind(result), result) == (_kind(vector["result"]), vector["result"])
    assert json_equal(result, vector["result"])
    assert is_calculation(vector["expression"]) == (not isinstance(vector["result"], bool))


@pytest.mark.parametrize("vector", VECTORS["grammar"], ids=[vector["name"] for vector in VECTORS["grammar"]])
def test_grammar_lists_the_vector_fields_or_refuses_with_its_code(vector):
    if "error" in vector:
        with pytest.raises(ExpressionError) as error:
            list(referenced_fields(vector["expression"]))
        assert error.value.code == vector["error"]
    else:
        assert list(referenced_fields(vector["expression"])) == vector["fields"]


def test_vectors_cover_every_operator_and_every_error_code():
    names = [vector["name"] for vector in VECTORS["evaluate"] + VECTORS["grammar"]]
    assert len(VECTORS["evaluate"]) >= 150 and len(VECTORS["grammar"]) >= 40
    assert len(names) == len(set(names))
    used = {operator for vector in VECTORS["evaluate"] for operator in _operators(vector["expression"])}
    assert sorted(set(OPERATORS) - used) == []
    # The checks' catalogue gives a reason for every code an ExpressionError carries.
    assert sorted(set(EXPRESSION_REASONS) - {vector.get("error") for vector in VECTORS["grammar"]}) == []
