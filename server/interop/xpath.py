"""Abri's JSON expressions as XLSForm's XPath, and back: the subset both languages can say.

    {"eq": {"sex": "female"}}                  ${sex} = 'female'
    {"eq": {"concerns": "trafficking"}}        selected(${concerns}, 'trafficking')   (a multi-select field)
    {"in": {"risk": ["high", "medium"]}}       (${risk} = 'high' or ${risk} = 'medium')
    {"not": {"gt": {"age": 14}}}               not(${age} > 14)
    {"sum": ["a", "b", 2]}                     ${a} + ${b} + 2
    {"avg": ["a", "b"]}                        (${a} + ${b}) div 2

What one side cannot say raises Untranslatable with the reason, which the caller reports: nothing is
dropped silently. No Flask here.
"""
from __future__ import annotations

import re
from typing import Any, Callable, Mapping

from server.messages import _l

Fields = Mapping[str, dict]  # field name -> field, so a comparison knows its field's type
_BOUNDS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}
_FLIP = {">": "<", ">=": "<=", "<": ">", "<=": ">=", "=": "=", "!=": "!="}
_OPERATORS = {">": "gt", ">=": "ge", "<": "lt", "<=": "le"}
MAX_LENGTH = 4000  # characters of one XPath expression read back
MAX_DEPTH = 20
MAX_NESTING = 50  # parentheses and calls inside each other, read back (each costs a few stack frames)


class Untranslatable(ValueError):
    """An expression the other language cannot say: `reason` is a message template, `params` its values."""

    def __init__(self, reason: Any, **params: Any) -> None:
        super().__init__(str(reason))
        self.reason = reason
        self.params = params


# --- Abri -> XPath ---------------------------------------------------------------------------------


def _is_multiple(field: dict | None) -> bool:
    return bool(field and field.get("type") == "select_box" and field.get("multi_select"))


def literal(value: Any) -> str:
    """A value as an XPath literal: a text between quotes, a number, a tick box's 'true'/'false'."""
    if isinstance(value, bool):
        return "'true'" if value else "'false'"
    if isinstance(value, (int, float)):
        return repr(value)
    if value is None:
        return "''"
    text = str(value)
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    raise Untranslatable(_l("the text %(value)s holds both kinds of quotes"), value=text)


def _comparison(operator: str, name: str, value: Any, fields: Fields) -> str:
    field = fields.get(name)
    if operator == "eq":
        if _is_multiple(field) and value is not None:
            return f"selected(${{{name}}}, {literal(value)})"
        return f"${{{name}}} = {literal(value)}"
    if operator == "in":
        if not value:
            return "false()"
        parts = [_comparison("eq", name, item, fields) for item in value]
        return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"
    if isinstance(value, str):
        if not field or field.get("type") != "date_field":
            raise Untranslatable(_l("XLSForm cannot order texts (%(name)s)"), name=name)
        return f"${{{name}}} {_BOUNDS[operator]} date({literal(value)})"
    return f"${{{name}}} {_BOUNDS[operator]} {literal(value)}"


def condition_to_xpath(expression: dict, fields: Fields) -> str:
    """A display condition as an XLSForm `relevant`; Untranslatable when XPath cannot say it."""
    (operator, operand), = expression.items()
    if operator in ("and", "or"):
        parts = [condition_to_xpath(part, fields) for part in operand]
        wrapped = [f"({part})" if " and " in part or " or " in part else part for part in parts]
        return f" {operator} ".join(wrapped)
    if operator == "not":
        return f"not({condition_to_xpath(operand, fields)})"
    if operator in ("sum", "avg"):
        raise Untranslatable(_l("a calculation is not a condition"))
    (name, value), = operand.items()
    return _comparison(operator, name, value, fields)


def calculation_to_xpath(expression: dict) -> str:
    """A calculation (sum, avg) as an XLSForm `calculation`."""
    (operator, operand), = expression.items()
    if operator not in ("sum", "avg"):
        raise Untranslatable(_l("only sum and avg are calculations"))
    terms = [f"${{{part}}}" if isinstance(part, str) else f"({calculation_to_xpath(part)})" if isinstance(part, dict)
             else literal(part) for part in operand]
    total = " + ".join(terms)
    return total if operator == "sum" else f"({total}) div {len(terms)}"


# --- XPath -> a small tree --------------------------------------------------------------------------

_TOKEN = re.compile(r"""\s*(?:
    (?P<ref>\$\{[^}]*\})
  | (?P<string>'[^']*'|"[^"]*")
  | (?P<number>\d+(?:\.\d+)?|\.\d+)
  | (?P<name>[A-Za-z_][A-Za-z0-9_:.-]*)
  | (?P<operator>!=|<=|>=|=|<|>|\+|-|\*|\(|\)|,|\.)
)""", re.VERBOSE)


