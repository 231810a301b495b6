"""Fractional ordering keys: moving an item writes one row, whatever the list's length."""

from __future__ import annotations

from fractional_indexing import generate_key_between


def key_between(before: str | None, after: str | None) -> str:
    """A key that sorts after `before` and before `after` (either may be None for an end)."""
    return str(generate_key_between(before, after))
