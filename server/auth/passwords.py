"""Password hashing with scrypt (memory-hard, in the standard library)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_N, _R, _P, _LENGTH = 2 ** 14, 8, 1, 32
MIN_LENGTH = 10


def hash_password(password: str) -> str:
    """Return "scrypt$n$r$p$salt$hash" for a password."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=_LENGTH)
    encode = lambda raw: base64.b64encode(raw).decode("ascii")  # noqa: E731
    return f"scrypt${_N}${_R}${_P}${encode(salt)}${encode(digest)}"


def verify_password(password: str, stored: str | None) -> bool:
    """Tell whether `password` matches a stored hash (constant time; False for no hash)."""
    if not stored:
        hashlib.scrypt(b"x", salt=b"0" * 16, n=_N, r=_R, p=_P, dklen=_LENGTH)  # same cost for unknown users
        return False
    try:
        _, n, r, p, salt, digest = stored.split("$")
        computed = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                                  p=int(p), dklen=len(base64.b64decode(digest)))
    except ValueError:
        return False
    return hmac.compare_digest(computed, base64.b64decode(digest))


def random_password() -> str:
    """A random password for a bootstrap administrator (printed once)."""
    return secrets.token_urlsafe(15)
