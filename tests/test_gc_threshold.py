"""The app sets the garbage collector's thresholds when it starts (Settings.gc_young_threshold):
a server under load otherwise stopped its event loop for a full collection every few seconds."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from asgi_lifespan import LifespanManager

from tasklane.app import GC_OLDER_THRESHOLD, create_app
from tests.conftest import make_settings


@pytest.fixture
def thresholds() -> Iterator[tuple[int, int, int]]:
    """Python's thresholds as the test found them, put back afterwards."""
    before = gc.get_threshold()
    yield before
    gc.set_threshold(*before)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_app_sets_the_collector_thresholds_when_it_starts(
    thresholds: tuple[int, int, int], database_url: str, tmp_path: Path
) -> None:
    app = create_app(make_settings(database_url, tmp_path / "data", gc_young_threshold=12_345))
    assert gc.get_threshold() == thresholds  # creating an app changes nothing
    async with LifespanManager(app):
        assert gc.get_threshold() == (12_345, GC_OLDER_THRESHOLD, GC_OLDER_THRESHOLD)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_zero_leaves_pythons_thresholds(
    thresholds: tuple[int, int, int], database_url: str, tmp_path: Path
) -> None:
    gc.set_threshold(701, 11, 12)
    app = create_app(make_settings(database_url, tmp_path / "data", gc_young_threshold=0))
    async with LifespanManager(app):
        assert gc.get_threshold() == (701, 11, 12)
