"""The authorisation table: for every route in the OpenAPI document and every role, the
expected status. A route missing from the table fails `test_table_covers_every_route`.

Each case runs on a copy of one pre-built "world" database (a workspace with a user in every
role, a project, statuses, a label, tasks, a trashed task, a relation and a comment) that holds
just what the world holds, so destructive calls never disturb another case.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from tasklane.app import create_app
from tasklane.authz import scopes
from tasklane.authz.scopes import SCOPES
from tests.conftest import PreparedDatabases, database_copy, make_settings, migrated_template
from tests.factories import PASSWORD, add_member, expect, make_user

ROLES = ("owner", "admin", "member", "viewer", "guest", "outsider", "anonymous")
"""viewer: workspace member with project role viewer. guest: workspace guest who is a project
member. outsider: a registered user outside the workspace."""

W = dict[str, Any]  # the world: ids and tokens
Request = Callable[[W], tuple[str, str, Any]]


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def signed_in(status: int) -> dict[str, int]:
    return {**everyone(status), "anonymous": 401}


def inside(ok: int, *, denied: tuple[str, ...] = ()) -> dict[str, int]:
    """`ok` for workspace insiders except `denied` (403); outsiders 404, anonymous 401."""
    table = {role: (403 if role in denied else ok) for role in ROLES[:5]}
    return {**table, "outsider": 404, "anonymous": 401}


ADMINS_ONLY = ("member", "viewer", "guest")
NOT_VIEWER = ("viewer",)

NO_ID = "00000000-0000-0000-0000-000000000000"
NO_PASSKEY = {
    "id": "AAAA",
    "rawId": "AAAA",
    "type": "public-key",
    "response": {"clientDataJSON": "e30", "authenticatorData": "AAAA", "signature": "AAAA"},
}
"""A well-formed passkey answer no account holds."""


@dataclass(frozen=True)
class Case:
    request: Request
    expected: dict[str, int]


TABLE: dict[str, Case] = {
    "GET /healthz": Case(lambda w: ("GET", "/healthz", None), everyone(200)),
    "GET /readyz": Case(lambda w: ("GET", "/readyz", None), everyone(200)),
    # accounts
    "GET /api/v1/auth/config": Case(lambda w: ("GET", "/api/v1/auth/config", None), everyone(200)),
    "GET /api/v1/auth/oidc/login": Case(  # 404: this world has no SSO (tests/auth/test_oidc.py)
        lambda w: ("GET", "/api/v1/auth/oidc/login", None), everyone(404)
    ),
    "GET /api/v1/auth/oidc/callback": Case(
        lambda w: ("GET", "/api/v1/auth/oidc/callback", None), everyone(404)
    ),
    "POST /api/v1/auth/register": Case(
        lambda w: (
            "POST",
            "/api/v1/auth/register",
            {"email": "new@example.com", "password": PASSWORD, "name": "New"},
        ),
        everyone(201),
    ),
    "POST /api/v1/auth/login": Case(
        lambda w: (
            "POST",
            "/api/v1/auth/login",
            {"email": w["emails"]["member"], "password": PASSWORD},
        ),
        everyone(200),
    ),
    "POST /api/v1/auth/refresh": Case(
        lambda w: ("POST", "/api/v1/auth/refresh", {"refresh_token": w["refresh"]["member"]}),
        everyone(200),
    ),
    "POST /api/v1/auth/session": Case(
        lambda w: (
            "POST",
            "/api/v1/auth/session",
            {"email": w["emails"]["member"], "password": PASSWORD},
        ),
        everyone(200),
    ),
    "POST /api/v1/auth/mfa": Case(
        lambda w: ("POST", "/api/v1/auth/mfa", {"mfa_token": "not-a-token", "code": "123456"}),
        everyone(401),
    ),
    "POST /api/v1/auth/session/mfa": Case(
        lambda w: (
            "POST",
            "/api/v1/auth/session/mfa",
            {"mfa_token": "not-a-token", "code": "123456"},
        ),
        everyone(401),
    ),
    "POST /api/v1/auth/session/refresh": Case(
        lambda w: ("POST", "/api/v1/auth/session/refresh", None), everyone(401)
    ),
    "POST /api/v1/auth/passkey/options": Case(
        lambda w: ("POST", "/api/v1/auth/passkey/options", None), everyone(200)
    ),
    "POST /api/v1/auth/passkey": Case(
        lambda w: (
            "POST",
            "/api/v1/auth/passkey",
            {"challenge_id": NO_ID, "credential": NO_PASSKEY},
        ),
        everyone(401),
    ),
    "POST /api/v1/auth/session/passkey": Case(
        lambda w: (
            "POST",
            "/api/v1/auth/session/passkey",
            {"challenge_id": NO_ID, "credential": NO_PASSKEY},
        ),
        everyone(401),
    ),
    "POST /api/v1/auth/logout": Case(
        lambda w: ("POST", "/api/v1/auth/logout", None), signed_in(204)
    ),
    "GET /api/v1/users/me": Case(lambda w: ("GET", "/api/v1/users/me", None), signed_in(200)),
    "PATCH /api/v1/users/me": Case(
        lambda w: ("PATCH", "/api/v1/users/me", {"name": "Renamed"}), signed_in(200)
    ),
    "POST /api/v1/users/me/password": Case(
        lambda w: (
            "POST",
            "/api/v1/users/me/password",
            {"current_password": PASSWORD, "new_password": "another long password"},
        ),
        signed_in(204),
    ),
    "GET /api/v1/users/me/tokens": Case(
        lambda w: ("GET", "/api/v1/users/me/tokens", None), signed_in(200)
    ),
    "POST /api/v1/users/me/tokens": Case(
        lambda w: ("POST", "/api/v1/users/me/tokens", {"name": "bot", "scopes": ["read"]}),
        signed_in(201),
    ),
    "DELETE /api/v1/users/me/tokens/{token_id}": Case(
        lambda w: ("DELETE", f"/api/v1/users/me/tokens/{w['pat_ids']['read']}", None),
        {**signed_in(404), "owner": 204},
    ),
    "GET /api/v1/users/me/calendar-feed": Case(
        lambda w: ("GET", "/api/v1/users/me/calendar-feed", None), signed_in(200)
    ),
    "POST /api/v1/users/me/calendar-feed/rotate": Case(
        lambda w: ("POST", "/api/v1/users/me/calendar-feed/rotate", None), signed_in(200)
    ),
    "GET /ical/{token}.ics": Case(  # the address is the credential (tests/calendar)
        lambda w: ("GET", f"/ical/{NO_ID.replace('-', '')}.1.{'A' * 43}.ics", None),
        everyone(404),
    ),
    "GET /api/v1/users/me/notification-settings": Case(
        lambda w: ("GET", "/api/v1/users/me/notification-settings", None), signed_in(200)
    ),
    "PUT /api/v1/users/me/notification-settings": Case(
        lambda w: ("PUT", "/api/v1/users/me/notification-settings", {"digest_hour": 9}),
        signed_in(200),
    ),
    **{
        # the link is the credential (tests/notifications)
        f"{method} /unsubscribe/{{token}}": Case(
            lambda w, method=method: (
                method,
                f"/unsubscribe/{NO_ID.replace('-', '')}.assigned.{'A' * 43}",
                None,
            ),
            everyone(404),
        )
        for method in ("GET", "POST")
    },
    "GET /api/v1/notifications": Case(
        lambda w: ("GET", "/api/v1/notifications", None), signed_in(200)
    ),
    "GET /api/v1/notifications/unread-count": Case(
        lambda w: ("GET", "/api/v1/notifications/unread-count", None), signed_in(200)
    ),
    **{
        f"POST /api/v1/notifications/{verb}": Case(
            lambda w, verb=verb: ("POST", f"/api/v1/notifications/{verb}", {"all": True}),
            signed_in(200),
        )
        for verb in ("read", "unread", "archive", "unarchive")
    },
    "POST /api/v1/notifications/{notification_id}/snooze": Case(  # only your own exist
        lambda w: (
            "POST",
            f"/api/v1/notifications/{NO_ID}/snooze",
            {"until": "2099-01-01T09:00:00Z"},
        ),
        signed_in(404),
    ),
    "GET /api/v1/users/me/sessions": Case(
        lambda w: ("GET", "/api/v1/users/me/sessions", None), signed_in(200)
    ),
    "DELETE /api/v1/users/me/sessions/{session_id}": Case(
        lambda w: ("DELETE", f"/api/v1/users/me/sessions/{w['owner_session']}", None),
        {**signed_in(404), "owner": 204},
    ),
    "POST /api/v1/users/me/sessions/end-others": Case(
        lambda w: ("POST", "/api/v1/users/me/sessions/end-others", None), signed_in(200)
    ),
    "GET /api/v1/users/me/mfa": Case(
        lambda w: ("GET", "/api/v1/users/me/mfa", None), signed_in(200)
    ),
    "POST /api/v1/users/me/mfa/totp": Case(
        lambda w: ("POST", "/api/v1/users/me/mfa/totp", None), signed_in(201)
    ),
    "POST /api/v1/users/me/mfa/totp/confirm": Case(  # 404: set-up not started
        lambda w: ("POST", "/api/v1/users/me/mfa/totp/confirm", {"code": "123456"}),
        signed_in(404),
    ),
    "DELETE /api/v1/users/me/mfa/totp": Case(  # 422: no code is right while it is off
        lambda w: (
            "DELETE",
            "/api/v1/users/me/mfa/totp",
            {"password": PASSWORD, "code": "123456"},
        ),
        signed_in(422),
    ),
    "POST /api/v1/users/me/mfa/recovery-codes": Case(
        lambda w: ("POST", "/api/v1/users/me/mfa/recovery-codes", {"code": "123456"}),
        signed_in(422),
    ),
    "POST /api/v1/users/me/passkeys/options": Case(
        lambda w: ("POST", "/api/v1/users/me/passkeys/options", None), signed_in(200)
    ),
    "POST /api/v1/users/me/passkeys": Case(  # 422: not a browser's answer
        lambda w: ("POST", "/api/v1/users/me/passkeys", {"name": "Key", "credential": {}}),
        signed_in(422),
    ),
    "GET /api/v1/users/me/passkeys": Case(
        lambda w: ("GET", "/api/v1/users/me/passkeys", None), signed_in(200)
    ),
    "PATCH /api/v1/users/me/passkeys/{passkey_id}": Case(  # 404: nobody has passkeys here
        lambda w: ("PATCH", f"/api/v1/users/me/passkeys/{NO_ID}", {"name": "Key"}),
        signed_in(404),
    ),
    "DELETE /api/v1/users/me/passkeys/{passkey_id}": Case(
        lambda w: ("DELETE", f"/api/v1/users/me/passkeys/{NO_ID}", None), signed_in(404)
    ),
    # workspaces
    "POST /api/v1/workspaces": Case(
        lambda w: ("POST", "/api/v1/workspaces", {"name": "Mine"}), signed_in(201)
    ),
    "GET /api/v1/workspaces": Case(lambda w: ("GET", "/api/v1/workspaces", None), signed_in(200)),
    "GET /api/v1/workspaces/{workspace_id}": Case(
        lambda w: ("GET", f"/api/v1/workspaces/{w['workspace']}", None), inside(200)
    ),
    "PATCH /api/v1/workspaces/{workspace_id}": Case(
        lambda w: ("PATCH", f"/api/v1/workspaces/{w['workspace']}", {"name": "Renamed"}),
        inside(200, denied=ADMINS_ONLY),
    ),
    "DELETE /api/v1/workspaces/{workspace_id}": Case(
        lambda w: ("DELETE", f"/api/v1/workspaces/{w['workspace']}", None),
        inside(204, denied=("admin", *ADMINS_ONLY)),
    ),
    "GET /api/v1/workspaces/{workspace_id}/members": Case(
        lambda w: ("GET", f"/api/v1/workspaces/{w['workspace']}/members", None),
        inside(200, denied=("guest",)),
    ),
    "POST /api/v1/workspaces/{workspace_id}/members": Case(
        lambda w: (
            "POST",
            f"/api/v1/workspaces/{w['workspace']}/members",
            {"email": w["emails"]["newcomer"], "role": "member"},
        ),
        inside(201, denied=ADMINS_ONLY),
    ),
    "PATCH /api/v1/workspaces/{workspace_id}/members/{user_id}": Case(
        lambda w: (
            "PATCH",
            f"/api/v1/workspaces/{w['workspace']}/members/{w['ids']['extra']}",
            {"role": "guest"},
        ),
        inside(200, denied=ADMINS_ONLY),
    ),
    "DELETE /api/v1/workspaces/{workspace_id}/members/{user_id}": Case(
        lambda w: (
            "DELETE",
            f"/api/v1/workspaces/{w['workspace']}/members/{w['ids']['extra']}",
            None,
        ),
        inside(204, denied=ADMINS_ONLY),
    ),
    # invitations: the pending one is for an address none of the roles has
    "GET /api/v1/workspaces/{workspace_id}/invitations": Case(
        lambda w: ("GET", f"/api/v1/workspaces/{w['workspace']}/invitations", None),
        inside(200, denied=ADMINS_ONLY),
    ),
    "DELETE /api/v1/workspaces/{workspace_id}/invitations/{invitation_id}": Case(
        lambda w: (
            "DELETE",
            f"/api/v1/workspaces/{w['workspace']}/invitations/{w['invitation']}",
            None,
        ),
        inside(204, denied=ADMINS_ONLY),
    ),
    # the audit log: owners and admins
    "GET /api/v1/workspaces/{workspace_id}/audit-log": Case(
        lambda w: ("GET", f"/api/v1/workspaces/{w['workspace']}/audit-log", None),
        inside(200, denied=ADMINS_ONLY),
    ),
    "GET /api/v1/workspaces/{workspace_id}/audit-log/export": Case(
        lambda w: ("GET", f"/api/v1/workspaces/{w['workspace']}/audit-log/export?format=csv", None),
        inside(200, denied=ADMINS_ONLY),
    ),
    # webhooks: owners and admins
    "POST /api/v1/workspaces/{workspace_id}/webhooks": Case(
        lambda w: (
            "POST",
            f"/api/v1/workspaces/{w['workspace']}/webhooks",
            {"url": "https://1.1.1.1/another", "event_types": ["*"]},
        ),
        inside(201, denied=ADMINS_ONLY),
    ),
    "GET /api/v1/workspaces/{workspace_id}/webhooks": Case(
        lambda w: ("GET", f"/api/v1/workspaces/{w['workspace']}/webhooks", None),
        inside(200, denied=ADMINS_ONLY),
    ),
    "GET /api/v1/workspaces/{workspace_id}/webhooks/{webhook_id}": Case(
        lambda w: ("GET", f"/api/v1/workspaces/{w['workspace']}/webhooks/{w['webhook']}", None),
        inside(200, denied=ADMINS_ONLY),
    ),
    "PATCH /api/v1/workspaces/{workspace_id}/webhooks/{webhook_id}": Case(
        lambda w: (
            "PATCH",
            f"/api/v1/workspaces/{w['workspace']}/webhooks/{w['webhook']}",
            {"description": "CI"},
        ),
        inside(200, denied=ADMINS_ONLY),
    ),
    "DELETE /api/v1/workspaces/{workspace_id}/webhooks/{webhook_id}": Case(
        lambda w: (
            "DELETE",
            f"/api/v1/workspaces/{w['workspace']}/webhooks/{w['webhook']}",
            None,
        ),
        inside(204, denied=ADMINS_ONLY),
    ),
    "POST /api/v1/workspaces/{workspace_id}/webhooks/{webhook_id}/rotate-secret": Case(
        lambda w: (
            "POST",
            f"/api/v1/workspaces/{w['workspace']}/webhooks/{w['webhook']}/rotate-secret",
            None,
        ),
        inside(200, denied=ADMINS_ONLY),
    ),
    "POST /api/v1/workspaces/{workspace_id}/webhooks/{webhook_id}/test": Case(
        lambda w: (
            "POST",
            f"/api/v1/workspaces/{w['workspace']}/webhooks/{w['webhook']}/test",
            None,
        ),
        inside(202, denied=ADMINS_ONLY),
    ),
    "GET /api/v1/webhooks/{webhook_id}/deliveries": Case(
        lambda w: ("GET", f"/api/v1/webhooks/{w['webhook']}/deliveries", None),
        inside(200, denied=ADMINS_ONLY),
    ),
    "GET /api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}": Case(
        lambda w: ("GET", f"/api/v1/webhooks/{w['webhook']}/deliveries/{w['delivery']}", None),
        inside(200, denied=ADMINS_ONLY),
    ),
    "POST /api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": Case(
        lambda w: (
            "POST",
            f"/api/v1/webhooks/{w['webhook']}/deliveries/{w['delivery']}/redeliver",
            None,
        ),
        inside(202, denied=ADMINS_ONLY),
    ),
    "POST /api/v1/webhooks/{webhook_id}/replay": Case(
        lambda w: (
            "POST",
            f"/api/v1/webhooks/{w['webhook']}/replay",
            {"since": "2020-01-01T00:00:00Z", "until": "2040-01-01T00:00:00Z"},
        ),
        inside(202, denied=ADMINS_ONLY),
    ),
    "GET /api/v1/users/me/invitations": Case(
        lambda w: ("GET", "/api/v1/users/me/invitations", None), signed_in(200)
    ),
    "POST /api/v1/invitations/{invitation_id}/accept": Case(
        lambda w: ("POST", f"/api/v1/invitations/{w['invitation']}/accept", None),
        signed_in(404),
    ),
    "POST /api/v1/invitations/{invitation_id}/decline": Case(
        lambda w: ("POST", f"/api/v1/invitations/{w['invitation']}/decline", None),
        signed_in(404),
    ),
    "POST /api/v1/workspaces/{workspace_id}/invitations": Case(
        lambda w: (
            "POST",
            f"/api/v1/workspaces/{w['workspace']}/invitations",
            {"email": w["emails"]["newcomer"], "role": "member"},
        ),
        inside(201, denied=ADMINS_ONLY),
    ),
    # the link is public (its token is the secret); only the invited address accepts it
    "GET /api/v1/invitations/by-token/{token}": Case(
        lambda w: ("GET", f"/api/v1/invitations/by-token/{w['invite_token']}", None),
        everyone(200),
    ),
    "POST /api/v1/invitations/by-token/{token}/accept": Case(
        lambda w: ("POST", f"/api/v1/invitations/by-token/{w['invite_token']}/accept", None),
        signed_in(403),
    ),
    # projects
    "POST /api/v1/workspaces/{workspace_id}/projects": Case(
        lambda w: (
            "POST",
            f"/api/v1/workspaces/{w['workspace']}/projects",
            {"key": "NEW", "name": "New"},
        ),
        inside(201, denied=("guest",)),
    ),
    "GET /api/v1/workspaces/{workspace_id}/projects": Case(
        lambda w: ("GET", f"/api/v1/workspaces/{w['workspace']}/projects", None), inside(200)
    ),
    "GET /api/v1/projects/{project_id}": Case(
        lambda w: ("GET", f"/api/v1/projects/{w['project']}", None), inside(200)
    ),
    "PATCH /api/v1/projects/{project_id}": Case(
        lambda w: ("PATCH", f"/api/v1/projects/{w['project']}", {"name": "Renamed"}),
        inside(200, denied=ADMINS_ONLY),
    ),
    "DELETE /api/v1/projects/{project_id}": Case(
        lambda w: ("DELETE", f"/api/v1/projects/{w['project']}", None),
        inside(204, denied=ADMINS_ONLY),
    ),
    "GET /api/v1/projects/{project_id}/statuses": Case(
        lambda w: ("GET", f"/api/v1/projects/{w['project']}/statuses", None), inside(200)
    ),
    "POST /api/v1/projects/{project_id}/statuses": Case(
        lambda w: (
            "POST",
            f"/api/v1/projects/{w['project']}/statuses",
            {"name": "Review", "category": "started"},
        ),
        inside(201, denied=ADMINS_ONLY),
    ),
    "PATCH /api/v1/projects/{project_id}/statuses/{status_id}": Case(
        lambda w: (
            "PATCH",
            f"/api/v1/projects/{w['project']}/statuses/{w['status']}",
            {"name": "Doing"},
        ),
        inside(200, denied=ADMINS_ONLY),
    ),
    "DELETE /api/v1/projects/{project_id}/statuses/{status_id}": Case(
        lambda w: ("DELETE", f"/api/v1/projects/{w['project']}/statuses/{w['status']}", None),
        inside(204, denied=ADMINS_ONLY),
    ),
    "GET /api/v1/projects/{project_id}/labels": Case(
        lambda w: ("GET", f"/api/v1/projects/{w['project']}/labels", None), inside(200)
    ),
    "POST /api/v1/projects/{project_id}/labels": Case(
        lambda w: (
            "POST",
            f"/api/v1/projects/{w['project']}/labels",
            {"name": "new", "color": "#123456"},
        ),
        inside(201, denied=NOT_VIEWER),
    ),
    "PATCH /api/v1/projects/{project_id}/labels/{label_id}": Case(
        lambda w: (
            "PATCH",
            f"/api/v1/projects/{w['project']}/labels/{w['label']}",
            {"name": "renamed"},
        ),
        inside(200, denied=ADMINS_ONLY),
    ),
    "DELETE /api/v1/projects/{project_id}/labels/{label_id}": Case(
        lambda w: ("DELETE", f"/api/v1/projects/{w['project']}/labels/{w['label']}", None),
        inside(204, denied=ADMINS_ONLY),
    ),
    "GET /api/v1/projects/{project_id}/members": Case(
        lambda w: ("GET", f"/api/v1/projects/{w['project']}/members", None), inside(200)
    ),
    "GET /api/v1/projects/{project_id}/people": Case(
        lambda w: ("GET", f"/api/v1/projects/{w['project']}/people", None), inside(200)
    ),
    "POST /api/v1/projects/{project_id}/members": Case(
        lambda w: (
            "POST",
            f"/api/v1/projects/{w['project']}/members",
            {"user_id": w["ids"]["extra"], "role": "viewer"},
        ),
        inside(201, denied=ADMINS_ONLY),
    ),
    "PATCH /api/v1/projects/{project_id}/members/{user_id}": Case(
        lambda w: (
            "PATCH",
            f"/api/v1/projects/{w['project']}/members/{w['ids']['viewer']}",
            {"role": "member"},
        ),
        inside(200, denied=ADMINS_ONLY),
    ),
    "DELETE /api/v1/projects/{project_id}/members/{user_id}": Case(
        lambda w: ("DELETE", f"/api/v1/projects/{w['project']}/members/{w['ids']['viewer']}", None),
        inside(204, denied=ADMINS_ONLY),
    ),
    # tasks
    "POST /api/v1/projects/{project_id}/tasks": Case(
        lambda w: ("POST", f"/api/v1/projects/{w['project']}/tasks", {"title": "New"}),
        inside(201, denied=NOT_VIEWER),
    ),
    "GET /api/v1/projects/{project_id}/tasks": Case(
        lambda w: ("GET", f"/api/v1/projects/{w['project']}/tasks", None), inside(200)
    ),
    "PATCH /api/v1/projects/{project_id}/tasks": Case(
        lambda w: (
            "PATCH",
            f"/api/v1/projects/{w['project']}/tasks",
            {"items": [{"id": w["task"], "changes": {"title": "Bulk"}}]},
        ),
        inside(200, denied=NOT_VIEWER),
    ),
    "GET /api/v1/projects/{project_id}/task-counts": Case(
        lambda w: ("GET", f"/api/v1/projects/{w['project']}/task-counts", None), inside(200)
    ),
    "GET /api/v1/projects/{project_id}/task-stats": Case(
        lambda w: ("GET", f"/api/v1/projects/{w['project']}/task-stats", None), inside(200)
    ),
    "GET /api/v1/projects/{project_id}/trash": Case(
        lambda w: ("GET", f"/api/v1/projects/{w['project']}/trash", None), inside(200)
    ),
    "GET /api/v1/workspaces/{workspace_id}/tasks": Case(
        lambda w: ("GET", f"/api/v1/workspaces/{w['workspace']}/tasks?q=Task", None),
        inside(200),
    ),
    "GET /api/v1/search": Case(
        lambda w: ("GET", f"/api/v1/search?q=Task&workspace_id={w['workspace']}", None),
        inside(200),
    ),
    "POST /api/v1/workspaces/{workspace_id}/views": Case(
        lambda w: ("POST", f"/api/v1/workspaces/{w['workspace']}/views", {"name": "Mine"}),
        inside(201),
    ),
    "GET /api/v1/workspaces/{workspace_id}/views": Case(
        lambda w: ("GET", f"/api/v1/workspaces/{w['workspace']}/views", None), inside(200)
    ),
    "GET /api/v1/views/{view_id}": Case(
        lambda w: ("GET", f"/api/v1/views/{w['view']}", None), inside(200)
    ),
    "PATCH /api/v1/views/{view_id}": Case(  # the owner's shared view: admins may change it
        lambda w: ("PATCH", f"/api/v1/views/{w['view']}", {"name": "Renamed"}),
        inside(200, denied=ADMINS_ONLY),
    ),
    "DELETE /api/v1/views/{view_id}": Case(
        lambda w: ("DELETE", f"/api/v1/views/{w['view']}", None),
        inside(204, denied=ADMINS_ONLY),
    ),
    # insights: the world's project has no finished work over two weeks, so a forecast is
    # refused as too little history (422) to everyone who may read the project.
    "GET /api/v1/projects/{project_id}/insights/{metric}": Case(
        lambda w: ("GET", f"/api/v1/projects/{w['project']}/insights/throughput", None),
        inside(200),
    ),
    "POST /api/v1/projects/{project_id}/insights/forecast": Case(
        lambda w: ("POST", f"/api/v1/projects/{w['project']}/insights/forecast", {}),
        inside(422),
    ),
    "GET /api/v1/workspaces/{workspace_id}/insights/{metric}": Case(
        lambda w: ("GET", f"/api/v1/workspaces/{w['workspace']}/insights/status-counts", None),
        inside(200),
    ),
    "GET /api/v1/projects/{project_id}/insights/{metric}/tasks": Case(
        lambda w: (
            "GET",
            f"/api/v1/projects/{w['project']}/insights/throughput/tasks?point=0",
            None,
        ),
        inside(200),
    ),
    "GET /api/v1/workspaces/{workspace_id}/insights/{metric}/tasks": Case(
        lambda w: (
            "GET",
            f"/api/v1/workspaces/{w['workspace']}/insights/status-counts/tasks?point=0",
            None,
        ),
        inside(200),
    ),
    "GET /api/v1/views/{view_id}/tasks": Case(
        lambda w: ("GET", f"/api/v1/views/{w['view']}/tasks", None), inside(200)
    ),
    # imports: the world's calls send no file (tests/imports covers runs and their readers)
    "GET /api/v1/projects/{project_id}/export.csv": Case(
        lambda w: ("GET", f"/api/v1/projects/{w['project']}/export.csv", None), inside(200)
    ),
    "POST /api/v1/projects/{project_id}/imports": Case(
        lambda w: ("POST", f"/api/v1/projects/{w['project']}/imports?dry_run=true", None),
        inside(422, denied=NOT_VIEWER),
    ),
    "GET /api/v1/imports/{import_id}": Case(
        lambda w: ("GET", f"/api/v1/imports/{NO_ID}", None), inside(404)
    ),
    "GET /api/v1/tasks/{task_ref}": Case(
        lambda w: ("GET", f"/api/v1/tasks/{w['task']}", None), inside(200)
    ),
    "PATCH /api/v1/tasks/{task_ref}": Case(
        lambda w: ("PATCH", f"/api/v1/tasks/{w['task']}", {"title": "Changed"}),
        inside(200, denied=NOT_VIEWER),
    ),
    "DELETE /api/v1/tasks/{task_ref}": Case(
        lambda w: ("DELETE", f"/api/v1/tasks/{w['task']}", None), inside(204, denied=NOT_VIEWER)
    ),
    "POST /api/v1/tasks/{task_ref}/move": Case(
        lambda w: ("POST", f"/api/v1/tasks/{w['task']}/move", {"status_id": w["status"]}),
        inside(200, denied=NOT_VIEWER),
    ),
    "POST /api/v1/tasks/{task_ref}/restore": Case(
        lambda w: ("POST", f"/api/v1/tasks/{w['trashed']}/restore", None),
        inside(200, denied=NOT_VIEWER),
    ),
    "GET /api/v1/tasks/{task_ref}/relations": Case(
        lambda w: ("GET", f"/api/v1/tasks/{w['task']}/relations", None), inside(200)
    ),
    "POST /api/v1/tasks/{task_ref}/relations": Case(
        lambda w: (
            "POST",
            f"/api/v1/tasks/{w['task']}/relations",
            {"type": "relates_to", "task_id": w["task3"]},
        ),
        inside(201, denied=NOT_VIEWER),
    ),
    "DELETE /api/v1/tasks/{task_ref}/relations/{relation_id}": Case(
        lambda w: ("DELETE", f"/api/v1/tasks/{w['task']}/relations/{w['relation']}", None),
        inside(204, denied=NOT_VIEWER),
    ),
    "GET /api/v1/tasks/{task_ref}/watchers": Case(
        lambda w: ("GET", f"/api/v1/tasks/{w['task']}/watchers", None), inside(200)
    ),
    "POST /api/v1/tasks/{task_ref}/watchers": Case(  # someone else: project admins only
        lambda w: (
            "POST",
            f"/api/v1/tasks/{w['task']}/watchers",
            {"user_id": w["ids"]["extra"]},
        ),
        inside(201, denied=ADMINS_ONLY),
    ),
    "DELETE /api/v1/tasks/{task_ref}/watchers/{user_id}": Case(
        lambda w: ("DELETE", f"/api/v1/tasks/{w['task']}/watchers/{w['ids']['extra']}", None),
        inside(204, denied=ADMINS_ONLY),
    ),
    "GET /api/v1/tasks/{task_ref}/activity": Case(
        lambda w: ("GET", f"/api/v1/tasks/{w['task']}/activity", None), inside(200)
    ),
    # comments
    "GET /api/v1/tasks/{task_ref}/comments": Case(
        lambda w: ("GET", f"/api/v1/tasks/{w['task']}/comments", None), inside(200)
    ),
    "POST /api/v1/tasks/{task_ref}/comments": Case(
        lambda w: ("POST", f"/api/v1/tasks/{w['task']}/comments", {"body": "Hi"}),
        inside(201, denied=NOT_VIEWER),
    ),
    "GET /api/v1/comments/{comment_id}": Case(
        lambda w: ("GET", f"/api/v1/comments/{w['comment']}", None), inside(200)
    ),
    "PATCH /api/v1/comments/{comment_id}": Case(
        lambda w: ("PATCH", f"/api/v1/comments/{w['comment']}", {"body": "Edited"}),
        inside(200, denied=("viewer", "guest")),
    ),
    "DELETE /api/v1/comments/{comment_id}": Case(
        lambda w: ("DELETE", f"/api/v1/comments/{w['comment']}", None),
        inside(204, denied=("viewer", "guest")),
    ),
    # attachments (the world's is the member's, a text file: no thumbnail)
    "POST /api/v1/tasks/{task_ref}/attachments": Case(  # completes an upload nobody started
        lambda w: ("POST", f"/api/v1/tasks/{w['task']}/attachments", {"upload_id": NO_ID}),
        inside(404, denied=NOT_VIEWER),
    ),
    "POST /api/v1/tasks/{task_ref}/attachments/uploads": Case(
        lambda w: (
            "POST",
            f"/api/v1/tasks/{w['task']}/attachments/uploads",
            {"filename": "notes.txt", "content_type": "text/plain", "size": 5},
        ),
        inside(201, denied=NOT_VIEWER),
    ),
    "GET /api/v1/tasks/{task_ref}/attachments": Case(
        lambda w: ("GET", f"/api/v1/tasks/{w['task']}/attachments", None), inside(200)
    ),
    "GET /api/v1/attachments/{attachment_id}": Case(
        lambda w: ("GET", f"/api/v1/attachments/{w['attachment']}", None), inside(200)
    ),
    "DELETE /api/v1/attachments/{attachment_id}": Case(
        lambda w: ("DELETE", f"/api/v1/attachments/{w['attachment']}", None),
        inside(204, denied=("viewer", "guest")),
    ),
    "GET /api/v1/attachments/{attachment_id}/content": Case(
        lambda w: ("GET", f"/api/v1/attachments/{w['attachment']}/content", None), inside(302)
    ),
    "GET /api/v1/attachments/{attachment_id}/thumbnail": Case(
        lambda w: ("GET", f"/api/v1/attachments/{w['attachment']}/thumbnail", None),
        inside(404),
    ),
    "GET /api/v1/workspaces/{workspace_id}/storage": Case(
        lambda w: ("GET", f"/api/v1/workspaces/{w['workspace']}/storage", None),
        inside(200, denied=ADMINS_ONLY),
    ),
    # workspace archives: exports for owners only (tests/archive/test_api.py runs them); an
    # import is anyone's (the world's call sends no file), followed by whoever uploaded it
    "POST /api/v1/workspaces/{workspace_id}/archives": Case(
        lambda w: ("POST", f"/api/v1/workspaces/{w['workspace']}/archives", None),
        inside(202, denied=("admin", *ADMINS_ONLY)),
    ),
    "GET /api/v1/workspaces/{workspace_id}/archives": Case(
        lambda w: ("GET", f"/api/v1/workspaces/{w['workspace']}/archives", None),
        inside(200, denied=("admin", *ADMINS_ONLY)),
    ),
    "GET /api/v1/workspaces/{workspace_id}/archives/{archive_id}": Case(
        lambda w: ("GET", f"/api/v1/workspaces/{w['workspace']}/archives/{NO_ID}", None),
        inside(404, denied=("admin", *ADMINS_ONLY)),
    ),
    "GET /api/v1/workspaces/{workspace_id}/archives/{archive_id}/download": Case(
        lambda w: (
            "GET",
            f"/api/v1/workspaces/{w['workspace']}/archives/{NO_ID}/download",
            None,
        ),
        inside(404, denied=("admin", *ADMINS_ONLY)),
    ),
    "POST /api/v1/workspaces/imports": Case(
        lambda w: ("POST", "/api/v1/workspaces/imports", None), signed_in(422)
    ),
    "GET /api/v1/workspaces/imports/{import_id}": Case(
        lambda w: ("GET", f"/api/v1/workspaces/imports/{NO_ID}", None), signed_in(404)
    ),
}


# --- the world -----------------------------------------------------------------------------


async def _build_world(c: httpx.AsyncClient) -> W:
    users = {
        role: await make_user(c, email=f"{role}@world.example.com")
        for role in (
            "owner",
            "admin",
            "member",
            "viewer",
            "guest",
            "outsider",
            "extra",
            "newcomer",
        )
    }
    owner = users["owner"]
    h = owner.headers
    ws = expect(await c.post("/api/v1/workspaces", json={"name": "World"}, headers=h), 201)["id"]
    for role, ws_role in (
        ("admin", "admin"),
        ("member", "member"),
        ("viewer", "member"),
        ("guest", "guest"),
        ("extra", "member"),
    ):
        await add_member(c, owner, ws, users[role], ws_role)
    invitation = expect(
        await c.post(
            f"/api/v1/workspaces/{ws}/members",
            json={"email": "invitee@world.example.com", "role": "member"},
            headers=h,
        ),
        201,
    )["id"]
    link = expect(
        await c.post(
            f"/api/v1/workspaces/{ws}/invitations",
            json={"email": "linked@world.example.com", "role": "member"},
            headers=h,
        ),
        201,
    )["link"]
    project = expect(
        await c.post(
            f"/api/v1/workspaces/{ws}/projects", json={"key": "WLD", "name": "World"}, headers=h
        ),
        201,
    )["id"]
    for role, project_role in (("viewer", "viewer"), ("guest", "member")):
        expect(
            await c.post(
                f"/api/v1/projects/{project}/members",
                json={"user_id": users[role].id, "role": project_role},
                headers=h,
            ),
            201,
        )
    status = expect(await c.get(f"/api/v1/projects/{project}/statuses", headers=h), 200)["items"][
        2
    ]["id"]
    label = expect(
        await c.post(
            f"/api/v1/projects/{project}/labels",
            json={"name": "bug", "color": "#ff0000"},
            headers=h,
        ),
        201,
    )["id"]
    tasks = [
        expect(
            await c.post(
                f"/api/v1/projects/{project}/tasks", json={"title": f"Task {i}"}, headers=h
            ),
            201,
        )["id"]
        for i in range(4)
    ]
    relation = expect(
        await c.post(
            f"/api/v1/tasks/{tasks[0]}/relations",
            json={"type": "blocks", "task_id": tasks[1]},
            headers=h,
        ),
        201,
    )["id"]
    assert (await c.delete(f"/api/v1/tasks/{tasks[3]}", headers=h)).status_code == 204
    comment = expect(
        await c.post(
            f"/api/v1/tasks/{tasks[0]}/comments",
            json={"body": "First"},
            headers=users["member"].headers,
        ),
        201,
    )["id"]
    attachment = expect(
        await c.post(
            f"/api/v1/tasks/{tasks[0]}/attachments",
            files={"file": ("notes.txt", b"Some notes", "text/plain")},
            headers=users["member"].headers,
        ),
        201,
    )["id"]
    pats = {
        scope: expect(
            await c.post(
                "/api/v1/users/me/tokens",
                json={"name": f"{scope} bot", "scopes": [scope]},
                headers=h,
            ),
            201,
        )
        for scope in SCOPES
    }
    owner_session = expect(await c.get("/api/v1/users/me/sessions", headers=h), 200)["items"][0][
        "id"
    ]
    # A public address (nothing is sent: no worker runs here).
    webhook = expect(
        await c.post(
            f"/api/v1/workspaces/{ws}/webhooks",
            json={"url": "https://1.1.1.1/world-hook", "event_types": ["task.*"]},
            headers=h,
        ),
        201,
    )["id"]
    delivery = expect(
        await c.post(f"/api/v1/workspaces/{ws}/webhooks/{webhook}/test", headers=h), 202
    )["id"]
    view = expect(
        await c.post(
            f"/api/v1/workspaces/{ws}/views",
            json={"name": "Open", "query": "is:open", "shared": True},
            headers=h,
        ),
        201,
    )["id"]
    return {
        "workspace": ws,
        "project": project,
        "status": status,
        "label": label,
        "task": tasks[0],
        "task3": tasks[2],
        "trashed": tasks[3],
        "relation": relation,
        "comment": comment,
        "attachment": attachment,
        "invitation": invitation,
        "invite_token": link.removeprefix("/invite/"),
        "ids": {r: u.id for r, u in users.items()},
        "emails": {r: u.email for r, u in users.items()},
        "tokens": {r: u.access_token for r, u in users.items()},
        "refresh": {r: u.refresh_token for r, u in users.items()},
        "pats": {scope: pat["token"] for scope, pat in pats.items()},
        "pat_ids": {scope: pat["id"] for scope, pat in pats.items()},
        "owner_session": owner_session,
        "webhook": webhook,
        "delivery": delivery,
        "view": view,
    }


@pytest.fixture
def world_db(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    prepared_databases: PreparedDatabases,
) -> Iterator[tuple[str, W]]:
    """A copy of the world (made once per process and backend) as it was made, however the
    cases before changed theirs: its URL, and the world. On PostgreSQL, a copy a case left
    unchanged (row by row) serves the next one: cloning is most of a case's time there."""
    world = prepared_databases.get(
        backend, migrated_template(backend, request), "world", _build_world
    )
    with database_copy(backend, world.source, tmp_path, reusable=True) as url:
        yield url, world.value


