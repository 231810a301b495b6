"""Writer turns on SQLite (kit.writeturns): the lock another process would hold is taken here
on a second open of the lock file, which the kernel treats exactly as another process's."""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tasklane.kit.writeturns import WriteTurns


@pytest.fixture
def turns(tmp_path: Path) -> Iterator[WriteTurns]:
    made = WriteTurns(tmp_path / "tasklane.db", timeout_seconds=5)
    yield made
    made.close()


@pytest.fixture
def other(turns: WriteTurns) -> Iterator[int]:
    """The lock file as another process opens it."""
    fd = os.open(turns.path, os.O_RDWR | os.O_CREAT, 0o600)
    yield fd
    os.close(fd)


def _free(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    fcntl.flock(fd, fcntl.LOCK_UN)
    return True


async def test_a_free_turn_is_taken_and_given_back(turns: WriteTurns, other: int) -> None:
    await turns.take()
    assert not _free(other)
    turns.give()
    assert _free(other)
    turns.give()  # giving back twice is harmless
    assert _free(other)


async def test_a_writer_waits_for_the_other_process_and_follows_it(
    turns: WriteTurns, other: int
) -> None:
    fcntl.flock(other, fcntl.LOCK_EX)
    waiting = asyncio.create_task(turns.take())
    await asyncio.sleep(0.05)
    assert not waiting.done()
    fcntl.flock(other, fcntl.LOCK_UN)
    await asyncio.wait_for(waiting, timeout=5)
    assert not _free(other)
    turns.give()
    assert _free(other)


async def test_a_turn_not_had_within_the_timeout_fails_as_a_busy_write_and_leaks_nothing(
    tmp_path: Path,
) -> None:
    turns = WriteTurns(tmp_path / "tasklane.db", timeout_seconds=0.1)
    other = os.open(turns.path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(other, fcntl.LOCK_EX)
        with pytest.raises(sqlite3.OperationalError, match="database is locked"):
            await turns.take()
        fcntl.flock(other, fcntl.LOCK_UN)
        # The abandoned wait is granted the lock once it is free and gives it straight back;
        # the next turn comes after it.
        await asyncio.wait_for(turns.take(), timeout=5)
        turns.give()
        assert _free(other)
    finally:
        os.close(other)
        turns.close()


async def test_a_cancelled_wait_gives_back_a_late_grant(turns: WriteTurns, other: int) -> None:
    fcntl.flock(other, fcntl.LOCK_EX)
    waiting = asyncio.create_task(turns.take())
    await asyncio.sleep(0.05)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    fcntl.flock(other, fcntl.LOCK_UN)
    await asyncio.wait_for(turns.take(), timeout=5)
    turns.give()
    assert _free(other)


def test_a_forked_child_takes_its_own_turns(turns: WriteTurns) -> None:
    """A child that inherited the parent's open lock file would share the parent's lock: it
    opens the file again instead. (Not a coroutine: no event loop is running at the fork.)"""
    asyncio.run(turns.take())
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: the parent holds the turn, so a free try must fail
        os.close(read)
        try:
            fd = turns._file()
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.write(write, b"taken")
        except BlockingIOError:
            os.write(write, b"waits")
        finally:
            os._exit(0)
    os.close(write)
    answer = os.read(read, 16)
    os.close(read)
    os.waitpid(pid, 0)
    turns.give()
    assert answer == b"waits"