def tokenize(text: str) -> list[tuple[str, str]]:
    """(kind, text) of each token; Untranslatable at the first character that starts none."""
    tokens, position, text = [], 0, text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise Untranslatable(_l("cannot read %(text)s"), text=text[position:position + 20])
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    """Recursive descent over the XPath XLSForm forms use: or, and, comparisons, + - * div mod, calls."""

    def __init__(self, text: str) -> None:
        if len(text) > MAX_LENGTH:
            raise Untranslatable(_l("the expression is longer than %(limit)s characters"), limit=MAX_LENGTH)
        self.tokens = tokenize(text)
        self.at = 0
        self.depth = 0

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.at] if self.at < len(self.tokens) else ("end", "")

    def take(self) -> tuple[str, str]:
        token = self.peek()
        self.at += 1
        return token

    def expect(self, text: str) -> None:
        if self.take()[1] != text:
            raise Untranslatable(_l("cannot read %(text)s"), text=" ".join(t for _, t in self.tokens))

    def parse(self) -> tuple:
        tree = self.or_expr()
        if self.peek()[0] != "end":
            raise Untranslatable(_l("cannot read %(text)s"), text=" ".join(t for _, t in self.tokens[self.at:]))
        return tree

    def _chain(self, word: str, below: Callable[[], tuple]) -> tuple:
        parts = [below()]
        while self.peek() == ("name", word):
            self.take()
            parts.append(below())
        return parts[0] if len(parts) == 1 else (word, parts)

    def or_expr(self) -> tuple:
        return self._chain("or", self.and_expr)

    def and_expr(self) -> tuple:
        return self._chain("and", self.comparison)

    def comparison(self) -> tuple:
        left = self.additive()
        if self.peek()[1] in _FLIP:
            operator = self.take()[1]
            return ("cmp", operator, left, self.additive())
        return left

    def additive(self) -> tuple:
        terms = [("+", self.multiplicative())]
        while self.peek()[1] in ("+", "-"):
            sign = self.take()[1]
            terms.append((sign, self.multiplicative()))
        return terms[0][1] if len(terms) == 1 else ("add", terms)

    def multiplicative(self) -> tuple:
        left = self.primary()
        while self.peek()[1] == "*" or self.peek() in (("name", "div"), ("name", "mod")):
            left = ("arith", self.take()[1], left, self.primary())
        return left

    def primary(self) -> tuple:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise Untranslatable(_l("the expression is nested too deeply"))
        try:
            return self._primary()
        finally:
            self.depth -= 1

    def _primary(self) -> tuple:
        kind, text = self.take()
        if text == "(" and kind == "operator":
            inner = self.or_expr()
            self.expect(")")
            return ("group", inner)
        if kind == "ref":
            return ("ref", text[2:-1].strip())
        if kind == "string":
            return ("str", text[1:-1])
        if kind == "number":
            return ("num", float(text) if "." in text else int(text))
        if text == "." and kind == "operator":
            return ("dot",)
        if text == "-" and kind == "operator":
            inner = self.primary()
            if inner[0] == "num":
                return ("num", -inner[1])
            raise Untranslatable(_l("cannot read %(text)s"), text="-")
        if kind == "name" and self.peek()[1] == "(":
            return self.call(text)
        raise Untranslatable(_l("cannot read %(text)s"), text=text or "…")

    def call(self, name: str) -> tuple:
        self.expect("(")
        arguments = []
        if self.peek()[1] != ")":
            arguments.append(self.or_expr())
            while self.peek()[1] == ",":
                self.take()
                arguments.append(self.or_expr())
        self.expect(")")
        return ("call", name, arguments)


def parse_xpath(text: str) -> tuple:
    """The tree of an XPath expression; Untranslatable when it cannot be read."""
    return _Parser(text).parse()


def unwrap(tree: tuple) -> tuple:
    while tree[0] == "group":
        tree = tree[1]
    return tree


# --- the tree -> Abri ---------------------------------------------------------------------------------

ValueOf = Callable[[str, Any], Any]  # (field name, literal) -> the value Abri compares (an option's new id, a bool)


def tree_to_condition(tree: tuple, value_of: ValueOf, depth: int = 0) -> dict:
    """A condition tree as Abri's JSON; Untranslatable for what Abri cannot say."""
    if depth > MAX_DEPTH:
        raise Untranslatable(_l("the expression is nested too deeply"))
    tree = unwrap(tree)
    kind = tree[0]
    if kind in ("and", "or"):
        parts = [tree_to_condition(part, value_of, depth + 1) for part in tree[1]]
        flat = [item for part in parts for item in (part[kind] if kind in part else [part])]
        return _as_in(flat) if kind == "or" else {"and": flat}
    if kind == "call":
        return _call_condition(tree, value_of, depth)
    if kind == "cmp":
        return _comparison_condition(tree, value_of)
    raise Untranslatable(_l("%(text)s is not a condition"), text=describe(tree))


