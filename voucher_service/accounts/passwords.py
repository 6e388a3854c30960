"""Passwords: argon2id hashes, the rules for a new one, and the random ones the bureau
hands over (and recovery codes, made the same way).

Passwords are hashed with argon2id (argon2-cffi's defaults); a hash made with older
parameters is replaced at the next successful sign-in (``signin.py``). An unknown login name
is checked against a dummy hash, so it takes as long to refuse as a wrong password.
"""

from __future__ import annotations

import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from voucher_service.errors import ErrorCode, InvalidInput

PASSWORD_MIN_LENGTH = 10
PASSWORD_MAX_LENGTH = 200
_PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# Recovery codes are typed from paper: one case, no look-alikes (16 characters, 80 bits).
_CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"

# argon2-cffi's defaults (RFC 9106's low-memory profile: 64 MiB, 3 passes). One object, so
# tests may swap in cheaper parameters, as Django's tests swap in a fast hasher.
PASSWORD_HASHER = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (salted: hashing twice gives two different hashes)."""
    return PASSWORD_HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return PASSWORD_HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return PASSWORD_HASHER.check_needs_rehash(password_hash)


@cache
def dummy_hash() -> str:
    """A hash no password matches, checked for unknown login names (equal timing)."""
    return hash_password(secrets.token_urlsafe(24))


def check_new_password(password: str, login: str) -> None:
    """Refuse a password that is too short, too long or contains the login name."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise InvalidInput(
            "a password needs at least {min_length} characters",
            min_length=PASSWORD_MIN_LENGTH,
            code=ErrorCode.WEAK_PASSWORD,
        )
    if len(password) > PASSWORD_MAX_LENGTH:
        raise InvalidInput(
            "a password has at most {max_length} characters",
            max_length=PASSWORD_MAX_LENGTH,
            code=ErrorCode.WEAK_PASSWORD,
        )
    if login in password.lower():
        raise InvalidInput(
            "a password must not contain the login name", code=ErrorCode.WEAK_PASSWORD
        )


def _grouped(alphabet: str) -> str:
    chars = "".join(secrets.choice(alphabet) for _ in range(16))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def new_password() -> str:
    """A random temporary password for the bureau to hand over (about 95 bits)."""
    return _grouped(_PASSWORD_ALPHABET)


def new_recovery_code() -> str:
    """A single-use code that stands in for the second factor (80 bits): ``abcd-efgh-...``."""
    return _grouped(_CODE_ALPHABET)
