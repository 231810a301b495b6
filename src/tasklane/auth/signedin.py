"""The sign-in sessions this process checked a moment ago, so that a caller's next requests
skip the statement that checks theirs (docs/architecture.md, "Hot reads").

An entry is trusted for `Settings.signed_in_cache_seconds` after the check that stored it.
A session ended in this process (sign-out, a password change, a reused refresh token) is
forgotten as the ending commits, so it stops working here at once; in the other processes it
stops working when their entry expires, at most that many seconds later. A sign-in session's
own expiry is compared on every use."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

MAX_ENTRIES = 50_000
"""Beyond this, the oldest entries make room (a few MB at most)."""


@dataclass(frozen=True, slots=True)
class SignedIn:
    user_id: UUID
    email: str
    name: str
    expires_at: datetime
    checked: float  # time.monotonic() of the check
    token_id: UUID | None = None
    """Set for a personal API token (tasklane.auth.apitokens), with the scopes it grants."""
    scopes: frozenset[str] | None = None


class SignedInCache:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._entries: dict[UUID, SignedIn] = {}
        self._generation = 0

    def get(self, session_id: UUID, user_id: UUID | None, now: datetime) -> SignedIn | None:
        """The entry of a session (of `user_id`), or of a token (user_id None, keyed by
        tasklane.auth.apitokens.cache_key)."""
        entry = self._entries.get(session_id)
        if (
            entry is None
            or (user_id is not None and entry.user_id != user_id)
            or entry.expires_at <= now
            or time.monotonic() - entry.checked >= self.seconds
        ):
            return None
        return entry

    def generation(self) -> int:
        """Taken before a check reads the database, and given back to `put`: a session
        forgotten meanwhile is not stored again from what the check read before its end."""
        return self._generation

    def put(self, session_id: UUID, entry: SignedIn, generation: int) -> None:
        if self.seconds <= 0 or generation != self._generation:
            return
        self._entries.pop(session_id, None)
        self._entries[session_id] = entry
        if len(self._entries) > MAX_ENTRIES:
            del self._entries[next(iter(self._entries))]

    def forget_session(self, session_id: UUID) -> None:
        self._generation += 1
        self._entries.pop(session_id, None)

    def forget_user(self, user_id: UUID) -> None:
        """Every session of a user (their password changed, their name or email did)."""
        self._generation += 1
        for session_id in [s for s, e in self._entries.items() if e.user_id == user_id]:
            del self._entries[session_id]
