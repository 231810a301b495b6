"""How late the event loop runs a timer: the time a request waits behind work that blocks it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable


class LoopLag:
    """Sleeps `interval` seconds again and again and reports, each time, how much later than
    asked it woke up (seconds). A loop that is free wakes within a fraction of a millisecond;
    a statement or a hash run on the loop itself shows as lag of its whole duration."""

    def __init__(self, observe: Callable[[float], None], *, interval: float = 0.05) -> None:
        self._observe = observe
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="loop-lag")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time()
            await asyncio.sleep(self._interval)
            self._observe(max(0.0, loop.time() - asked - self._interval))