# --- the tests -----------------------------------------------------------------------------


def _operations() -> set[str]:
    from tasklane.config import Settings

    spec = create_app(Settings(database_url="sqlite+aiosqlite:///unused.db")).openapi()
    return {f"{method.upper()} {path}" for path, item in spec["paths"].items() for method in item}


def test_table_covers_every_route() -> None:
    operations = _operations()
    missing = sorted(operations - TABLE.keys())
    stale = sorted(TABLE.keys() - operations)
    assert not missing, f"routes without an authorisation row: {missing}"
    assert not stale, f"rows for routes that no longer exist: {stale}"


async def _call(
    database_url: str, tmp_path: Path, method: str, url: str, body: Any, headers: dict[str, str]
) -> httpx.Response:
    """One request to a fresh app on the case's copy of the world."""
    app = create_app(make_settings(database_url, tmp_path / "data"))
    async with (
        LifespanManager(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        ) as c,
    ):
        return await c.request(method, url, json=body, headers=headers)


CASES = [(op, role) for op in sorted(TABLE) for role in ROLES]


@pytest.mark.parametrize(("operation", "role"), CASES, ids=[f"{o} as {r}" for o, r in CASES])
async def test_role_gets_expected_status(
    operation: str, role: str, world_db: tuple[str, W], tmp_path: Path
) -> None:
    database_url, world = world_db
    case = TABLE[operation]
    method, url, body = case.request(world)
    headers = {} if role == "anonymous" else {"Authorization": f"Bearer {world['tokens'][role]}"}
    r = await _call(database_url, tmp_path, method, url, body, headers)
    expected = case.expected[role]
    assert r.status_code == expected, f"{operation} as {role}: {r.status_code} {r.text[:300]}"
    if r.status_code >= 400:
        assert r.headers["content-type"] == "application/problem+json"
        assert json.loads(r.text)["status"] == r.status_code


