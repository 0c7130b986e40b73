"""The expression language of display conditions and calculations."""
import pytest

from server.metadata.expressions import ExpressionError, evaluate, referenced_fields

DATA = {"sex": "female", "age": 15, "concerns": ["abuse", "street"], "adults": 2, "children": 3, "name": "Awa"}


@pytest.mark.parametrize("expression,expected", [
    ({"eq": {"sex": "female"}}, True), ({"eq": {"concerns": "street"}}, True), ({"in": {"sex": ["male"]}}, False),
    ({"in": {"concerns": ["street", "x"]}}, True), ({"gt": {"age": 14}}, True), ({"ge": {"age": 15}}, True),
    ({"lt": {"age": 15}}, False), ({"le": {"age": 15}}, True), ({"gt": {"name": 3}}, False), ({"gt": {"missing": 1}}, False),
    ({"and": [{"eq": {"sex": "female"}}, {"gt": {"age": 14}}]}, True), ({"or": [{"eq": {"sex": "male"}}, {"lt": {"age": 1}}]}, False),
    ({"not": {"eq": {"sex": "male"}}}, True),
    ({"sum": ["adults", "children", 1]}, 6), ({"avg": ["adults", "children"]}, 2.5), ({"sum": ["missing"]}, None),
    ({"sum": ["adults", {"avg": ["children", 1]}]}, 4),
])
def test_evaluation(expression, expected):
    assert evaluate(expression, DATA) == expected


@pytest.mark.parametrize("expression,code", [
    ({"like": {"sex": "f"}}, "unknown_operator"), ({"eq": {"a": 1, "b": 2}}, "comparison_shape"),
    ({"in": {"sex": "female"}}, "in_needs_list"), ({"and": []}, "logical_needs_list"), ({}, "expression_shape"),
    ({"sum": [True]}, "aggregate_operand"), ({"gt": {"age": [1]}}, "comparison_value"),
])
def test_grammar_errors_have_stable_codes(expression, code):
    with pytest.raises(ExpressionError) as error:
        list(referenced_fields(expression))
    assert error.value.code == code


def test_nesting_is_bounded_and_fields_are_listed():
    deep = {"eq": {"a": 1}}
    for _ in range(25):
        deep = {"not": deep}
    with pytest.raises(ExpressionError) as error:
        list(referenced_fields(deep))
    assert error.value.code == "expression_too_deep"
    assert list(referenced_fields({"and": [{"eq": {"a": 1}}, {"sum": ["b", {"avg": ["c"]}]}]})) == ["a", "b", "c"]
