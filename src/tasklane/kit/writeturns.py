"""Writers in several processes on one SQLite file take turns through a file lock.

SQLite lets one connection write at a time. A writer that finds the file taken retries on
SQLite's busy-handler schedule, sleeping 1, 2, 5, 10 … up to 100 ms between tries. In one
process that is never reached: its writes queue for its one writer connection. With several
processes (`tasklane serve` runs one per core) the process that has just committed takes the
file again long before a sleeping one wakes, over and over: under the benchmark's mixed load
some writes of the other process waited more than 60 seconds.

So before `BEGIN IMMEDIATE` the writer connection takes its process's turn: an exclusive
`flock` on a file beside the database (`<database>-writers.lock`). A process waiting for it is
woken by the kernel the moment the holder lets go, with no sleeping schedule. The turn is given
back when the connection returns to its pool, that is when the transaction has ended. A turn
is taken without a thread when it is free (one process: always); otherwise one thread per
process waits for it, for at most the busy timeout, after which the write fails as a busy
SQLite write does ("database is locked", answered 503). The kernel drops the lock of a process
that dies, so a crash never leaves the others waiting.

Writers that do not take turns (another program, `sqlite3` at a prompt) still meet SQLite's own
lock and busy timeout, as before.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path


@dataclass
class _Attempt:
    """One wait in the thread; `abandoned` when the waiting write gave up (timeout, cancel)."""

    abandoned: bool = False
    taken: bool = False


class WriteTurns:
    """The turn of this process's writer connection. Not shared across a fork: a child opens
    the lock file again (a shared open file would share the lock too)."""

    def __init__(self, database: Path, *, timeout_seconds: float) -> None:
        self.path = database.with_name(database.name + "-writers.lock")
        self.timeout_seconds = timeout_seconds
        self._fd: int | None = None
        self._pid = 0
        self._held = False
        self._mutex = threading.Lock()
        self._waiter: ThreadPoolExecutor | None = None

    def _file(self) -> int:
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
            self._held = False
            self._waiter = None
        return self._fd

    async def take(self) -> None:
        """Wait for this process's turn to write."""
        fd = self._file()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            await self._wait(fd)
        self._held = True

    async def _wait(self, fd: int) -> None:
        if self._waiter is None:
            self._waiter = ThreadPoolExecutor(1, thread_name_prefix="sqlite-write-turn")
        attempt = _Attempt()
        waiting = asyncio.get_running_loop().run_in_executor(self._waiter, self._block, fd, attempt)
        try:
            async with asyncio.timeout(self.timeout_seconds):
                await asyncio.shield(waiting)
        except BaseException as exc:
            with self._mutex:
                attempt.abandoned = True
                if attempt.taken:  # granted just as the wait ended: give it back
                    fcntl.flock(fd, fcntl.LOCK_UN)
            if isinstance(exc, TimeoutError):
                raise sqlite3.OperationalError("database is locked") from None
            raise

    def _block(self, fd: int, attempt: _Attempt) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with self._mutex:
            if attempt.abandoned:
                fcntl.flock(fd, fcntl.LOCK_UN)
            else:
                attempt.taken = True

    def give(self) -> None:
        """The transaction has ended: let the next process write."""
        if self._held and self._fd is not None and self._pid == os.getpid():
            self._held = False
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None
        if self._waiter is not None:
            self._waiter.shutdown(wait=False, cancel_futures=True)
            self._waiter = None
