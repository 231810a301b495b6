"""The one clock. Tests that need another time set `clock.now` through `frozen`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime


def _system_now() -> datetime:
    return datetime.now(UTC)


_now: Callable[[], datetime] = _system_now


def utcnow() -> datetime:
    return _now()


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Fix the clock at `at` for the duration of the block (tests only)."""
    global _now  # noqa: PLW0603 - the clock is process-wide by design
    previous = _now
    _now = lambda: at  # noqa: E731
    try:
        yield
    finally:
        _now = previous
