"""The event loop's lag: sampled by a timer, served at /metrics."""

from __future__ import annotations

import asyncio
import time

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tasklane.kit.looplag import LoopLag


async def test_work_that_blocks_the_loop_shows_as_lag() -> None:
    seen: list[float] = []
    lag = LoopLag(seen.append, interval=0.01)
    lag.start()
    try:
        await asyncio.sleep(0.05)
        time.sleep(0.2)  # noqa: ASYNC251 - blocking the loop on purpose, as a slow statement would
        await asyncio.sleep(0.05)
    finally:
        await lag.stop()
    assert seen, "no sample was taken"
    assert max(seen) >= 0.15, seen


async def test_stop_ends_the_sampler() -> None:
    seen: list[float] = []
    lag = LoopLag(seen.append, interval=0.01)
    lag.start()
    await asyncio.sleep(0.05)
    await lag.stop()
    taken = len(seen)
    await asyncio.sleep(0.05)
    assert len(seen) == taken


async def test_the_running_app_reports_its_loop_lag(client: httpx.AsyncClient) -> None:
    def samples() -> float:
        return sum(
            s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
            if s.name == "tasklane_event_loop_lag_seconds_count"
        )

    text = (await client.get("/metrics")).text
    before = samples()
    await asyncio.sleep(0.3)
    text = (await client.get("/metrics")).text
    assert samples() > before
