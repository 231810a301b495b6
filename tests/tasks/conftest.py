from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.factories import User, add_member, make_project, make_user, make_workspace, statuses


@dataclass
class Board:
    owner: User
    member: User
    workspace: dict[str, Any]
    project: dict[str, Any]
    statuses: dict[str, dict[str, Any]]  # by name

    @property
    def pid(self) -> str:
        return str(self.project["id"])


@pytest.fixture
async def board(client: httpx.AsyncClient) -> Board:
    owner = await make_user(client, name="Olive Owner")
    member = await make_user(client, name="Max Member")
    workspace = await make_workspace(client, owner)
    await add_member(client, owner, workspace["id"], member)
    project = await make_project(client, owner, workspace["id"], key="ENG")
    by_name = {s["name"]: s for s in await statuses(client, owner, project["id"])}
    return Board(owner, member, workspace, project, by_name)