# The owner's personal API tokens, one per scope: each route answers what it answers the owner
# when the scope allows it (tasklane.authz.scopes), else 403 `token_scope`; each route is
# called with the scopes on either side of the one it needs. Routes open to
# anonymous callers do not read a token. The scope logic is the same on every database (the
# token's own statement runs on both in tests/auth/test_api_tokens.py), so this runs on SQLite.
OTHER_CREDENTIALS = {
    "POST /api/v1/auth/session/refresh": "the refresh cookie",
    "POST /api/v1/auth/mfa": "the password step's mfa_token",
    "POST /api/v1/auth/session/mfa": "the password step's mfa_token",
    "POST /api/v1/auth/passkey": "a passkey's signature",
    "POST /api/v1/auth/session/passkey": "a passkey's signature",
}
"""Routes that authenticate with something other than an access token, so read none."""


def _reads_token(operation: str) -> bool:
    return TABLE[operation].expected["anonymous"] == 401 and operation not in OTHER_CREDENTIALS


def _telling_scopes(operation: str) -> tuple[str, ...]:
    """The scopes whose answers tell whether the route's place is right: the widest scope
    that must be refused and the narrowest that must be let through (each scope includes the
    ones before it, so the others follow)."""
    if not _reads_token(operation):
        return ("read",)
    method, path = operation.split(" ", 1)
    needs = scopes.needed(method, path)
    if needs is None:
        return ("admin",)
    at = SCOPES.index(needs)
    return SCOPES[max(at - 1, 0) : at + 1]


