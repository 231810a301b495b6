from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from fastapi import FastAPI

from tasklane.events.dispatch import Dispatcher
from tasklane.notifications.fanout import NotificationConsumer

Notify = Callable[[], Awaitable[int]]


@pytest.fixture
def board_is_copied() -> bool:
    """These tests start from a fresh board but do not test its making: copy one (conftest)."""
    return True


@pytest.fixture
async def notify(app: FastAPI) -> Notify:
    """Run the notification consumer over every event committed since the fixture was made
    (the worker's dispatcher, by hand): the number of events it was handed."""
    runtime = app.state.runtime
    consumer = NotificationConsumer(runtime.settings, runtime.db)
    dispatcher = Dispatcher(runtime.settings, runtime.db, [consumer])
    await dispatcher.prepare()

    async def run() -> int:
        total = 0
        while handled := await dispatcher.dispatch_once(consumer):
            total += handled
        return total

    return run
