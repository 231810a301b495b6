"""The dispatcher hands committed events to consumers in order, at least once, each consumer
resuming from its own stored position."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from uuid import uuid4

import pytest
from sqlalchemy import select

from tasklane.config import Settings
from tasklane.db import Database
from tasklane.events import service as events
from tasklane.events.dispatch import Dispatcher
from tasklane.events.types import EventType
from tasklane.models import ConsumerPosition, Event


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    """Positions written after every batch, so the table shows each step (the default writes
    them at most once a second on SQLite; tested below with its own settings)."""
    return {"dispatch_save_seconds": 0}


class Recorder:
    """A consumer that keeps what it was handed (and can be told to fail)."""

    def __init__(self, name: str = "recorder", *, failures: int = 0) -> None:
        self.name = name
        self.batches: list[list[int]] = []
        self.failures = failures

    async def handle(self, batch: Sequence[Event]) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("consumer down")
        self.batches.append([e.seq for e in batch])

    @property
    def seqs(self) -> list[int]:
        return [s for batch in self.batches for s in batch]


async def record(database: Database, n: int = 1) -> list[int]:
    """Commit `n` events in one transaction; their sequence numbers."""
    async with database.transaction() as session:
        recorded = [
            events.record(session, EventType.WORKSPACE_UPDATED, actor_id=None, workspace_id=uuid4())
            for _ in range(n)
        ]
    return [e.seq for e in recorded]


async def position(database: Database, name: str) -> int:
    async with database.transaction(write=False) as session:
        return int(
            await session.scalar(
                select(ConsumerPosition.position).where(ConsumerPosition.name == name)
            )
            or 0
        )


async def test_a_new_consumer_starts_at_the_head(database: Database, settings: Settings) -> None:
    await record(database, 3)
    consumer = Recorder()
    dispatcher = Dispatcher(settings, database, [consumer])
    await dispatcher.prepare()
    assert await dispatcher.dispatch_once(consumer) == 0
    assert await position(database, "recorder") == 3


async def test_committed_events_are_handed_over_in_order_once(
    database: Database, settings: Settings
) -> None:
    consumer = Recorder()
    dispatcher = Dispatcher(settings, database, [consumer])
    await dispatcher.prepare()
    first = await record(database, 2)
    second = await record(database, 3)
    assert await dispatcher.dispatch_once(consumer) == 5
    assert await dispatcher.dispatch_once(consumer) == 0
    third = await record(database)
    assert await dispatcher.dispatch_once(consumer) == 1
    assert consumer.seqs == first + second + third
    assert await position(database, "recorder") == third[-1]


async def test_a_restarted_dispatcher_skips_what_was_handled(
    database: Database, settings: Settings
) -> None:
    consumer = Recorder()
    await Dispatcher(settings, database, [consumer]).prepare()
    await record(database, 2)
    await Dispatcher(settings, database, [consumer]).dispatch_once(consumer)
    later = await record(database, 2)
    again = Recorder()  # a new process: same consumer name, nothing in memory
    restarted = Dispatcher(settings, database, [again])
    await restarted.prepare()  # an existing position is kept
    await restarted.dispatch_once(again)
    assert again.seqs == later


async def test_an_uncommitted_event_is_not_handed_over(
    database: Database, settings: Settings
) -> None:
    consumer = Recorder()
    dispatcher = Dispatcher(settings, database, [consumer])
    await dispatcher.prepare()
    woken: list[str] = []
    database.on_signal("events", lambda: woken.append("events"))

    async def rolled_back() -> None:
        async with database.transaction() as session:
            events.record(session, EventType.WORKSPACE_UPDATED, actor_id=None, workspace_id=None)
            await session.flush()
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError):
        await rolled_back()
    assert await dispatcher.dispatch_once(consumer) == 0
    assert woken == []
    seqs = await record(database)
    assert woken == ["events"]
    await dispatcher.dispatch_once(consumer)
    assert consumer.seqs == seqs == [1]  # the rolled-back one left no gap


async def test_a_failing_consumer_gets_the_same_batch_again(
    database: Database, settings: Settings
) -> None:
    consumer = Recorder(failures=1)
    dispatcher = Dispatcher(settings, database, [consumer])
    await dispatcher.prepare()
    seqs = await record(database, 3)
    assert await dispatcher.dispatch_once(consumer) == 0
    assert await position(database, "recorder") == 0
    assert await dispatcher.dispatch_once(consumer) == 0  # waiting out its retry delay
    await asyncio.sleep(0.15)
    assert await dispatcher.dispatch_once(consumer) == 3
    assert consumer.seqs == seqs


async def test_consumers_keep_separate_positions(database: Database, settings: Settings) -> None:
    fast, broken = Recorder("fast"), Recorder("broken", failures=100)
    dispatcher = Dispatcher(settings, database, [fast, broken])
    await dispatcher.prepare()
    await record(database, 2)
    for consumer in (fast, broken):
        await dispatcher.dispatch_once(consumer)
    assert (await position(database, "fast"), await position(database, "broken")) == (2, 0)


async def test_the_run_loop_is_woken_by_a_commit(database: Database, settings: Settings) -> None:
    slow_poll = settings.model_copy(update={"dispatch_poll_seconds": 30})
    consumer = Recorder()
    dispatcher = Dispatcher(slow_poll, database, [consumer])
    stopping = asyncio.Event()
    loop = asyncio.create_task(dispatcher.run(stopping))
    try:
        await asyncio.sleep(0.2)
        seqs = await record(database, 2)
        # Up to 10 s on a loaded machine (CI once needed more than 2): still well before the
        # 30 s poll, so only the wake-up can have delivered them.
        for _ in range(500):
            if consumer.seqs == seqs:
                break
            await asyncio.sleep(0.02)
        assert consumer.seqs == seqs
    finally:
        stopping.set()
        dispatcher.wake()
        await asyncio.wait_for(loop, timeout=10)


@pytest.mark.parametrize("backend", ["sqlite"])
class TestHeldPositions:
    """SQLite: the position reached is kept in memory and written at most once per
    `dispatch_save_seconds`, when the dispatcher idles past that, and when it stops."""

    async def test_a_position_is_written_at_most_once_per_interval(
        self, database: Database, settings: Settings
    ) -> None:
        held = settings.model_copy(update={"dispatch_save_seconds": 60})
        consumer = Recorder()
        dispatcher = Dispatcher(held, database, [consumer])
        await dispatcher.prepare()
        first = await record(database, 2)
        assert await dispatcher.dispatch_once(consumer) == 2  # the first batch is written
        assert await position(database, "recorder") == first[-1]
        second = await record(database, 2)
        assert await dispatcher.dispatch_once(consumer) == 2
        assert await dispatcher.dispatch_once(consumer) == 0  # not handed over twice
        assert await position(database, "recorder") == first[-1]  # not written yet
        assert consumer.seqs == first + second

        again = Recorder()  # a crash now: another process starts from the table
        restarted = Dispatcher(held, database, [again])
        assert await restarted.dispatch_once(again) == 2
        assert again.seqs == second  # at least once: the unwritten interval comes again

        await dispatcher.save_positions()  # stopping writes it, if no one moved it on
        assert await position(database, "recorder") == second[-1]

    async def test_another_dispatcher_that_moved_on_is_followed(
        self, database: Database, settings: Settings
    ) -> None:
        held = settings.model_copy(update={"dispatch_save_seconds": 60})
        consumer, other = Recorder(), Recorder()
        one, two = Dispatcher(held, database, [consumer]), Dispatcher(settings, database, [other])
        await one.prepare()
        await record(database, 1)
        await one.dispatch_once(consumer)
        held_back = await record(database, 1)
        await one.dispatch_once(consumer)  # handled, not written
        await two.dispatch_once(other)  # writes after every batch
        assert await position(database, "recorder") == held_back[-1]
        later = await record(database, 1)
        await one.save_positions()  # its compare-and-set finds the table moved: no change
        assert await position(database, "recorder") == held_back[-1]
        assert await one.dispatch_once(consumer) == 1
        assert consumer.seqs[-1:] == later

    async def test_the_run_loop_writes_the_position_once_idle_past_the_interval(
        self, database: Database, settings: Settings
    ) -> None:
        held = settings.model_copy(
            update={"dispatch_save_seconds": 0.5, "dispatch_poll_seconds": 30}
        )
        consumer = Recorder()
        dispatcher = Dispatcher(held, database, [consumer])
        stopping = asyncio.Event()
        loop = asyncio.create_task(dispatcher.run(stopping))
        try:
            await asyncio.sleep(0.2)
            await record(database, 1)  # written at once: the first of its interval
            seqs = await record(database, 2)
            for _ in range(500):
                if await position(database, "recorder") == seqs[-1]:
                    break
                await asyncio.sleep(0.02)
            # Far sooner than the 30 s poll: the idle loop woke to write it.
            assert await position(database, "recorder") == seqs[-1]
        finally:
            stopping.set()
            dispatcher.wake()
            await asyncio.wait_for(loop, timeout=10)


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
class TestPostgres:
    async def test_a_commit_in_another_process_wakes_the_dispatcher(
        self, database: Database, settings: Settings
    ) -> None:
        """The writer here is another Database (its own pool, as another process would
        have): only PostgreSQL's NOTIFY can wake the dispatcher before its 30 s poll."""
        slow_poll = settings.model_copy(update={"dispatch_poll_seconds": 30})
        consumer = Recorder()
        dispatcher = Dispatcher(slow_poll, database, [consumer])
        stopping = asyncio.Event()
        loop = asyncio.create_task(dispatcher.run(stopping))
        other = Database(settings)
        try:
            await asyncio.sleep(0.3)
            seqs = await record(other, 2)
            for _ in range(200):
                if consumer.seqs == seqs:
                    break
                await asyncio.sleep(0.02)
            assert consumer.seqs == seqs
        finally:
            stopping.set()
            dispatcher.wake()
            await asyncio.wait_for(loop, timeout=10)
            await other.dispose()

    async def test_concurrent_dispatchers_hand_each_event_over_once(
        self, database: Database, settings: Settings
    ) -> None:
        consumer = Recorder()
        dbs = [Database(settings) for _ in range(3)]
        dispatchers = [Dispatcher(settings, d, [consumer]) for d in dbs]
        try:
            await dispatchers[0].prepare()
            seqs: list[int] = []
            for _ in range(10):
                seqs += await record(database, 3)
                await asyncio.gather(*(d.dispatch_once(consumer) for d in dispatchers))
            while await asyncio.gather(*(d.dispatch_once(consumer) for d in dispatchers)) != [
                0,
                0,
                0,
            ]:
                pass
        finally:
            for d in dbs:
                await d.dispose()
        assert sorted(consumer.seqs) == seqs
        assert len(consumer.seqs) == len(set(consumer.seqs))
