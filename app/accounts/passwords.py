"""Password rules and Argon2 hashing (pure: no database, no web framework)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from argon2 import Parameters, PasswordHasher, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError

from app.config import get_settings

MIN_LENGTH = 10
MAX_LENGTH = 128

# Stored for an account nobody may sign in to (an erased one): not an Argon2 hash, so no
# password ever matches it (verify_password), and no hashing is needed to write it.
UNUSABLE_PASSWORD = "!unusable"

# Argon2 is slow and memory-hungry by design: at most about one hash per core at once, so
# anonymous sign-ins and registrations cannot take every worker thread (API.md "Accounts").
HASH_SLOTS = max(1, os.cpu_count() or 1)
hash_slots = threading.BoundedSemaphore(HASH_SLOTS)
# How long a request waits for a turn before it is answered 503 (Retry-After). Long enough for
# a few people signing in at the same moment, a council's staff at the start of a shift: with
# half a second, two of four sign-ins at once were refused on a busy 2-core server (an outside
# check). Not much longer: under more sign-ins than the cores can hash (bench/http_load.py's
# mix), each waits the whole time before its answer, 3 s at 3 s. A flood waits on the event
# loop, holding no thread and no database slot.
SLOT_WAIT_S = 1.5


class HashingBusy(Exception):
    """Every hashing slot stayed taken for the whole wait."""


@contextmanager
def hashing_slot(wait_s: float = SLOT_WAIT_S) -> Iterator[None]:
    """Hold one of the HASH_SLOTS while hashing or verifying; HashingBusy when none frees up."""
    if not hash_slots.acquire(timeout=wait_s):
        raise HashingBusy
    try:
        yield
    finally:
        hash_slots.release()


@cache
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships a 30,000-entry list of the most used passwords.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def _hasher() -> PasswordHasher:
    """Argon2id with the parameters the settings name (PORTION_PASSWORD_*)."""
    settings = get_settings()
    return _hasher_for(
        settings.password_time_cost, settings.password_memory_kib, settings.password_parallelism
    )


@cache
def _hasher_for(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Verified when the email is unknown, so that both answers take the same time."""
    return hasher.hash("not-a-real-password-just-for-timing")


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
        return "must not contain the part of your email address before the @"
    if full_name and full_name.lower().replace(" ", "") == lowered.replace(" ", ""):
        return "must not be your name"
    return None


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-shape check: an unknown account still costs one Argon2 verification."""
    hasher = _hasher()
    try:
        return (
            hasher.verify(password_hash or _dummy_hash(hasher), password)
            and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether a hash was made with other parameters than the settings' (it verifies with its
    own, which it carries): made again at the next sign-in, when the password is known."""
    try:
        return _hasher().check_needs_rehash(password_hash)
    except InvalidHashError:  # the unusable hash of an erased account: nothing to renew
        return False


def parameters_named(password_hash: str) -> str | None:
    """A hash's Argon2 parameters as its own text names them ("m=65536,t=3,p=4"), or None for
    the unusable hash of an erased account."""
    try:
        return _named(extract_parameters(password_hash))
    except InvalidHashError:
        return None


def current_parameters() -> str:
    """The settings' parameters, named as `parameters_named` names a hash's."""
    return _named(_hasher())


def _named(parameters: Parameters | PasswordHasher) -> str:
    return f"m={parameters.memory_cost},t={parameters.time_cost},p={parameters.parallelism}"
