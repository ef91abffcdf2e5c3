"""Password rules and Argon2 hashing (pure: no database, no web framework)."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 128

_hasher = PasswordHasher()
# Verified when the email is unknown, so that both answers take the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-just-for-timing")


@cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships a 30,000-entry list of the most used passwords.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str, *, email: str = "", full_name: str = "") -> str | None:
    """Why the password is not acceptable, or None."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    lowered = password.lower()
    if lowered in _common_passwords() or len(set(lowered)) < 4:
        return "is too common: choose a less predictable password"
    local_part = email.split("@", 1)[0].lower()
    if len(local_part) >= 4 and local_part in lowered:
        return "must not contain your email address"
    if full_name and full_name.lower().replace(" ", "") == lowered.replace(" ", ""):
        return "must not be your name"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-shape check: an unknown account still costs one Argon2 verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
