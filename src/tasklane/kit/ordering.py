"""Fractional ordering keys: moving an item writes one row, whatever the list's length."""

from __future__ import annotations

from fractional_indexing import generate_key_between, generate_n_keys_between


def key_between(before: str | None, after: str | None) -> str:
    """A key that sorts after `before` and before `after` (either may be None for an end)."""
    return str(generate_key_between(before, after))


MAX_KEY_LENGTH = 32
"""A column whose keys would grow past this many characters is given fresh, short keys."""


def keys_between(before: str | None, after: str | None, count: int) -> list[str]:
    """`count` ascending keys between `before` and `after`, spread evenly where both are None."""
    if count <= 0:
        return []
    return [str(k) for k in generate_n_keys_between(before, after, count)]
