"""The JSON expression language of display conditions and calculations.

    {"eq": {"sex": "female"}}   {"in": {"risk_level": ["high", "medium"]}}   {"gt": {"age": 14}}
    {"and": [expr, ...]}   {"or": [expr, ...]}   {"not": expr}
    {"sum": ["field_a", "field_b", 2, {"avg": [...]}]}   {"avg": [...]}

A comparison maps exactly one field name to a value. The server evaluates the same expressions
the field apps do: `required` applies only to a shown field, calculated fields are computed here.
Values compare as JSON values (true is not 1; 1 is 1.0), texts by code point; a missing field is
null. `condition_schema` compiles a condition into standard JSON Schema keywords that hold exactly
when the condition does, for the record schemas clients validate with.
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
                # one key first: the order of several keys is not the same in every language (JavaScript puts "1"
                # first), so the rule a shapeless part breaks must not depend on it
                if len(part) == 1 and next(iter(part)) not in AGGREGATES:
                    raise ExpressionError("aggregate_operand", operator=operator)
                yield from referenced_fields(part, depth + 1)
            elif isinstance(part, bool) or not isinstance(part, (int, float)):
                raise ExpressionError("aggregate_operand", operator=operator)
    else:
        raise ExpressionError("unknown_operator", operator=operator)


def is_calculation(expression: Any) -> bool:
    """Tell whether an expression computes a number (sum/avg) rather than a truth value."""
    return isinstance(expression, dict) and len(expression) == 1 and next(iter(expression)) in AGGREGATES


def json_equal(left: Any, right: Any) -> bool:
    """Compare as JSON does (and JSON Schema's `const`/`enum`): a boolean never equals a number."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return left == right
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(json_equal(a, b) for a, b in zip(left, right))
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(json_equal(value, right[key]) for key, value in left.items())
    return type(left) is type(right) and left == right


def _compare(operator: str, actual: Any, expected: Any) -> bool:
    if operator == "eq":
        return json_equal(actual, expected) or (isinstance(actual, list)
                                                and any(json_equal(item, expected) for item in actual))
    if operator == "in":
        values = actual if isinstance(actual, list) else [actual]
        return any(json_equal(value, choice) for value in values for choice in expected)
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
    total, count = 0, 0
    for part in operand:
        number = _operand_value(part, data)
        if number is not None:
            total, count = total + number, count + 1  # left to right, as the field apps add (not Python 3.12's sum)
    if not count:
        return None
    return total if operator == "sum" else total / count


def _operand_value(part: Any, data: dict[str, Any]) -> float | None:
    if isinstance(part, str):
        value = data.get(part)
    elif isinstance(part, dict):
        value = evaluate(part, data)
    else:
        value = part
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


# --- conditions as JSON Schema -----------------------------------------------------------------


class _Inexact:
    """A condition no standard keyword can state (it reads a value the server computes)."""

    def __repr__(self) -> str:
        return "INEXACT"


INEXACT = _Inexact()
_BOUNDS = {"gt": "exclusiveMinimum", "ge": "minimum", "lt": "exclusiveMaximum", "le": "maximum"}
_LAST_CHARACTER = "\U0010ffff"


def condition_schema(expression: dict, absent: frozenset[str] = frozenset(),
                     computed: frozenset[str] = frozenset()) -> Any:
    """Return a schema that an object satisfies exactly when `evaluate(expression, object)` is true.

    True or False when the answer does not depend on the object; INEXACT when it depends on a
    `computed` name. Names in `absent` are never in a valid object: their comparisons are constants.
    The object's null values count as missing, as the server drops them before evaluating.
    """
    (operator, operand), = expression.items()
    if operator in COMPARISONS:
        (name, value), = operand.items()
        if name in computed:
            return INEXACT
        when_missing = _compare(operator, None, value)
        if name in absent:
            return when_missing
        predicate = _predicate(operator, value)
        if predicate is False:
            return False if not when_missing else {"properties": {name: {"type": "null"}}}
        return {"properties": {name: predicate}} if when_missing else {"required": [name],
                                                                       "properties": {name: predicate}}
    if operator == "not":
        inner = condition_schema(operand, absent, computed)
        return inner if inner is INEXACT else (not inner if isinstance(inner, bool) else {"not": inner})
    parts = [condition_schema(part, absent, computed) for part in operand]
    decisive = operator == "or"  # true decides an `or`, false an `and`
    if any(part is decisive for part in parts):
        return decisive
    if any(part is INEXACT for part in parts):
        return INEXACT
    parts = [part for part in parts if part is not (not decisive)]
    if not parts:
        return not decisive
    return parts[0] if len(parts) == 1 else {"anyOf" if decisive else "allOf": parts}


def _predicate(operator: str, value: Any) -> Any:
    """The schema of a present value for which the comparison holds (null included: it holds as for missing)."""
    if operator == "eq":
        return {"anyOf": [{"const": value}, {"type": "array", "contains": {"const": value}}]}
    if operator == "in":
        if not value:
            return False
        return {"anyOf": [{"not": {"type": "array"}, "enum": value}, {"type": "array", "contains": {"enum": value}}]}
    if isinstance(value, (int, float)):
        return {"type": "number", _BOUNDS[operator]: value}
    return _text_order(operator, value)


def regex_literal(character: str) -> str:
    """A character as a regular expression reads it alike in ECMA-262, Python and RE2 (outside or in a class)."""
    if character.isascii() and character.isalnum():
        return character
    return f"\\u{ord(character):04x}" if ord(character) <= 0xFFFF else character


def _text_order(operator: str, bound: str) -> dict[str, Any]:
    """Texts after (gt, ge) or before (lt, le) `bound` in code point order, as patterns and enums."""
    prefix = [regex_literal(c) for c in bound]
    if operator in ("gt", "ge"):
        branches = ["".join(prefix[:i]) + f"[{regex_literal(chr(ord(c) + 1))}-{regex_literal(_LAST_CHARACTER)}]"
                    for i, c in enumerate(bound) if c != _LAST_CHARACTER]
        after = {"pattern": "^(?:" + "|".join([*branches, "".join(prefix) + "[\\s\\S]"]) + ")"}
        return {"type": "string", **after} if operator == "gt" else {"type": "string",
                                                                    "anyOf": [after, {"const": bound}]}
    branches = ["".join(prefix[:i]) + f"[\\u0000-{regex_literal(chr(ord(c) - 1))}]"
                for i, c in enumerate(bound) if c != "\x00"]
    before = [bound[:k] for k in range(len(bound))] + ([bound] if operator == "le" else [])
    options: list[dict[str, Any]] = [{"enum": before}] if before else []
    if branches:
        options.append({"pattern": "^(?:" + "|".join(branches) + ")"})
    return {"type": "string", "anyOf": options} if options else {"type": "string", "not": {}}
