"""What a personal API token may call: the scope each route needs, decided here for every route.

A token acts as its owner, so the owner's roles still decide every call (tasklane.authz.access);
its scopes only narrow that. `read` is every GET but the audit log's; `write` adds the writes
to tasks, comments and projects; `admin` adds the rest of what the owner may do (and reading
the audit log). No token manages the account itself (tokens, password, profile, sign-in
sessions), and a route missing from the lists below is refused to tokens, so a new route is
closed to them until it is placed here (tests/meta/test_authorization.py checks that every
route is).
"""

from __future__ import annotations

from typing import Literal

from starlette.requests import HTTPConnection

from tasklane.errors import PermissionDenied
from tasklane.kit.routes import route_template

Scope = Literal["read", "write", "admin"]
SCOPES: tuple[Scope, ...] = ("read", "write", "admin")

GRANTS: dict[str, frozenset[str]] = {
    "read": frozenset({"read"}),
    "write": frozenset({"read", "write"}),
    "admin": frozenset({"read", "write", "admin"}),
}
"""What each scope, once granted, lets a token do."""

ACCOUNT = frozenset(
    {
        "POST /api/v1/auth/logout",
        "GET /api/v1/users/me/tokens",
        "POST /api/v1/users/me/tokens",
        "DELETE /api/v1/users/me/tokens/{token_id}",
        "PATCH /api/v1/users/me",
        "POST /api/v1/users/me/password",
        "GET /api/v1/users/me/sessions",
        "DELETE /api/v1/users/me/sessions/{session_id}",
        "POST /api/v1/users/me/sessions/end-others",
        "POST /api/v1/invitations/by-token/{token}/accept",
        "GET /api/v1/users/me/mfa",
        "POST /api/v1/users/me/mfa/totp",
        "POST /api/v1/users/me/mfa/totp/confirm",
        "DELETE /api/v1/users/me/mfa/totp",
        "POST /api/v1/users/me/mfa/recovery-codes",
        "POST /api/v1/users/me/passkeys/options",
        "POST /api/v1/users/me/passkeys",
        "GET /api/v1/users/me/passkeys",
        "PATCH /api/v1/users/me/passkeys/{passkey_id}",
        "DELETE /api/v1/users/me/passkeys/{passkey_id}",
        "GET /api/v1/users/me/calendar-feed",
        "POST /api/v1/users/me/calendar-feed/rotate",
    }
)
"""Never by token: a stolen token must not be able to lock its owner out or mint more."""

WRITE = frozenset(
    {
        "POST /api/v1/tasks/{task_ref}/watchers",
        "DELETE /api/v1/tasks/{task_ref}/watchers/{user_id}",
        "POST /api/v1/workspaces/{workspace_id}/projects",
        "PATCH /api/v1/projects/{project_id}",
        "POST /api/v1/projects/{project_id}/statuses",
        "PATCH /api/v1/projects/{project_id}/statuses/{status_id}",
        "DELETE /api/v1/projects/{project_id}/statuses/{status_id}",
        "POST /api/v1/projects/{project_id}/labels",
        "PATCH /api/v1/projects/{project_id}/labels/{label_id}",
        "DELETE /api/v1/projects/{project_id}/labels/{label_id}",
        "POST /api/v1/projects/{project_id}/tasks",
        "PATCH /api/v1/projects/{project_id}/tasks",
        "POST /api/v1/projects/{project_id}/imports",
        "PATCH /api/v1/tasks/{task_ref}",
        "DELETE /api/v1/tasks/{task_ref}",
        "POST /api/v1/tasks/{task_ref}/move",
        "POST /api/v1/tasks/{task_ref}/restore",
        "POST /api/v1/tasks/{task_ref}/relations",
        "DELETE /api/v1/tasks/{task_ref}/relations/{relation_id}",
        "POST /api/v1/tasks/{task_ref}/comments",
        "POST /api/v1/tasks/{task_ref}/attachments",
        "POST /api/v1/tasks/{task_ref}/attachments/uploads",
        "DELETE /api/v1/attachments/{attachment_id}",
        "PATCH /api/v1/comments/{comment_id}",
        "DELETE /api/v1/comments/{comment_id}",
        "POST /api/v1/notifications/read",
        "POST /api/v1/notifications/unread",
        "POST /api/v1/notifications/archive",
        "POST /api/v1/notifications/unarchive",
        "POST /api/v1/notifications/{notification_id}/snooze",
        "POST /api/v1/workspaces/{workspace_id}/views",
        "PATCH /api/v1/views/{view_id}",
        "DELETE /api/v1/views/{view_id}",
    }
)
"""The day-to-day writes: tasks, comments, a project's own settings, the inbox and saved
views."""