def _as_in(parts: list[dict]) -> dict:
    """`a = 1 or a = 2` is Abri's `in`."""
    names = {next(iter(part["eq"])) for part in parts if "eq" in part}
    if len(names) == 1 and all("eq" in part for part in parts):
        name = names.pop()
        return {"in": {name: [part["eq"][name] for part in parts]}}
    return {"or": parts}


def _call_condition(tree: tuple, value_of: ValueOf, depth: int) -> dict:
    _, name, arguments = tree
    if name == "not" and len(arguments) == 1:
        return {"not": tree_to_condition(arguments[0], value_of, depth + 1)}
    if name == "selected" and len(arguments) == 2:
        field, choice = unwrap(arguments[0]), unwrap(arguments[1])
        if field[0] == "ref" and choice[0] == "str":
            return {"eq": {field[1]: value_of(field[1], choice[1])}}
    raise Untranslatable(_l("the function %(name)s() has no equivalent in Abri"), name=name)


def _comparison_condition(tree: tuple, value_of: ValueOf) -> dict:
    _, operator, left, right = tree
    left, right = unwrap(left), unwrap(right)
    if right[0] == "ref" and left[0] != "ref":
        left, right, operator = right, left, _FLIP[operator]
    if left[0] != "ref":
        raise Untranslatable(_l("Abri compares a field with a value: %(text)s"), text=describe(tree))
    value = _literal_value(right)
    name = left[1]
    if operator in ("=", "!="):
        comparison = {"eq": {name: value_of(name, value)}}
        return comparison if operator == "=" else {"not": comparison}
    if value is None or isinstance(value, bool):
        raise Untranslatable(_l("Abri compares a field with a value: %(text)s"), text=describe(tree))
    return {_OPERATORS[operator]: {name: value}}


def _literal_value(tree: tuple) -> Any:
    if tree[0] in ("str", "num"):
        return None if tree[1] == "" else tree[1]
    if tree[0] == "call" and tree[1] == "date" and len(tree[2]) == 1 and unwrap(tree[2][0])[0] == "str":
        return unwrap(tree[2][0])[1]
    raise Untranslatable(_l("Abri compares a field with a value: %(text)s"), text=describe(tree))


def tree_to_calculation(tree: tuple, depth: int = 0) -> dict:
    """A calculation tree (`+` of fields and numbers, or such a sum `div` its count) as Abri's sum or avg."""
    if depth > MAX_DEPTH:
        raise Untranslatable(_l("the expression is nested too deeply"))
    tree = unwrap(tree)
    if tree[0] == "arith" and tree[1] == "div":
        total, count = unwrap(tree[2]), unwrap(tree[3])
        terms = _terms(total, depth)
        if count[0] == "num" and count[1] == len(terms):
            return {"avg": terms}
        raise Untranslatable(_l("%(text)s is not a sum or an average"), text=describe(tree))
    return {"sum": _terms(tree, depth)}


def _terms(tree: tuple, depth: int) -> list:
    parts = tree[1] if tree[0] == "add" else [("+", tree)]
    terms: list = []
    for sign, part in parts:
        part = unwrap(part)
        if sign != "+":
            raise Untranslatable(_l("%(text)s is not a sum or an average"), text=describe(tree))
        if part[0] == "ref":
            terms.append(part[1])
        elif part[0] == "num":
            terms.append(part[1])
        elif part[0] in ("add", "arith"):
            terms.append(tree_to_calculation(part, depth + 1))
        else:
            raise Untranslatable(_l("%(text)s is not a sum or an average"), text=describe(tree))
    return terms


def describe(tree: tuple) -> str:
    """A short text of a tree, for a report."""
    kind = tree[0]
    if kind == "ref":
        return "${" + tree[1] + "}"
    if kind == "str":
        return literal(tree[1]) if "'" not in tree[1] or '"' not in tree[1] else tree[1]
    if kind == "num":
        return str(tree[1])
    if kind == "dot":
        return "."
    if kind == "group":
        return f"({describe(tree[1])})"
    if kind == "call":
        return f"{tree[1]}(" + ", ".join(describe(argument) for argument in tree[2]) + ")"
    if kind == "cmp":
        return f"{describe(tree[2])} {tree[1]} {describe(tree[3])}"
    if kind == "arith":
        return f"{describe(tree[2])} {tree[1]} {describe(tree[3])}"
    if kind == "add":
        return " ".join(f"{sign} {describe(part)}" for sign, part in tree[1])[2:]
    return f" {kind} ".join(describe(part) for part in tree[1])
