"""Password hashing (argon2) and the password rules, along NCSC lines.

Length over complexity, and a deny-list of common passwords taken from the
frequency lists that the zxcvbn package ships and maintains.
"""

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["hash_password", "verify_password", "password_problems", "MIN_LENGTH"]

MIN_LENGTH = 10
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problems(password: str, *, username: str = "") -> list[str]:
    """Plain-English reasons a password is not acceptable (empty when it is)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Password must be at least {MIN_LENGTH} characters long")
    if len(password) > 256:
        problems.append("Password must be 256 characters or fewer")
    lowered = password.lower()
    if lowered in _common_passwords() or lowered.replace(" ", "") in _common_passwords():
        problems.append("Password is on a list of commonly used passwords; choose another")
    if username and username.lower() in lowered:
        problems.append("Password must not contain the username")
    return problems