ADMIN = frozenset(
    {
        "POST /api/v1/workspaces",
        "PATCH /api/v1/workspaces/{workspace_id}",
        "DELETE /api/v1/workspaces/{workspace_id}",
        "POST /api/v1/workspaces/{workspace_id}/members",
        "POST /api/v1/workspaces/{workspace_id}/invitations",
        "PATCH /api/v1/workspaces/{workspace_id}/members/{user_id}",
        "DELETE /api/v1/workspaces/{workspace_id}/members/{user_id}",
        "DELETE /api/v1/workspaces/{workspace_id}/invitations/{invitation_id}",
        "POST /api/v1/invitations/{invitation_id}/accept",
        "POST /api/v1/invitations/{invitation_id}/decline",
        "DELETE /api/v1/projects/{project_id}",
        "POST /api/v1/projects/{project_id}/members",
        "PATCH /api/v1/projects/{project_id}/members/{user_id}",
        "DELETE /api/v1/projects/{project_id}/members/{user_id}",
        "GET /api/v1/workspaces/{workspace_id}/audit-log",
        "GET /api/v1/workspaces/{workspace_id}/audit-log/export",
        "PUT /api/v1/users/me/notification-settings",
        "POST /api/v1/workspaces/{workspace_id}/webhooks",
        "GET /api/v1/workspaces/{workspace_id}/webhooks",
        "GET /api/v1/workspaces/{workspace_id}/webhooks/{webhook_id}",
        "PATCH /api/v1/workspaces/{workspace_id}/webhooks/{webhook_id}",
        "DELETE /api/v1/workspaces/{workspace_id}/webhooks/{webhook_id}",
        "POST /api/v1/workspaces/{workspace_id}/webhooks/{webhook_id}/rotate-secret",
        "POST /api/v1/workspaces/{workspace_id}/webhooks/{webhook_id}/test",
        "GET /api/v1/webhooks/{webhook_id}/deliveries",
        "GET /api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}",
        "POST /api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
        "POST /api/v1/webhooks/{webhook_id}/replay",
        "POST /api/v1/workspaces/{workspace_id}/archives",
        "GET /api/v1/workspaces/{workspace_id}/archives",
        "GET /api/v1/workspaces/{workspace_id}/archives/{archive_id}",
        "GET /api/v1/workspaces/{workspace_id}/archives/{archive_id}/download",
        "POST /api/v1/workspaces/imports",
        "GET /api/v1/workspaces/imports/{import_id}",
    }
)
"""Who belongs where, what can be deleted wholesale, and the reads of the security record
(the audit log: GETs, but not `read`, so a read-only token cannot see who signs in from
where), and webhooks (reads included: they carry where a workspace's events go). Workspace
archives too, reads included: an archive holds everything, webhook secrets and everyone's
e-mail address with it; an import makes a workspace, as `POST /workspaces` does."""


READ = frozenset({"POST /api/v1/projects/{project_id}/insights/forecast"})
"""Reads sent as POST (a body too large or too structured for a query string): `read`."""


def needed(method: str, path: str) -> Scope | None:
    """The scope a token needs for `method path` (the route's path template); None: no token
    may call it."""
    operation = f"{method} {path}"
    if operation in ACCOUNT:
        return None
    if operation in ADMIN:
        return "admin"
    if method in ("GET", "HEAD") or operation in READ:
        return "read"
    if operation in WRITE:
        return "write"
    return None


def parse(stored: str) -> frozenset[str]:
    """What a token stored with `stored` (space-separated scope names) may do."""
    return frozenset().union(*(GRANTS.get(name, frozenset()) for name in stored.split()))


def require(connection: HTTPConnection, allowed: frozenset[str]) -> None:
    """PermissionDenied unless a token with `allowed` may call the matched route."""
    path = route_template(connection.scope, connection.scope.get("route"))
    method = connection.scope.get("method", "GET")
    scope = None if path is None else needed(method, path)
    if scope is None:
        raise PermissionDenied(
            "An API token cannot do this; sign in to manage your account.", code="token_scope"
        )
    if scope not in allowed:
        raise PermissionDenied(
            f"This API token lacks the {scope!r} scope this needs.", code="token_scope"
        )
