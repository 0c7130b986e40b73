"""The JSON expression language of display conditions and calculations.

    {"eq": {"sex": "female"}}   {"in": {"risk_level": ["high", "medium"]}}   {"gt": {"age": 14}}
    {"and": [expr, ...]}   {"or": [expr, ...]}   {"not": expr}
    {"sum": ["field_a", "field_b", 2, {"avg": [...]}]}   {"avg": [...]}

A comparison maps exactly one field name to a value. The server evaluates the same expressions
the field apps do: `required` applies only to a shown field, calculated fields are computed here.
"""
from __future__ import annotations

from typing import Any, Iterator

COMPARISONS = ("eq", "gt", "ge", "lt", "le", "in")
LOGICAL = ("and", "or", "not")
AGGREGATES = ("sum", "avg")
OPERATORS = COMPARISONS + LOGICAL + AGGREGATES
MAX_DEPTH = 20


class ExpressionError(ValueError):
    """An expression that does not follow the grammar; `code` names the rule."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def referenced_fields(expression: Any, depth: int = 0) -> Iterator[str]:
    """Yield the field names an expression reads; ExpressionError when it breaks the grammar."""
    if depth > MAX_DEPTH:
        raise ExpressionError("expression_too_deep", limit=MAX_DEPTH)
    if not isinstance(expression, dict) or len(expression) != 1:
        raise ExpressionError("expression_shape")
    (operator, operand), = expression.items()
    if operator in COMPARISONS:
        if not isinstance(operand, dict) or len(operand) != 1:
            raise ExpressionError("comparison_shape", operator=operator)
        (name, value), = operand.items()
        if operator == "in" and not isinstance(value, list):
            raise ExpressionError("in_needs_list")
        if operator in ("gt", "ge", "lt", "le") and (isinstance(value, bool) or
                                                      not isinstance(value, (int, float, str))):
            raise ExpressionError("comparison_value", operator=operator)
        yield name
    elif operator in ("and", "or"):
        if not isinstance(operand, list) or not operand:
            raise ExpressionError("logical_needs_list", operator=operator)
        for part in operand:
            yield from referenced_fields(part, depth + 1)
    elif operator == "not":
        yield from referenced_fields(operand, depth + 1)
    elif operator in AGGREGATES:
        if not isinstance(operand, list) or not operand:
            raise ExpressionError("aggregate_needs_list", operator=operator)
        for part in operand:
            if isinstance(part, str):
                yield part
            elif isinstance(part, dict):
                if next(iter(part), None) not in AGGREGATES:
                    raise ExpressionError("aggregate_operand", operator=operator)
                yield from referenced_fields(part, depth + 1)
            elif isinstance(part, bool) or not isinstance(part, (int, float)):
                raise ExpressionError("aggregate_operand", operator=operator)
    else:
        raise ExpressionError("unknown_operator", operator=operator)


def is_calculation(expression: Any) -> bool:
    """Tell whether an expression computes a number (sum/avg) rather than a truth value."""
    return isinstance(expression, dict) and len(expression) == 1 and next(iter(expression)) in AGGREGATES


def _compare(operator: str, actual: Any, expected: Any) -> bool:
    if operator == "eq":
        return actual == expected or (isinstance(actual, list) and expected in actual)
    if operator == "in":
        values = actual if isinstance(actual, list) else [actual]
        return any(value in expected for value in values)
    if actual is None or isinstance(actual, (list, dict, bool)):
        return False
    try:
        return {"gt": actual > expected, "ge": actual >= expected,
                "lt": actual < expected, "le": actual <= expected}[operator]
    except TypeError:  # a number compared to a text: never true, never an error
        return False


def evaluate(expression: dict, data: dict[str, Any]) -> Any:
    """Evaluate a condition (-> bool) or a calculation (-> number or None) over record data."""
    (operator, operand), = expression.items()
    if operator in COMPARISONS:
        (name, expected), = operand.items()
        return _compare(operator, data.get(name), expected)
    if operator == "and":
        return all(evaluate(part, data) for part in operand)
    if operator == "or":
        return any(evaluate(part, data) for part in operand)
    if operator == "not":
        return not evaluate(operand, data)
    numbers = [number for number in (_operand_value(part, data) for part in operand) if number is not None]
    if not numbers:
        return None
    total = sum(numbers)
    return total if operator == "sum" else total / len(numbers)


def _operand_value(part: Any, data: dict[str, Any]) -> float | None:
    if isinstance(part, str):
        value = data.get(part)
    elif isinstance(part, dict):
        value = evaluate(part, data)
    else:
        value = part
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
