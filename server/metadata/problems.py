"""What a configuration check reports: a Problem (where, which rule, how bad) and what checks compare with."""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field
from typing import Any, Callable, Iterator

from server.errors import Detail
from server.messages import _l
from server.metadata import expressions
from server.metadata.configuration import Configuration
from server.rules import CHECK_RULES

ERROR, WARNING = "error", "warning"

EXPRESSION_REASONS = {
    "expression_shape": _l("each expression is an object with exactly one operator"),
    "expression_too_deep": _l("it is nested too deeply"),
    "comparison_shape": _l("a comparison maps exactly one field name to a value"),
    "in_needs_list": _l("'in' needs a list of values"),
    "comparison_value": _l("this comparison needs a number, a date or a text"),
    "logical_needs_list": _l("'and' and 'or' need a non-empty list of expressions"),
    "aggregate_needs_list": _l("'sum' and 'avg' need a non-empty list"),
    "aggregate_operand": _l("'sum' and 'avg' take field names, numbers, sum or avg"),
    "unknown_operator": _l("unknown operator; use eq, gt, ge, lt, le, in, and, or, not, sum, avg"),
}


@dataclass
class Problem:
    """A failed check: where, which rule, how bad."""

    code: str
    severity: str
    document: str
    path: str = ""
    params: dict[str, Any] = dc_field(default_factory=dict)

    def as_detail(self) -> Detail:
        where = f"{self.document}/{self.path}" if self.path else self.document
        return Detail.of(where, CHECK_RULES[self.code], **self.params)

    def as_json(self) -> dict[str, Any]:
        return {"severity": self.severity, **self.as_detail().as_json()}


@dataclass
class CheckContext:
    """What the checks compare the draft with."""

    languages: tuple[str, ...]
    default_language: str
    published: Configuration
    published_fields: dict[str, dict[str, dict[str, Any]]]  # record type -> name -> {type, multi_select}
    # Whether some record of a type holds a value for a top-level field (unknown: assume it does).
    holds_values: Callable[[str, str], bool] = lambda record_type, name: True


Check = Callable[[Configuration, CheckContext], Iterator[Problem]]


def key(kind: str, uid: str) -> str:
    """The document key a problem names: "form:basic_identity"."""
    return f"{kind}:{uid}"


def check_expression(expression: Any, attribute: str, names: set[str], document: str,
                      path: str) -> Iterator[Problem]:
    """Report an expression that breaks the grammar, or reads a name not in `names`."""
    try:
        used = list(expressions.referenced_fields(expression))
        if (attribute == "calculation") != expressions.is_calculation(expression):
            raise expressions.ExpressionError(
                "aggregate_operand" if attribute == "calculation" else "unknown_operator",
                operator=next(iter(expression)))
    except expressions.ExpressionError as error:
        yield Problem("EXPRESSION_INVALID", ERROR, document, path,
                      {"reason": EXPRESSION_REASONS[error.code]})
        return
    for name in used:
        if name not in names:
            yield Problem("EXPRESSION_FIELD_UNKNOWN", ERROR, document, path, {"name": name})
