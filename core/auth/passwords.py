"""Password hashing with argon2id (argon2-cffi's defaults: a memory-hard, deliberately slow hash)."""

from __future__ import annotations

import hashlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("beacon-timing-equaliser")


def check_password_rules(password: str) -> None:
    if len(password or "") < MIN_LENGTH:
        raise ValueError(f"a password needs at least {MIN_LENGTH} characters")
    if password.strip() != password:
        raise ValueError("a password cannot start or end with spaces")


def hash_password(password: str) -> str:
    check_password_rules(password)
    return _hasher.hash(password)


def token_digest(token: str) -> str:
    """What is stored of a session or setup token: its sha256, so a copy of the stored digests cannot be used to sign in."""
    return hashlib.sha256(token.encode()).hexdigest()


def verify_password(stored_hash: str, password: str) -> bool:
    """True when the password matches. An empty or unknown hash still costs one verification, so a
    missing user takes as long as a wrong password."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and bool(stored_hash)
    except (VerificationError, InvalidHashError):
        return False
