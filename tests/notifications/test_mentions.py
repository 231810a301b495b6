"""@mentions (notifications.mentions) through HTTP: in comments and task descriptions, only
the newly added ones, only people who can see the task; an outsider's handle mentions nobody
and nothing reveals that it is one."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from tests.factories import Board, User, make_project, make_task, make_user, make_workspace
from tests.notifications.conftest import Notify
from tests.notifications.helpers import (
    comment,
    deliver,
    edit_comment,
    events_of,
    handle_of,
    inbox,
    join,
    remove_from_workspace,
    stored,
    update_task,
)


async def _third(client: httpx.AsyncClient, board: Board) -> tuple[User, str]:
    """A member who does not watch anything yet, and their handle."""
    third = await join(client, board, name="Tess Third")
    return third, await handle_of(client, third)


class TestInComments:
    async def test_a_mentioned_member_is_told(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        third, handle = await _third(client, board)
        task = await make_task(client, board.owner, board.pid, "Plan")
        said = await comment(client, board.member, task, f"@{handle} can you look?")
        await deliver(notify)
        [told] = await inbox(client, third)
        assert told["type"] == "mentioned"
        assert told["summary"] == f"Max Member mentioned you on ENG-1: @{handle} can you look?"
        assert (told["comment_id"], told["task_id"], told["task_key"]) == (
            said["id"],
            task["id"],
            "ENG-1",
        )
        [event] = await events_of(app, "comment.created")
        assert event.data["mentions"] == [third.id]

    async def test_a_handle_is_matched_whatever_its_case(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        third, handle = await _third(client, board)
        task = await make_task(client, board.owner, board.pid, "Plan")
        await comment(client, board.member, task, f"Thanks, @{handle.upper()} (and @{handle})!")
        await deliver(notify)
        assert [n["type"] for n in await inbox(client, third)] == ["mentioned"]

    async def test_a_handle_in_code_mentions_nobody(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        third, handle = await _third(client, board)
        task = await make_task(client, board.owner, board.pid, "Plan")
        await comment(client, board.member, task, f"Run `ping @{handle}`\n```\n@{handle}\n```")
        await comment(client, board.member, task, f"Write to someone.{handle}@example.com")
        await deliver(notify)
        assert await stored(app, third) == []

    async def test_mentioning_yourself_tells_nobody(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        handle = await handle_of(client, board.member)
        task = await make_task(client, board.owner, board.pid, "Plan")
        await comment(client, board.member, task, f"Note to self, @{handle}: do it")
        await deliver(notify)
        assert await stored(app, board.member) == []

    async def test_a_viewer_is_told(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        viewer = await join(client, board, project_role="viewer")
        task = await make_task(client, board.owner, board.pid, "Plan")
        await comment(client, board.member, task, f"@{await handle_of(client, viewer)} FYI")
        await deliver(notify)
        assert [n["type"] for n in await inbox(client, viewer)] == ["mentioned", "added"]

    async def test_a_guest_with_a_role_in_the_project_is_told(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        guest = await join(client, board, workspace_role="guest", project_role="member")
        task = await make_task(client, board.owner, board.pid, "Plan")
        await comment(client, board.member, task, f"@{await handle_of(client, guest)} FYI")
        await deliver(notify)
        assert [n["type"] for n in await inbox(client, guest)] == ["mentioned", "added"]

    async def test_a_guest_without_a_role_in_the_project_is_not_told(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        guest = await join(client, board, workspace_role="guest")
        task = await make_task(client, board.owner, board.pid, "Plan")
        body = f"@{await handle_of(client, guest)} FYI"
        said = await comment(client, board.member, task, body)
        await deliver(notify)
        assert said["body"] == body
        assert await stored(app, guest) == []
        [event] = await events_of(app, "comment.created")
        assert "mentions" not in event.data

    async def test_an_outsider_is_not_told_and_nothing_tells_them_apart(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        outsider = await make_user(client, name="Oscar Outside")
        elsewhere = await make_workspace(client, outsider, name="Elsewhere")
        await make_project(client, outsider, elsewhere["id"], key="OUT")
        outsider_handle = await handle_of(client, outsider)
        task = await make_task(client, board.owner, board.pid, "Plan")
        to_outsider = await comment(client, board.member, task, f"@{outsider_handle} hi")
        to_nobody = await comment(client, board.member, task, "@no-such-person hi")
        await deliver(notify)
        assert await stored(app, outsider) == []
        assert set(to_outsider) == set(to_nobody)
        assert to_outsider["body"] == f"@{outsider_handle} hi"
        for event in await events_of(app, "comment.created"):
            assert "mentions" not in event.data
            assert outsider.id not in str(event.data)

    async def test_a_member_removed_before_the_consumer_runs_is_not_told(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        third, handle = await _third(client, board)
        task = await make_task(client, board.owner, board.pid, "Plan")
        await comment(client, board.member, task, f"@{handle} see this")
        await remove_from_workspace(client, board, third)
        await deliver(notify)
        assert await stored(app, third) == []

    async def test_editing_a_comment_tells_only_the_newly_mentioned(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        third, handle = await _third(client, board)
        member = await handle_of(client, board.member)
        task = await make_task(client, board.owner, board.pid, "Plan")
        said = await comment(client, board.owner, task, f"@{handle} look")
        await deliver(notify)
        await edit_comment(client, board.owner, said, f"@{handle} and @{member}, look again")
        await deliver(notify)
        assert len(await inbox(client, third)) == 1
        [told] = await inbox(client, board.member)
        assert told["type"] == "mentioned"
        assert (
            told["summary"]
            == f"Olive Owner mentioned you on ENG-1: @{handle} and @{member}, look again"
        )
        assert told["comment_id"] == said["id"]


class TestInDescriptions:
    async def test_a_new_tasks_description_tells_the_mentioned(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        third, handle = await _third(client, board)
        task = await make_task(
            client, board.owner, board.pid, "Plan", description=f"Ask @{handle} first"
        )
        await deliver(notify)
        [told] = await inbox(client, third)
        assert told["type"] == "mentioned"
        assert told["summary"] == "Olive Owner mentioned you in ENG-1: Plan"
        assert (told["task_id"], told["comment_id"]) == (task["id"], None)
        assert await stored(app, board.owner) == []

    async def test_editing_a_description_tells_only_the_newly_mentioned(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        third, handle = await _third(client, board)
        member = await handle_of(client, board.member)
        task = await make_task(
            client, board.owner, board.pid, "Plan", description=f"Ask @{handle} first"
        )
        await deliver(notify)
        await update_task(
            client, board.owner, task, description=f"Ask @{handle} first, then @{member}"
        )
        await deliver(notify)
        assert len(await inbox(client, third)) == 1
        assert [n["summary"] for n in await inbox(client, board.member)] == [
            "Olive Owner mentioned you in ENG-1: Plan"
        ]

    async def test_other_edits_of_a_task_with_mentions_tell_nobody_again(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        third, handle = await _third(client, board)
        task = await make_task(
            client, board.owner, board.pid, "Plan", description=f"Ask @{handle} first"
        )
        await update_task(client, board.owner, task, title="Plan well")
        await update_task(client, board.owner, task, description=f"Ask @{handle} first, please")
        await deliver(notify)
        assert len(await stored(app, third)) == 1

    async def test_mentioning_yourself_in_a_description_tells_nobody(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        handle = await handle_of(client, board.owner)
        await make_task(client, board.owner, board.pid, "Plan", description=f"@{handle} me")
        await deliver(notify)
        assert await stored(app, board.owner) == []

    async def test_an_outsider_in_a_description_is_not_told(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        outsider = await make_user(client, name="Oscar Outside")
        handle = await handle_of(client, outsider)
        task = await make_task(client, board.owner, board.pid, "Plan", description=f"@{handle}")
        await deliver(notify)
        assert task["description"] == f"@{handle}"
        assert await stored(app, outsider) == []
        [event] = await events_of(app, "task.created")
        assert "mentions" not in event.data
