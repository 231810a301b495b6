"""What an archive holds, table by table (docs/archive.md).

An installation archive (a backup without pg_dump, `migrate-to`) holds every table as it is.
A workspace archive holds the rows that belong to one workspace, found by the rules below,
and the accounts they name without their credentials. Every table of the models is either
in WORKSPACE, is `users`, or is in EXCLUDED with the reason: tests/archive/test_coverage.py
fails on a table that is none of these, so a new table cannot be left out by forgetting it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, Table, select

from tasklane.models import Base

TABLES: dict[str, Table] = dict(Base.metadata.tables)


def _t(name: str) -> Table:
    return TABLES[name]


def _projects(workspace: UUID) -> Select[Any]:
    projects = _t("projects")
    return select(projects.c.id).where(projects.c.workspace_id == workspace)


def _tasks(workspace: UUID) -> Select[Any]:
    tasks = _t("tasks")
    return select(tasks.c.id).where(tasks.c.project_id.in_(_projects(workspace)))


def _by_workspace(name: str) -> Callable[[UUID], ColumnElement[bool]]:
    return lambda workspace: _t(name).c.workspace_id == workspace


def _by_project(name: str) -> Callable[[UUID], ColumnElement[bool]]:
    return lambda workspace: _t(name).c.project_id.in_(_projects(workspace))


def _by_task(name: str, column: str = "task_id") -> Callable[[UUID], ColumnElement[bool]]:
    return lambda workspace: _t(name).c[column].in_(_tasks(workspace))


def _webhook_deliveries(workspace: UUID) -> ColumnElement[bool]:
    webhooks = _t("webhooks")
    mine = select(webhooks.c.id).where(webhooks.c.workspace_id == workspace)
    return _t("webhook_deliveries").c.webhook_id.in_(mine)


WORKSPACE: dict[str, Callable[[UUID], ColumnElement[bool]]] = {
    "workspaces": lambda workspace: _t("workspaces").c.id == workspace,
    "workspace_members": _by_workspace("workspace_members"),
    "workspace_invitations": _by_workspace("workspace_invitations"),
    "projects": _by_workspace("projects"),
    "project_members": _by_project("project_members"),
    "statuses": _by_project("statuses"),
    "labels": _by_project("labels"),
    "tasks": _by_project("tasks"),
    "task_assignees": _by_task("task_assignees"),
    "task_labels": _by_task("task_labels"),
    "task_watchers": _by_task("task_watchers"),
    "task_relations": _by_task("task_relations", "source_id"),
    "task_transitions": _by_project("task_transitions"),
    "comments": _by_task("comments"),
    "attachments": _by_workspace("attachments"),
    "saved_views": _by_workspace("saved_views"),
    "webhooks": _by_workspace("webhooks"),
    "webhook_deliveries": _webhook_deliveries,
    "notifications": _by_workspace("notifications"),
    "notification_mutes": _by_project("notification_mutes"),
    "events": _by_workspace("events"),
    # CSV/Trello/Jira imports (tasklane.imports): their links keep a re-import from duplicating.
    "import_runs": _by_project("import_runs"),
    "import_links": _by_project("import_links"),
}
"""The rows of each table that belong to a workspace."""

USERS = "users"
"""Carried in a workspace archive: every account a carried row names, without credentials."""

EXCLUDED: dict[str, str] = {
    "audit_log": "the installation's tamper-evident record: its hash chain runs across every "
    "workspace, so rows cannot move between installations; export and import are recorded in it",
    "api_tokens": "credentials: an account's tokens are not moved with a workspace",
    "auth_sessions": "credentials: sign-ins belong to the installation they were made on",
    "refresh_tokens": "credentials: sign-ins belong to the installation they were made on",
    "totp_factors": "credentials: two-factor secrets are not moved with a workspace",
    "recovery_codes": "credentials: two-factor recovery codes are not moved with a workspace",
    "passkeys": "credentials: a passkey is bound to the site it was made on",
    "webauthn_challenges": "a sign-in ceremony in progress (minutes)",
    "user_identities": "single sign-on links belong to the installation's identity providers",
    "oidc_logins": "a single sign-on in progress (minutes)",
    "calendar_feeds": "an account's secret feed link: a new one is made on the new installation",
    "notification_settings": "an account's settings, not the workspace's: defaults apply",
    "idempotency_records": "replies kept a day for retried requests to this installation",
    "jobs": "the installation's work queue: jobs are made again by what needs them",
    "consumer_positions": "the installation's progress through its own event log",
    "counters": "the installation's sequence counters",
    "presence": "who is looking at what right now (seconds)",
    "workspace_exports": "the installation's record of archives it made for download (their "
    "files are kept a few days): an archive does not hold the archives made of it",
    "workspace_imports": "the installation's record of archives uploaded to it and the "
    "workspaces they became: its own machinery, like the job queue",
    "task_flows": "derived from task_transitions by database triggers (tasklane.insights.flows): "
    "importing the archived transitions writes it again, so carrying it would only duplicate",
}
"""Tables a workspace archive leaves out, and why. Installation archives hold them all."""

OMITTED_COLUMNS: dict[str, frozenset[str]] = {
    "users": frozenset({"password_hash"}),
    # A surrogate key numbered by each database: the target numbers the rows again.
    "task_transitions": frozenset({"id"}),
}
"""Columns a workspace archive leaves out (a new account signs in by resetting its password
or through single sign-on)."""

SEQUENCE_COLUMNS: dict[str, str] = {
    "events": "seq",
    "notifications": "last_seq",
    "webhook_deliveries": "event_seq",
}
"""Columns holding an event's sequence number: renumbered when a workspace is imported, since
the events take the next numbers of the target's log."""


UNLINKED_USER_COLUMNS = frozenset({"actor_id"})
"""Columns that name an account without a foreign key (the event log's and notifications'
actor: they outlive the account)."""


def user_columns(table: Table) -> list[str]:
    """The columns of `table` that name an account."""
    return [
        str(column.name)
        for column in table.columns
        if column.name in UNLINKED_USER_COLUMNS
        or any(key.column.table.name == USERS for key in column.foreign_keys)
    ]


def workspace_tables() -> list[Table]:
    """The tables of a workspace archive, parents before children."""
    return [t for t in Base.metadata.sorted_tables if t.name in WORKSPACE or t.name == USERS]


def self_references(table: Table) -> list[str]:
    """Columns that refer to another row of the same table (a task's parent)."""
    return [
        column.name
        for column in table.columns
        if any(key.column.table is table for key in column.foreign_keys)
    ]
