"""Helpers for the notification tests: the inbox and the writes that notify, through HTTP;
the consumer run by hand (again, as after a crash); rows the API does not show."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
from fastapi import FastAPI
from sqlalchemy import func, select, update

from tasklane.events.dispatch import Dispatcher
from tasklane.models import ConsumerPosition, Event, Notification
from tasklane.notifications.due import notify_due_soon
from tasklane.notifications.fanout import NotificationConsumer, announce
from tests.factories import Board, User, add_member, expect, make_user
from tests.notifications.conftest import Notify

JSON = dict[str, Any]
API = "/api/v1"


# --- the consumer ---------------------------------------------------------------------------


async def deliver(notify: Notify) -> int:
    """Run the consumer over what was committed since; fail when it handled nothing (nothing
    was committed, or the consumer raised: the dispatcher logs that and hands back 0)."""
    handled = await notify()
    assert handled, "the notification consumer handled no event"
    return handled


async def due_soon(app: FastAPI) -> int:
    """Run the hourly due-soon job's work once: the number of notifications shown."""
    runtime = app.state.runtime
    async with runtime.db.transaction() as session:
        shown = await notify_due_soon(session, runtime.settings)
        announce(session, shown)
    return len(shown)


async def head(app: FastAPI) -> int:
    async with app.state.runtime.db.transaction(write=False) as session:
        return int(await session.scalar(select(func.max(Event.seq))) or 0)


async def replay(app: FastAPI, after: int) -> int:
    """As after a crash that lost the consumer's position: put it back to `after` and let a
    new dispatcher hand every later event over again. The number of events handed over."""
    runtime = app.state.runtime
    async with runtime.db.transaction() as session:
        await session.execute(
            update(ConsumerPosition)
            .where(ConsumerPosition.name == NotificationConsumer.name)
            .values(position=after)
        )
    consumer = NotificationConsumer(runtime.settings, runtime.db)
    dispatcher = Dispatcher(runtime.settings, runtime.db, [consumer])
    total = 0
    while handled := await dispatcher.dispatch_once(consumer):
        total += handled
    await dispatcher.save_positions()
    return total


async def stored(app: FastAPI, user: User) -> list[Notification]:
    """Every notification row of `user`, shown or not, oldest first."""
    async with app.state.runtime.db.transaction(write=False) as session:
        rows = await session.scalars(
            select(Notification)
            .where(Notification.user_id == UUID(user.id))
            .order_by(Notification.created_at, Notification.id)
        )
        return list(rows.all())


async def events_of(app: FastAPI, type: str) -> list[Event]:
    async with app.state.runtime.db.transaction(write=False) as session:
        rows = await session.scalars(select(Event).where(Event.type == type).order_by(Event.seq))
        return list(rows.all())


# --- the inbox ------------------------------------------------------------------------------


async def inbox(client: httpx.AsyncClient, user: User, **params: Any) -> list[JSON]:
    """One page of `user`'s notifications (the inbox unless `box` says otherwise)."""
    body = expect(
        await client.get(f"{API}/notifications", params=params, headers=user.headers), 200
    )
    return list(body["items"])


async def kinds(client: httpx.AsyncClient, user: User) -> list[str]:
    """The types of `user`'s inbox notifications, newest first."""
    return [n["type"] for n in await inbox(client, user)]


async def unread(client: httpx.AsyncClient, user: User) -> int:
    body = expect(await client.get(f"{API}/notifications/unread-count", headers=user.headers), 200)
    return int(body["count"])


async def change(
    client: httpx.AsyncClient, user: User, action: str, **selection: Any
) -> httpx.Response:
    """POST /notifications/{action} (read, unread, archive, unarchive) with a selection."""
    return await client.post(f"{API}/notifications/{action}", json=selection, headers=user.headers)


async def changed(client: httpx.AsyncClient, user: User, action: str, **selection: Any) -> int:
    return int(expect(await change(client, user, action, **selection), 200)["changed"])


# --- people ---------------------------------------------------------------------------------


async def handle_of(client: httpx.AsyncClient, user: User) -> str:
    me = expect(await client.get(f"{API}/users/me", headers=user.headers), 200)
    return str(me["handle"])


async def join(
    client: httpx.AsyncClient,
    board: Board,
    *,
    name: str | None = None,
    workspace_role: str = "member",
    project_role: str | None = None,
) -> User:
    """A new user in the board's workspace, with an explicit role in its project if given."""
    user = await make_user(client, name=name)
    await add_member(client, board.owner, board.workspace["id"], user, workspace_role)
    if project_role is not None:
        await add_to_project(client, board, user, project_role)
    return user


async def add_to_project(
    client: httpx.AsyncClient, board: Board, user: User, role: str = "member"
) -> None:
    expect(
        await client.post(
            f"{API}/projects/{board.pid}/members",
            json={"user_id": user.id, "role": role},
            headers=board.owner.headers,
        ),
        201,
    )


async def remove_from_workspace(client: httpx.AsyncClient, board: Board, user: User) -> None:
    url = f"{API}/workspaces/{board.workspace['id']}/members/{user.id}"
    expect(await client.delete(url, headers=board.owner.headers), 204)


async def remove_from_project(client: httpx.AsyncClient, board: Board, user: User) -> None:
    url = f"{API}/projects/{board.pid}/members/{user.id}"
    expect(await client.delete(url, headers=board.owner.headers), 204)


# --- writes that notify ---------------------------------------------------------------------


async def comment(client: httpx.AsyncClient, user: User, task: JSON, body: str) -> JSON:
    url = f"{API}/tasks/{task['id']}/comments"
    return dict(expect(await client.post(url, json={"body": body}, headers=user.headers), 201))


async def edit_comment(client: httpx.AsyncClient, user: User, comment: JSON, body: str) -> JSON:
    url = f"{API}/comments/{comment['id']}"
    return dict(expect(await client.patch(url, json={"body": body}, headers=user.headers), 200))


async def update_task(client: httpx.AsyncClient, user: User, task: JSON, **fields: Any) -> JSON:
    url = f"{API}/tasks/{task['id']}"
    return dict(expect(await client.patch(url, json=fields, headers=user.headers), 200))


async def move_task(client: httpx.AsyncClient, user: User, task: JSON, status_id: str) -> JSON:
    url = f"{API}/tasks/{task['id']}/move"
    body = {"status_id": status_id}
    return dict(expect(await client.post(url, json=body, headers=user.headers), 200))


async def watch(client: httpx.AsyncClient, user: User, task: JSON) -> None:
    url = f"{API}/tasks/{task['id']}/watchers"
    response = await client.post(url, json={"user_id": user.id}, headers=user.headers)
    assert response.status_code in (200, 201), response.text


async def unwatch(client: httpx.AsyncClient, user: User, task: JSON) -> None:
    url = f"{API}/tasks/{task['id']}/watchers/{user.id}"
    expect(await client.delete(url, headers=user.headers), 204)


def status_id(board: Board, name: str) -> str:
    return str(board.statuses[name]["id"])
