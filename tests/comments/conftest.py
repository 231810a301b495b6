from __future__ import annotations

import pytest


@pytest.fixture
def board_is_copied() -> bool:
    """These tests start from a fresh board but do not test its making: copy one (conftest)."""
    return True
