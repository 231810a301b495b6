"""Values this installation vouches for: an HMAC-SHA256 over a purpose and some parts, with the
signing key, as 43 URL-safe characters. Links that are their own credential (a calendar feed,
an e-mail's unsubscribe link) carry one; checking it needs no database and takes the same time
whatever the guess."""

from __future__ import annotations

import base64
import hashlib
import hmac

SIGNATURE = r"[A-Za-z0-9_-]{43}"
"""A regular expression for one signature."""


def signature(key: str, purpose: str, *parts: str) -> str:
    message = ":".join((purpose, *parts)).encode()
    digest = hmac.new(key.encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def matches(given: str, key: str, purpose: str, *parts: str) -> bool:
    return hmac.compare_digest(given, signature(key, purpose, *parts))
