"""Passwords: hashing with scrypt (memory-hard, in the standard library) and the password policy.

The policy, applied when a user is created, when an administrator resets a password and when a
user changes their own (each rule has a stable code, named in the 422 answer):

    min_length     at least PASSWORD_MIN_LENGTH characters (default 10)
    contains_name  not the user name, nor a part of the person's name (3 letters or more), anywhere
                   inside the password, in any case, with or without accents, forwards or reversed
    repetitive     not mostly repeated or sequential characters (aaaa, abab, 1234, abcd, qwerty)
    common         not one of the most common passwords, even with a date or a few digits added
    guessable      anything else zxcvbn estimates at fewer than 10^9 guesses

The last three come from zxcvbn (Dropbox's estimator; the Python port on PyPI, MIT licence):
frequency lists of leaked passwords (30,000 most common), names, words, keyboard patterns,
repeats, sequences, dates and l33t substitutions, which a bare list of passwords would not catch.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable

from server.rules import Rule

_N, _R, _P, _LENGTH = 2 ** 14, 8, 1, 32
MIN_LENGTH = 10
MIN_GUESSES = 10 ** 9  # between zxcvbn's scores 3 and 4: a random 10-character password passes
_ZXCVBN_LENGTH = 72  # zxcvbn's own limit (its matching is quadratic); the rest of a password is not scored
_NAME_PART = re.compile(r"[^\W_]{3,}")
_zxcvbn_lock = threading.Lock()  # zxcvbn keeps the user inputs in a module global
_dummy_hash: str | None = None
# The rule each weakness breaks (the rules vocabulary: server/rules.py).
RULES = {rule.code: rule for rule in (Rule.MIN_LENGTH, Rule.PASSWORD_CONTAINS_NAME, Rule.PASSWORD_REPETITIVE,
                                      Rule.PASSWORD_COMMON, Rule.PASSWORD_GUESSABLE)}
RULE_MESSAGES = {code: rule.template for code, rule in RULES.items()}


def hash_password(password: str) -> str:
    """Return "scrypt$n$r$p$salt$hash" for a password."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8", "surrogatepass"), salt=salt, n=_N, r=_R, p=_P, dklen=_LENGTH)
    encode = lambda raw: base64.b64encode(raw).decode("ascii")  # noqa: E731
    return f"scrypt${_N}${_R}${_P}${encode(salt)}${encode(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """Tell whether `password` matches a stored hash (constant time).

    Without a stored hash (unknown user), the password is checked against a hash made for no one,
    with the same parameters, so the answer takes as long and is always False.
    """
    if not stored:
        _check(password, _unknown_user_hash())
        return False
    return _check(password, stored)


def _check(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        computed = hashlib.scrypt(password.encode("utf-8", "surrogatepass"), salt=base64.b64decode(salt),
                                  n=int(n), r=int(r), p=int(p), dklen=len(base64.b64decode(digest)))
    except ValueError:
        return False
    return hmac.compare_digest(computed, base64.b64decode(digest))


def _unknown_user_hash() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = hash_password(secrets.token_urlsafe(16))
    return _dummy_hash


@dataclass
class Weakness:
    """Why a password is refused: a rule code and the parameters of its message."""

    rule: str
    params: dict[str, Any] = field(default_factory=dict)


def find_weakness(password: str, names: Iterable[str | None] = (), min_length: int = MIN_LENGTH) -> Weakness | None:
    """Return the first rule of the policy the password breaks, or None when it may be used."""
    if len(password) < min_length:
        return Weakness("min_length", {"limit": min_length})
    parts = _name_parts(names)
    folded = _fold(password)
    if any(part in folded or part[::-1] in folded for part in parts):
        return Weakness("contains_name")
    return _zxcvbn_weakness(password[:_ZXCVBN_LENGTH], sorted(parts))


def _fold(text: str) -> str:
    """Case-folded, without accents: "Kpogbé" and "KPOGBE" are one name."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return unicodedata.normalize("NFKC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def _name_parts(names: Iterable[str | None]) -> set[str]:
    """The user name and the person's name, whole and in parts of 3 letters or more, case-folded."""
    parts: set[str] = set()
    for name in names:
        if not name:
            continue
        folded = _fold(name).strip()
        words = _NAME_PART.findall(folded)
        parts.update(words)
        parts.update(candidate for candidate in (folded, "".join(words)) if len(candidate) >= 3)
    return parts


def _zxcvbn_weakness(password: str, user_inputs: list[str]) -> Weakness | None:
    from zxcvbn import zxcvbn

    with _zxcvbn_lock:
        result = zxcvbn(password, user_inputs=user_inputs, max_length=_ZXCVBN_LENGTH)
    if result["guesses"] >= MIN_GUESSES:
        return None
    covered = {"patterns": 0, "passwords": 0}
    for match in result["sequence"]:
        length = len(match["token"])
        if match["pattern"] in ("repeat", "sequence", "spatial"):
            covered["patterns"] += length
        elif match["pattern"] == "dictionary" and match.get("dictionary_name") == "user_inputs":
            return Weakness("contains_name")
        elif match["pattern"] == "dictionary" and match.get("dictionary_name") == "passwords":
            covered["passwords"] += length
    if covered["patterns"] * 2 >= len(password):
        return Weakness("repetitive")
    if covered["passwords"]:
        return Weakness("common")
    return Weakness("guessable")


def random_password(names: Iterable[str | None] = (), min_length: int = MIN_LENGTH) -> str:
    """A random password for a bootstrap administrator (printed once) that passes the policy."""
    while True:
        password = secrets.token_urlsafe(max(15, min_length))
        if find_weakness(password, names, min_length) is None:
            return password
