"""Recording events: sequence numbers at commit, and savepoints that take events back."""

from __future__ import annotations

from uuid import uuid4

import pytest
from sqlalchemy import select

from tasklane.db import Database
from tasklane.events import service as events
from tasklane.events.types import EventType
from tasklane.models import Event


async def test_events_of_a_rolled_back_savepoint_are_not_committed(database: Database) -> None:
    kept, dropped = uuid4(), uuid4()

    async with database.transaction() as session:
        events.record(session, EventType.WORKSPACE_UPDATED, actor_id=None, workspace_id=kept)

        async def undone() -> None:
            async with events.savepoint(session):
                events.record(
                    session, EventType.WORKSPACE_UPDATED, actor_id=None, workspace_id=dropped
                )
                raise RuntimeError("this change is undone")

        with pytest.raises(RuntimeError):
            await undone()
        async with events.savepoint(session):
            events.record(session, EventType.WORKSPACE_UPDATED, actor_id=None, workspace_id=kept)

    async with database.transaction(write=False) as session:
        stored = (await session.scalars(select(Event).order_by(Event.seq))).all()
    assert [(e.seq, e.workspace_id) for e in stored] == [(1, kept), (2, kept)]