SCOPE_CASES = [(op, scope) for op in sorted(TABLE) for scope in _telling_scopes(op)]


def _token_may(operation: str, scope: str) -> bool:
    method, path = operation.split(" ", 1)
    needs = scopes.needed(method, path)
    return needs is not None and needs in scopes.GRANTS[scope]


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    ("operation", "scope"), SCOPE_CASES, ids=[f"{o} by a {s} token" for o, s in SCOPE_CASES]
)
async def test_token_scope_gets_expected_status(
    operation: str, scope: str, world_db: tuple[str, W], tmp_path: Path
) -> None:
    database_url, world = world_db
    case = TABLE[operation]
    method, url, body = case.request(world)
    ignored = not _reads_token(operation)
    expected = case.expected["owner"] if ignored or _token_may(operation, scope) else 403
    headers = {"Authorization": f"Bearer {world['pats'][scope]}"}
    r = await _call(database_url, tmp_path, method, url, body, headers)
    assert r.status_code == expected, (
        f"{operation} by a {scope} token: {r.status_code} {r.text[:300]}"
    )
    if expected == 403 and not ignored and not _token_may(operation, scope):
        assert json.loads(r.text)["code"] == "token_scope"


def test_every_write_route_is_placed_in_a_token_scope() -> None:
    """A route left out of tasklane.authz.scopes is closed to every token: that must be a
    choice (ACCOUNT), not an oversight."""
    signed_in_writes = {
        op for op in TABLE if _reads_token(op) and not op.startswith(("GET ", "HEAD "))
    }
    placed = scopes.ACCOUNT | scopes.READ | scopes.WRITE | scopes.ADMIN
    assert not signed_in_writes - placed, sorted(signed_in_writes - placed)
    assert not placed - TABLE.keys(), sorted(placed - TABLE.keys())


