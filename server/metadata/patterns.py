"""Regular expressions of the configuration, matched in linear time.

A field's validation `pattern` is written by an administrator, and the meta-schemas hold the rules
of every identifier. All of them run on RE2 (PyPI `google-re2`, BSD-3-Clause): its matching time
grows linearly with the text whatever the pattern, so `^(a+)+$` cannot stall a write as it does on
Python's backtracking `re`. RE2 refuses what cannot run in linear time (backreferences,
lookarounds, atomic groups, possessive quantifiers); `pattern_problem` says which, so the
configuration check refuses such a pattern and a published configuration never holds one.

The semantics are JSON Schema's (ECMA-262), which the field apps use too: a search anywhere in the
text, with `^` and `$` at the very start and end of the text. Python's `$` also matches before a
trailing newline; RE2's does not, so `^[a-z]+$` means the whole string.

The served record schema gives clients the same patterns rewritten (`portable_pattern`) so that
ECMA-262 and Python's `re` match exactly what RE2 matches here.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterator

import re

import re2
from jsonschema import Draft202012Validator, ValidationError, validators

from server.metadata.expressions import regex_literal

MAX_PATTERN_LENGTH = 500
MAX_TEXT_LENGTH = 100_000  # the largest max_length a text field may have
_MAX_PROGRAM_MEMORY = 4 << 20  # per compiled pattern; larger ones are refused as too complex

# What RE2 refuses, by the fragment its error message quotes.
UNSUPPORTED = {"(?=": "lookaround", "(?!": "lookaround", "(?<=": "lookaround", "(?<!": "lookaround",
               "(?>": "atomic_group", "(?P": "backreference", "\\k": "backreference",
               "++": "possessive", "*+": "possessive", "?+": "possessive", "}+": "possessive"}


class PatternError(ValueError):
    """A pattern RE2 cannot run: `reason` is too_long, unsupported, too_complex or invalid."""

    def __init__(self, reason: str, detail: str = "", feature: str = ""):
        super().__init__(detail or reason)
        self.reason, self.detail, self.feature = reason, detail, feature


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # the checks report the problem; RE2 would print it to stderr
    options.max_mem = _MAX_PROGRAM_MEMORY
    return options


def _from_ecma(pattern: str) -> str:
    r"""Translate the one ECMA-262 escape RE2 spells differently: \uXXXX becomes \x{XXXX}."""
    out, i = [], 0
    while i < len(pattern):
        if pattern[i] == "\\" and pattern[i + 1:i + 2] == "u" and _is_hex(pattern[i + 2:i + 6]):
            out.append("\\x{" + pattern[i + 2:i + 6] + "}")
            i += 6
        else:
            out.append(pattern[i:i + 2] if pattern[i] == "\\" else pattern[i])
            i += 2 if pattern[i] == "\\" else 1
    return "".join(out)


def _is_hex(text: str) -> bool:
    return len(text) == 4 and all(c in "0123456789abcdefABCDEF" for c in text)


def _refusal(pattern: str, message: str) -> PatternError:
    fragment = message.rpartition(": ")[2]
    if message.startswith("invalid escape sequence") and fragment[1:2].isdigit():
        return PatternError("unsupported", message, "backreference")
    for start, feature in UNSUPPORTED.items():
        if fragment.startswith(start):
            return PatternError("unsupported", message, feature)
    if "too large" in message or message.startswith("invalid repetition size"):
        return PatternError("too_complex", message)
    return PatternError("invalid", message)


@lru_cache(maxsize=128)
def compile_pattern(pattern: str) -> Any:
    """Return the compiled RE2 program of a pattern, or raise PatternError."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternError("too_long")
    try:
        return re2.compile(_from_ecma(pattern), _options())
    except re2.error as error:
        message = error.args[0] if error.args else ""
        raise _refusal(pattern, message.decode("utf-8", "replace") if isinstance(message, bytes)
                       else str(message)) from None
    except UnicodeEncodeError:  # a lone surrogate in the pattern
        raise PatternError("invalid", "the pattern holds a character that is not valid text") from None


def pattern_problem(pattern: str) -> PatternError | None:
    """Return why a pattern cannot be used (None when it can)."""
    try:
        compile_pattern(pattern)
    except PatternError as error:
        return error
    return None


def matches(pattern: str, text: str) -> bool:
    """Tell whether `text` contains a match of `pattern` (JSON Schema's `pattern`), in linear time.

    A text longer than MAX_TEXT_LENGTH, or holding a lone surrogate, never matches.
    """
    if len(text) > MAX_TEXT_LENGTH:
        return False
    try:
        return compile_pattern(pattern).search(text) is not None
    except UnicodeEncodeError:
        return False


