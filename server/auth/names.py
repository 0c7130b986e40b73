"""User names: one normal form, so two accounts can never look the same.

A user name is compared and stored after Unicode NFKC normalization and case folding ("CW1",
"ｃｗ１" and "cw1" are one name), and must then match NAME_RULE as a whole string: no trailing
newline, no spaces, no look-alike letters from other scripts.
"""
from __future__ import annotations

import re
import unicodedata

NAME_RULE = re.compile(r"[a-z0-9][a-z0-9._-]*")
MAX_LENGTH = 100


def normalize_user_name(raw: str) -> str:
    """Return the normal form of a typed user name (NFKC, case-folded, surrounding spaces removed)."""
    return unicodedata.normalize("NFKC", raw).casefold().strip()


def is_valid_user_name(name: str) -> bool:
    """Tell whether an already normalized name is allowed (the whole string matches NAME_RULE)."""
    return 2 <= len(name) <= MAX_LENGTH and NAME_RULE.fullmatch(name) is not None