# HTTP routes left out of the OpenAPI document (so out of the table above) must be public on
# purpose: each answers without a caller, and says why here.
PUBLIC_OUTSIDE_CONTRACT = {
    "GET /api/openapi.json": "the API contract itself",
    "GET /api/docs": "interactive API docs",
    "GET /api/redoc": "API reference docs (ReDoc)",
    "GET /api/docs/assets/redoc.standalone.js": "ReDoc's script, without its makers' CDN logo",
    "GET /metrics": "Prometheus scrape endpoint (operations)",
    "GET /{path:path}": "the web app's files and its client routes (SPA fallback)",
    "GET /api/v1/files/{kind}/{attachment_id}": (
        "an attachment's download link with local storage: signed and short-lived, the link "
        "is the credential (tests/attachments)"
    ),
    "POST /api/v1/files/uploads/{upload_id}": (
        "a direct upload's target with local storage: signed, short-lived, for one pending "
        "upload of a declared size (tests/attachments)"
    ),
}


def test_routes_outside_the_contract_are_on_the_public_list() -> None:
    from fastapi.routing import APIRoute
    from starlette.routing import Route

    from tasklane.config import Settings

    app = create_app(Settings(database_url="sqlite+aiosqlite:///unused.db"))
    hidden = {
        f"{method} {route.path}"
        for route in app.routes
        if isinstance(route, Route | APIRoute) and not getattr(route, "include_in_schema", True)
        for method in (route.methods or set()) - {"HEAD"}
    }
    docs = {
        f"{method} {route.path}"
        for route in app.routes
        if isinstance(route, Route) and not isinstance(route, APIRoute)
        for method in (route.methods or set()) - {"HEAD"}
    }
    assert hidden | docs <= PUBLIC_OUTSIDE_CONTRACT.keys(), sorted(
        (hidden | docs) - PUBLIC_OUTSIDE_CONTRACT.keys()
    )
