"""Who is told what (notifications.fanout and delivery), through HTTP, with the notification
consumer run by hand over the committed events: assignment, comments and status changes to
watchers, project roles; never the actor, never someone who cannot see the task; once per
event, however often the events are handed over; bursts folded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from tests.factories import Board, make_project, make_task
from tests.notifications.conftest import Notify
from tests.notifications.helpers import (
    add_to_project,
    changed,
    comment,
    deliver,
    edit_comment,
    events_of,
    handle_of,
    head,
    inbox,
    join,
    move_task,
    remove_from_project,
    remove_from_workspace,
    replay,
    status_id,
    stored,
    unread,
    unwatch,
    update_task,
    watch,
)


class TestAssigned:
    async def test_the_assignees_of_a_new_task_are_told(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        third = await join(client, board, name="Tess Third")
        task = await make_task(
            client, board.owner, board.pid, "Plan", assignee_ids=[board.member.id, third.id]
        )
        await deliver(notify)
        for user in (board.member, third):
            [told] = await inbox(client, user)
            assert told["type"] == "assigned"
            assert told["summary"] == "Olive Owner assigned you ENG-1: Plan"
            assert (told["task_id"], told["task_key"], told["task_title"]) == (
                task["id"],
                "ENG-1",
                "Plan",
            )
            assert (told["actor_id"], told["actor_name"]) == (board.owner.id, "Olive Owner")
            assert (told["project_id"], told["workspace_id"]) == (board.pid, board.workspace["id"])
            assert (told["read_at"], told["archived_at"], told["snoozed_until"]) == (
                None,
                None,
                None,
            )
            assert (told["count"], told["comment_id"]) == (1, None)
        assert await inbox(client, board.owner) == []

    async def test_adding_an_assignee_tells_only_the_new_one(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        third = await join(client, board, name="Tess Third")
        task = await make_task(
            client, board.owner, board.pid, "Plan", assignee_ids=[board.member.id]
        )
        await deliver(notify)
        await update_task(client, board.owner, task, assignee_ids=[board.member.id, third.id])
        await deliver(notify)
        assert [n["type"] for n in await inbox(client, board.member)] == ["assigned"]
        assert [n["summary"] for n in await inbox(client, third)] == [
            "Olive Owner assigned you ENG-1: Plan"
        ]

    async def test_removing_an_assignee_tells_nobody(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        task = await make_task(
            client, board.owner, board.pid, "Plan", assignee_ids=[board.member.id]
        )
        await deliver(notify)
        await update_task(client, board.owner, task, assignee_ids=[])
        await deliver(notify)
        assert len(await stored(app, board.member)) == 1

    async def test_assigning_yourself_tells_nobody(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        await make_task(client, board.owner, board.pid, "Mine", assignee_ids=[board.owner.id])
        task = await make_task(client, board.owner, board.pid, "Also mine")
        await update_task(client, board.member, task, assignee_ids=[board.member.id])
        await deliver(notify)
        assert await stored(app, board.owner) == []
        assert await stored(app, board.member) == []

    async def test_an_assignee_also_mentioned_is_told_once_that_they_were_assigned(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        member = board.member
        handle = await handle_of(client, member)
        await make_task(
            client,
            board.owner,
            board.pid,
            "Plan",
            description=f"@{handle} please take this",
            assignee_ids=[member.id],
        )
        await deliver(notify)
        assert [n["type"] for n in await inbox(client, member)] == ["assigned"]


class TestCommented:
    async def test_every_watcher_but_the_commenter_is_told(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        third = await join(client, board, name="Tess Third")
        task = await make_task(client, board.owner, board.pid, "Plan")  # Olive watches
        await watch(client, third, task)
        await watch(client, board.member, task)
        said = await comment(client, board.member, task, "Looks  good\n to me")
        await deliver(notify)
        for user in (board.owner, third):
            [told] = await inbox(client, user)
            assert told["type"] == "commented"
            assert told["summary"] == "Max Member commented on ENG-1: Looks good to me"
            assert (told["comment_id"], told["task_id"]) == (said["id"], task["id"])
            assert told["actor_name"] == "Max Member"
        assert await stored(app, board.member) == []

    async def test_a_long_comment_is_cut_in_the_summary(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        task = await make_task(client, board.owner, board.pid, "Plan")
        await comment(client, board.member, task, "word " * 100)
        await deliver(notify)
        [told] = await inbox(client, board.owner)
        assert told["summary"].startswith("Max Member commented on ENG-1: word word")
        assert told["summary"].endswith("…")
        assert len(told["summary"]) <= len("Max Member commented on ENG-1: ") + 140

    async def test_a_watcher_who_is_also_mentioned_is_told_only_of_the_mention(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        task = await make_task(client, board.owner, board.pid, "Plan")  # Olive watches
        handle = await handle_of(client, board.owner)
        await comment(client, board.member, task, f"@{handle} have a look")
        await deliver(notify)
        [told] = await inbox(client, board.owner)
        assert told["type"] == "mentioned"

    async def test_one_who_stopped_watching_is_not_told(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        task = await make_task(client, board.owner, board.pid, "Plan")
        await unwatch(client, board.owner, task)
        await comment(client, board.member, task, "Anyone?")
        await deliver(notify)
        assert await stored(app, board.owner) == []

    async def test_editing_a_comment_tells_no_watcher(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        task = await make_task(client, board.owner, board.pid, "Plan")
        said = await comment(client, board.member, task, "First thought")
        await deliver(notify)
        await changed(client, board.owner, "read", all=True)
        await edit_comment(client, board.member, said, "Second thought")
        await deliver(notify)
        assert await unread(client, board.owner) == 0
        assert len(await inbox(client, board.owner)) == 1

    async def test_a_watcher_who_lost_the_project_is_not_told(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        guest = await join(client, board, workspace_role="guest", project_role="member")
        task = await make_task(client, board.owner, board.pid, "Plan")
        await watch(client, guest, task)
        await remove_from_project(client, board, guest)
        await comment(client, board.member, task, "News")
        await deliver(notify)
        assert [n.type for n in await stored(app, guest)] == ["added"]  # to the project


class TestDeletedComments:
    async def test_deleting_a_comment_takes_its_text_out_of_the_notifications(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        """As tests/comments/test_deletion.py requires of everything else that shows it."""
        secret = "pelican-47"
        third = await join(client, board, name="Tess Third")
        handle = await handle_of(client, third)
        task = await make_task(client, board.owner, board.pid, "Plan")  # Olive watches
        said = await comment(client, board.member, task, f"@{handle} the password is {secret}")
        await deliver(notify)
        for user in (board.owner, third):  # commented, mentioned
            assert secret in (await inbox(client, user))[0]["summary"]  # so this can fail
        url = f"/api/v1/comments/{said['id']}"
        assert (await client.delete(url, headers=board.member.headers)).status_code == 204
        for user in (board.owner, third):
            for box in ("inbox", "archived", "snoozed"):
                assert secret not in str(await inbox(client, user, box=box))
            assert all(secret not in f"{n.summary} {n.data}" for n in await stored(app, user))
        for event in await events_of(app, "notification.created"):
            assert secret not in str(event.data)


class TestStatusChanged:
    async def test_a_status_change_tells_the_watchers_but_not_the_actor(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        task = await make_task(client, board.owner, board.pid, "Plan")  # Olive watches
        await watch(client, board.member, task)
        await update_task(client, board.member, task, status_id=status_id(board, "In Progress"))
        await deliver(notify)
        [told] = await inbox(client, board.owner)
        assert told["type"] == "status_changed"
        assert told["summary"] == "Max Member moved ENG-1 to In Progress"
        assert told["task_id"] == task["id"]
        assert await stored(app, board.member) == []

    async def test_a_move_to_another_column_tells_the_watchers_but_not_the_actor(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        task = await make_task(client, board.owner, board.pid, "Plan")
        await watch(client, board.member, task)
        await move_task(client, board.member, task, status_id(board, "Done"))
        await deliver(notify)
        assert [n["summary"] for n in await inbox(client, board.owner)] == [
            "Max Member moved ENG-1 to Done"
        ]
        assert await stored(app, board.member) == []

    async def test_a_bulk_change_tells_the_watchers_of_each_task(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        first = await make_task(client, board.owner, board.pid, "Plan")
        second = await make_task(client, board.owner, board.pid, "Build")
        done = status_id(board, "Done")
        response = await client.patch(
            f"/api/v1/projects/{board.pid}/tasks",
            json={
                "items": [{"id": t["id"], "changes": {"status_id": done}} for t in (first, second)]
            },
            headers=board.member.headers,
        )
        assert response.status_code == 200, response.text
        await deliver(notify)
        assert sorted(n["summary"] for n in await inbox(client, board.owner)) == [
            "Max Member moved ENG-1 to Done",
            "Max Member moved ENG-2 to Done",
        ]

    async def test_a_move_within_the_column_tells_nobody(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        task = await make_task(client, board.owner, board.pid, "Plan")
        await make_task(client, board.owner, board.pid, "Other")
        await move_task(client, board.member, task, task["status_id"])
        await deliver(notify)
        assert await stored(app, board.owner) == []

    async def test_other_edits_tell_nobody(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        task = await make_task(client, board.owner, board.pid, "Plan")
        await update_task(client, board.member, task, title="Plan better", priority="high")
        await deliver(notify)
        assert await stored(app, board.owner) == []


class TestAdded:
    async def test_a_person_given_a_project_role_is_told(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        guest = await join(client, board, workspace_role="guest")
        await add_to_project(client, board, guest, "viewer")
        await deliver(notify)
        [told] = await inbox(client, guest)
        assert told["type"] == "added"
        assert told["summary"] == "Olive Owner added you to the project Engineering"
        assert (told["project_id"], told["task_id"], told["task_key"]) == (board.pid, None, None)
        assert await stored(app, board.owner) == []

    async def test_joining_a_workspace_tells_nobody(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        newcomer = await join(client, board)  # accepting an invitation: their own doing
        await deliver(notify)
        assert await stored(app, newcomer) == []
        assert await stored(app, board.owner) == []

    async def test_creating_a_project_tells_nobody(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        # A member (not a workspace admin) who creates a project is made its admin: an event
        # of their own doing.
        await make_project(client, board.member, board.workspace["id"], key="OPS")
        await deliver(notify)
        assert await stored(app, board.member) == []
        assert await stored(app, board.owner) == []


class TestAccessWhenDelivered:
    async def test_a_member_removed_before_the_consumer_runs_gets_nothing(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        member = board.member
        task = await make_task(client, board.owner, board.pid, "Plan", assignee_ids=[member.id])
        await watch(client, member, task)
        await update_task(client, board.owner, task, status_id=status_id(board, "Done"))
        await remove_from_workspace(client, board, member)
        await deliver(notify)
        assert await stored(app, member) == []


class TestOnceOnly:
    async def test_events_handed_over_again_add_nothing(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        start = await head(app)
        third = await join(client, board, name="Tess Third")
        task = await make_task(
            client, board.owner, board.pid, "Plan", assignee_ids=[board.member.id]
        )
        await watch(client, third, task)
        await comment(client, board.member, task, "On it")
        await move_task(client, board.owner, task, status_id(board, "Done"))
        handled = await deliver(notify)
        before = {u.id: await inbox(client, u) for u in (board.owner, board.member, third)}
        assert await replay(app, start) == handled
        after = {u.id: await inbox(client, u) for u in (board.owner, board.member, third)}
        assert after == before
        assert [len(before[u.id]) for u in (board.owner, board.member, third)] == [1, 2, 2]

    async def test_a_folded_burst_handed_over_again_adds_nothing(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        start = await head(app)
        task = await make_task(client, board.owner, board.pid, "Plan")
        await watch(client, board.member, task)
        await move_task(client, board.owner, task, status_id(board, "In Progress"))
        await deliver(notify)
        await move_task(client, board.owner, task, status_id(board, "Done"))
        await deliver(notify)
        before = await inbox(client, board.member)
        await replay(app, start)
        assert await inbox(client, board.member) == before

    async def test_a_folded_burst_handed_over_again_after_it_was_read_adds_nothing(
        self, client: httpx.AsyncClient, board: Board, app: FastAPI, notify: Notify
    ) -> None:
        start = await head(app)
        task = await make_task(client, board.owner, board.pid, "Plan")
        await watch(client, board.member, task)
        await move_task(client, board.owner, task, status_id(board, "In Progress"))
        await deliver(notify)
        await move_task(client, board.owner, task, status_id(board, "Done"))
        await deliver(notify)
        [folded] = await inbox(client, board.member)
        assert folded["count"] == 2
        assert await changed(client, board.member, "read", ids=[folded["id"]]) == 1
        await replay(app, start)
        assert [n["id"] for n in await inbox(client, board.member)] == [folded["id"]]
        assert await unread(client, board.member) == 0


class TestCoalescing:
    async def test_two_status_changes_by_one_person_fold_into_one(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        task = await make_task(client, board.owner, board.pid, "Plan")
        await watch(client, board.member, task)
        await move_task(client, board.owner, task, status_id(board, "In Progress"))
        await deliver(notify)
        [first] = await inbox(client, board.member)
        await update_task(client, board.owner, task, status_id=status_id(board, "Done"))
        await deliver(notify)
        [folded] = await inbox(client, board.member)
        assert folded["id"] == first["id"]
        assert folded["count"] == 2
        assert folded["summary"] == "Olive Owner moved ENG-1 to Done"
        assert folded["updated_at"] > first["updated_at"]
        assert await unread(client, board.member) == 1

    async def test_changes_in_one_batch_fold_too(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        task = await make_task(client, board.owner, board.pid, "Plan")
        await watch(client, board.member, task)
        for name in ("In Progress", "Done", "Todo"):
            await move_task(client, board.owner, task, status_id(board, name))
        await deliver(notify)
        [folded] = await inbox(client, board.member)
        assert (folded["count"], folded["summary"]) == (3, "Olive Owner moved ENG-1 to Todo")

    async def test_after_it_is_read_the_next_change_is_a_new_notification(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        task = await make_task(client, board.owner, board.pid, "Plan")
        await watch(client, board.member, task)
        await move_task(client, board.owner, task, status_id(board, "In Progress"))
        await deliver(notify)
        [first] = await inbox(client, board.member)
        await changed(client, board.member, "read", ids=[first["id"]])
        await move_task(client, board.owner, task, status_id(board, "Done"))
        await deliver(notify)
        newest, older = await inbox(client, board.member)
        assert older["id"] == first["id"]
        assert (older["count"], older["summary"]) == (1, "Olive Owner moved ENG-1 to In Progress")
        assert (newest["count"], newest["summary"]) == (1, "Olive Owner moved ENG-1 to Done")
        assert newest["read_at"] is None
        assert await unread(client, board.member) == 1

    async def test_a_change_after_the_last_one_was_snoozed_is_not_hidden_with_it(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        task = await make_task(client, board.owner, board.pid, "Plan")
        await watch(client, board.member, task)
        await move_task(client, board.owner, task, status_id(board, "In Progress"))
        await deliver(notify)
        [first] = await inbox(client, board.member)
        response = await client.post(
            f"/api/v1/notifications/{first['id']}/snooze",
            json={"until": (datetime.now(UTC) + timedelta(days=1)).isoformat()},
            headers=board.member.headers,
        )
        assert response.status_code == 204, response.text
        await move_task(client, board.owner, task, status_id(board, "Done"))
        await deliver(notify)
        assert [n["summary"] for n in await inbox(client, board.member)] == [
            "Olive Owner moved ENG-1 to Done"
        ]
        assert await unread(client, board.member) == 1

    async def test_changes_by_different_people_do_not_fold(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        third = await join(client, board, name="Tess Third")
        task = await make_task(client, board.owner, board.pid, "Plan")
        await watch(client, board.member, task)
        await move_task(client, board.owner, task, status_id(board, "In Progress"))
        await move_task(client, third, task, status_id(board, "Done"))
        await deliver(notify)
        assert [n["summary"] for n in await inbox(client, board.member)] == [
            "Tess Third moved ENG-1 to Done",
            "Olive Owner moved ENG-1 to In Progress",
        ]

    async def test_changes_of_different_tasks_do_not_fold(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        first = await make_task(client, board.owner, board.pid, "Plan")
        second = await make_task(client, board.owner, board.pid, "Build")
        for task in (first, second):
            await watch(client, board.member, task)
            await move_task(client, board.owner, task, status_id(board, "Done"))
        await deliver(notify)
        assert [n["task_key"] for n in await inbox(client, board.member)] == ["ENG-2", "ENG-1"]


class TestNoCoalescing:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"notification_coalesce_seconds": 0}

    async def test_with_no_window_two_status_changes_are_two_notifications(
        self, client: httpx.AsyncClient, board: Board, notify: Notify
    ) -> None:
        task = await make_task(client, board.owner, board.pid, "Plan")
        await watch(client, board.member, task)
        await move_task(client, board.owner, task, status_id(board, "In Progress"))
        await deliver(notify)
        await move_task(client, board.owner, task, status_id(board, "Done"))
        await deliver(notify)
        told = await inbox(client, board.member)
        assert [(n["summary"], n["count"]) for n in told] == [
            ("Olive Owner moved ENG-1 to Done", 1),
            ("Olive Owner moved ENG-1 to In Progress", 1),
        ]
        assert await unread(client, board.member) == 2
