"""Keyed pseudonyms for children in the SEF and its exports, and their logged resolution.

A pseudonym is an HMAC-SHA256 of the child's identifier under a secret derived from the
app's ``SECRET_KEY``: stable across exports, meaningless without the key.  Only the app
can resolve one, for a signed-in user allowed to see the child, and each resolution is
written to the access log.
"""

import base64
import hashlib
import hmac
import re

from sqlmodel import Session, select

from ..models import AuditCase, Child

__all__ = ["PREFIX", "secret_from", "pseudonym", "resolve", "looks_like_pseudonym"]

PREFIX = "P-"
_PATTERN = re.compile(r"^P-[A-Z2-7]{10}$")


def secret_from(secret_key: str) -> bytes:
    """The pseudonym key: derived from ``SECRET_KEY`` so it differs from the cookie key."""
    return hmac.new(secret_key.encode(), b"frontdoor pseudonyms v1", hashlib.sha256).digest()


def pseudonym(child_ref: str, secret: bytes) -> str:
    """The child's pseudonym, ``P-`` and ten base-32 characters (50 bits).

    >>> key = secret_from("example")
    >>> pseudonym("A123", key) == pseudonym("A123", key), pseudonym("A123", key)[:2]
    (True, 'P-')
    """
    digest = hmac.new(secret, child_ref.encode(), hashlib.sha256).digest()
    return PREFIX + base64.b32encode(digest).decode()[:10]


def looks_like_pseudonym(text: str) -> bool:
    return bool(_PATTERN.match(text.strip().upper()))


def resolve(text: str, *, secret: bytes, session: Session) -> Child | None:
    """The child behind pseudonym ``text``, or None.

    Audited children are tried first (every pseudonym the SEF prints is one of theirs),
    then every child.
    """
    wanted = text.strip().upper()
    if not looks_like_pseudonym(wanted):
        return None
    audited = select(Child).where(Child.id.in_(select(AuditCase.child_id)))
    for query in (audited, select(Child)):
        for child in session.exec(query).all():
            if hmac.compare_digest(pseudonym(child.child_ref, secret), wanted):
                return child
    return None
