"""Identifiers: time-ordered UUIDs (version 7), so new rows land at the end of indexes."""

from uuid import UUID

from uuid_utils.compat import uuid7


def new_id() -> UUID:
    return uuid7()