def _pattern_keyword(validator, pattern: str, instance: Any, schema: dict) -> Iterator[ValidationError]:
    """JSON Schema's `pattern` keyword on RE2 (jsonschema's own runs Python's `re.search`)."""
    if not validator.is_type(instance, "string"):
        return
    try:
        matched = matches(pattern, instance)
    except PatternError:
        matched = False  # an unusable pattern accepts nothing (the checks keep such patterns out)
    if not matched:
        yield ValidationError(f"{instance[:100]!r} does not match {pattern!r}")


SafeValidator = validators.extend(Draft202012Validator, {"pattern": _pattern_keyword})
SafeValidator.__doc__ = "Draft 2020-12 with `pattern` matched by RE2: the validator for every schema Abri runs."


# --- the same patterns in a form every regex engine reads alike (the served record schema) ---------

END = r"(?![\s\S])"  # the very end of the text in ECMA-262 and Python alike (Python's `$` is not)
_SHORTHANDS = {"d": "0-9", "w": "0-9A-Za-z_", "s": "\\t\\n\\f\\r "}
_CONTROL_ESCAPES = {"n": "\\n", "t": "\\t", "r": "\\r", "f": "\\f", "v": "\\u000b"}
_QUANTIFIER = re.compile(r"\{[0-9]+(?:,[0-9]*)?\}")


def portable_pattern(pattern: str) -> str | None:
    """Rewrite a field's pattern so that ECMA-262 and Python's `re` match what the server's RE2 matches.

    RE2 reads `\\d`, `\\w`, `\\s` as ASCII classes, `.` as anything but a newline and `$` as the very
    end; Python's `re` (the jsonschema package) reads the first three as Unicode classes and lets `$`
    match before a final newline. The rewrite spells each as an explicit class (and `$` as "nothing
    follows"), and every other literal as \\uXXXX. None when the pattern uses anything else (word
    boundaries, flags, Unicode properties, POSIX classes, named groups): the schema then keeps the
    pattern as written and names the field in `x-abri-inexact`.
    """
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            piece, i = _escape(pattern, i, in_class=False)
        elif char == "[":
            piece, i = _character_class(pattern, i)
        elif char == "(":
            if pattern.startswith("(?", i) and not pattern.startswith("(?:", i):
                return None
            piece, i = ("(?:", i + 3) if pattern.startswith("(?:", i) else ("(", i + 1)
        elif char == "{":
            match = _QUANTIFIER.match(pattern, i)
            piece, i = (match.group(), match.end()) if match and out else (regex_literal("{"), i + 1)
        elif char in ")|*+?^":
            piece, i = char, i + 1
        elif char == "$":
            piece, i = END, i + 1
        elif char == ".":
            piece, i = "[^\\n]", i + 1
        else:
            piece, i = regex_literal(char), i + 1
        if piece is None:
            return None
        out.append(piece)
    return "".join(out)


def _escape(pattern: str, i: int, in_class: bool) -> tuple[str | None, int]:
    """Translate the escape at pattern[i] (a backslash); None when it is not portable."""
    letter = pattern[i + 1:i + 2]
    if letter in _SHORTHANDS:
        return (_SHORTHANDS[letter] if in_class else f"[{_SHORTHANDS[letter]}]"), i + 2
    if letter.lower() in _SHORTHANDS and not in_class:
        return f"[^{_SHORTHANDS[letter.lower()]}]", i + 2
    if letter in _CONTROL_ESCAPES:
        return _CONTROL_ESCAPES[letter], i + 2
    if letter == "u" and re.fullmatch("[0-9a-fA-F]{4}", pattern[i + 2:i + 6]):
        return "\\u" + pattern[i + 2:i + 6].lower(), i + 6
    if letter == "x" and re.fullmatch("[0-9a-fA-F]{2}", pattern[i + 2:i + 4]):
        return "\\u00" + pattern[i + 2:i + 4].lower(), i + 4
    if letter and not letter.isalnum() and letter != "_":
        return regex_literal(letter), i + 2
    return None, i + 2


def _character_class(pattern: str, i: int) -> tuple[str | None, int]:
    """Translate the class that opens at pattern[i]; None when it is not portable."""
    out, j = ["["], i + 1
    if pattern.startswith("^", j):
        out.append("^")
        j += 1
    if pattern.startswith("]", j) or pattern.startswith("[:", j):
        return None, j  # RE2 reads a leading ] as a literal, ECMA-262 as an empty class
    while j < len(pattern) and pattern[j] != "]":
        char = pattern[j]
        if char == "\\":
            piece, j = _escape(pattern, j, in_class=True)
        elif char == "-" and out[-1] not in ("[", "^") and pattern[j + 1:j + 2] not in ("]", ""):
            piece, j = "-", j + 1
        elif char == "[" and pattern.startswith("[:", j):
            return None, j
        else:
            piece, j = regex_literal(char), j + 1
        if piece is None:
            return None, j
        out.append(piece)
    if j >= len(pattern):
        return None, j
    out.append("]")
    return "".join(out), j + 1
