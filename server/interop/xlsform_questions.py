"""One XLSForm question as an Abri field: its type, texts, `required`, `default`, `read_only` and `constraint`.

The types Abri has no equivalent for (geopoint, barcode, rank, ...) and the constraints it has no rule for
are reported by name, never dropped silently. Used by server/interop/xlsform_import.py. No Flask here.
"""
from __future__ import annotations

import math
from typing import Any

from server.interop.xlsform import ABRI_TYPE, ADAPTED, NOT_MAPPED, TICK_BOX_LIST, why
from server.interop.xpath import Untranslatable, parse_xpath, unwrap
from server.messages import _l
from server.metadata.field_types import FIELD_TYPES

Row = dict[str, Any]
SIMPLE = {"text": "text_field", "integer": "numeric_field", "decimal": "numeric_field", "date": "date_field",
          "datetime": "date_field", "note": "separator", "image": "photo_upload_box", "audio": "audio_upload_box",
          "file": "document_upload_box", "acknowledge": "tick_box", "calculate": "calculated", "range": "numeric_field",
          "time": "text_field"}
TRUE = ("yes", "true", "true()", "1")
FALSE = ("", "no", "false", "false()", "0")
_BOUND = {">=": "min_value", "<=": "max_value"}
NO_REQUIRED = ("separator", "calculated", "photo_upload_box", "audio_upload_box", "document_upload_box", "subform")


def field_of(importer: Any, kind: str, row: Row, name: str) -> dict | None:
    """The field a question row stands for (without its expressions), or None (reported) when Abri has none."""
    words = kind.split()
    base = words[0].lower()
    abri_type = row.get(ABRI_TYPE, "")
    field: dict[str, Any] = {"name": name, "type": "", "display_name_i18n": importer.label(row, name)}
    if base in ("select_one", "select_multiple") and len(words) == 2:
        field["type"] = "select_box" if base == "select_multiple" or row.get("appearance", "").startswith(
            ("minimal", "autocomplete", "search")) else "radio_button"
        if base == "select_multiple":
            field["multi_select"] = True
        if abri_type == "tick_box" and words[1] == TICK_BOX_LIST:
            field["type"] = "tick_box"
        elif abri_type == "location" and words[1].startswith("abri_places"):
            field["type"] = "location"
            level = words[1].removeprefix("abri_places").strip("_")
            if level.isdigit():
                field["location_admin_level"] = int(level)
        elif not importer.use_list(field, words[1], name):
            return None
    elif base in SIMPLE and len(words) == 1:
        field["type"] = SIMPLE[base]
        if base in ("time", "range", "integer"):
            importer.report.add(ADAPTED, name, _l("%(type)s is kept as %(abri)s"), type=base,
                                abri=FIELD_TYPES[field["type"]].label)
    else:
        importer.report.add(NOT_MAPPED, name, _l("Abri has no question of type %(type)s"), type=kind)
        return None
    if abri_type in FIELD_TYPES and abri_type in ("textarea", "calculated", "separator") or \
            row.get("appearance", "") == "multiline" and field["type"] == "text_field":
        field["type"] = "textarea" if abri_type != "calculated" and abri_type != "separator" else abri_type
    if row.get("calculation") and field["type"] not in ("tick_box", "location"):
        field["type"] = "calculated"
    _attributes(importer, field, row, name)
    return field


def _attributes(importer: Any, field: dict, row: Row, name: str) -> None:
    hint = importer.texts(row, "hint")
    if hint:
        field["help_text_i18n"] = hint
    if field["type"] == "datetime" or row.get("type", "").lower() == "datetime":
        field["date_include_time"] = True
    required = row.get("required", "").strip().lower()
    if required in TRUE and field["type"] not in NO_REQUIRED:
        field["required"] = True
    elif required not in FALSE and required not in TRUE:
        importer.report.add(NOT_MAPPED, name, _l("required only when %(text)s: Abri's required is yes or no"),
                            text=row["required"])
    if row.get("read_only", "").lower() in TRUE and field["type"] not in ("calculated", "separator"):
        field["disabled"] = True
    if "default" in row and field["type"] not in ("separator", "calculated", "subform"):
        default = row["default"]
        field["selected_value"] = (default.lower() in TRUE if field["type"] == "tick_box" else
                                   _number(default) if field["type"] == "numeric_field" else default)


def _number(text: str) -> Any:
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        return text


def read_constraint(importer: Any, field: dict, row: Row, where: str) -> None:
    """min/max, string-length, regex and today() comparisons of a constraint; the rest is reported."""
    text = row.get("constraint", "")
    if not text:
        return
    try:
        tree = unwrap(parse_xpath(text))
    except Untranslatable as error:
        importer.report.add(NOT_MAPPED, where, _l("constraint %(text)s not translated: %(reason)s"), text=text,
                            reason=why(error))
        return
    for part in tree[1] if tree[0] == "and" else [tree]:
        if not _constraint_part(field, unwrap(part)):
            importer.report.add(NOT_MAPPED, where, _l("constraint %(text)s not translated: %(reason)s"), text=text,
                                reason=_l("Abri has no such rule"))
    if "pattern" in field:
        hint = importer.texts(row, "constraint_message")
        if hint:
            field["pattern_hint_i18n"] = hint


MAX_LENGTH = 100_000  # the field meta-schema's largest max_length


def _storable(number: float) -> bool:
    """A bound Abri can store: a finite number a 64-bit integer or a double holds (and a text length it allows)."""
    if isinstance(number, float):
        return math.isfinite(number) and abs(number) < 2 ** 63
    return -2 ** 63 <= number < 2 ** 63


def _constraint_part(field: dict, part: tuple) -> bool:
    if part[0] != "cmp":
        if part[0] == "call" and part[1] == "regex" and len(part[2]) == 2:
            subject, pattern = unwrap(part[2][0]), unwrap(part[2][1])
            if subject[0] == "dot" and pattern[0] == "str" and field["type"] in ("text_field", "textarea"):
                field["pattern"] = pattern[1]
                return True
        return False
    _, operator, left, right = part
    left, right = unwrap(left), unwrap(right)
    if right[0] == "num" and not _storable(right[1]):  # a bound no document may hold: reported, not mapped
        return False
    if left[0] == "dot" and right[0] == "num" and operator in _BOUND and field["type"] == "numeric_field":
        field[_BOUND[operator]] = right[1]
        return True
    if left[0] == "dot" and right[0] == "call" and right[1] == "today" and field["type"] == "date_field":
        rules = {"<=": "not_future_date", ">=": "not_past_date"}
        if operator in rules:
            field["date_validation"] = rules[operator]
            return True
    if left[0] == "call" and left[1] == "string-length" and right[0] == "num" and operator in ("<=", "<") \
            and field["type"] in ("text_field", "textarea"):
        longest = max(1, int(right[1]) - (operator == "<"))
        if longest > MAX_LENGTH:
            return False
        field["max_length"] = longest
        return True
    return left[0] == "dot" and right == ("num", 0) and operator == ">=" and field["type"] == "tally_field"
