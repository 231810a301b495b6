"""asyncio helpers."""

from __future__ import annotations

import asyncio


async def first_set(*events: asyncio.Event) -> None:
    """Return as soon as any of `events` is set."""
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
