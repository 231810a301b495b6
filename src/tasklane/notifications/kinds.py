"""The kinds of notification, the channels, and what each is set to unless a person chose."""

from __future__ import annotations

from enum import StrEnum

from tasklane.models import NotificationSettings


class Kind(StrEnum):
    ASSIGNED = "assigned"
    MENTIONED = "mentioned"
    COMMENTED = "commented"
    STATUS_CHANGED = "status_changed"
    DUE_SOON = "due_soon"
    ADDED = "added"
    WEBHOOK_DISABLED = "webhook_disabled"


class InApp(StrEnum):
    OFF = "off"
    IMMEDIATE = "immediate"


class Email(StrEnum):
    OFF = "off"
    IMMEDIATE = "immediate"
    DIGEST = "digest"


class Mute(StrEnum):
    WATCHING = "watching"
    """Nothing that comes only from watching (comments, status changes) in the project."""
    ALL = "all"
    """Nothing at all from the project."""


DESCRIPTIONS: dict[Kind, str] = {
    Kind.ASSIGNED: "You were assigned a task.",
    Kind.MENTIONED: "Someone mentioned you in a comment or a task description.",
    Kind.COMMENTED: "Someone commented on a task you watch.",
    Kind.STATUS_CHANGED: "A task you watch changed status.",
    Kind.DUE_SOON: "A task assigned to you is due within a day.",
    Kind.ADDED: "You were added to a workspace or a project.",
    Kind.WEBHOOK_DISABLED: "A webhook of a workspace you administer was disabled.",
}

DEFAULT_EMAIL: dict[Kind, Email] = {
    Kind.ASSIGNED: Email.IMMEDIATE,
    Kind.MENTIONED: Email.IMMEDIATE,
    Kind.COMMENTED: Email.DIGEST,
    Kind.STATUS_CHANGED: Email.DIGEST,
    Kind.DUE_SOON: Email.IMMEDIATE,
    Kind.ADDED: Email.IMMEDIATE,
    Kind.WEBHOOK_DISABLED: Email.IMMEDIATE,
}

FROM_WATCHING = frozenset({Kind.COMMENTED, Kind.STATUS_CHANGED})

DEFAULT_DIGEST_HOUR = 8


def channels_of(row: NotificationSettings | None, kind: Kind) -> tuple[InApp, Email]:
    """What `kind` goes to for the person whose settings are `row` (None: all defaults)."""
    chosen = (row.channels if row is not None else {}).get(kind.value, {})
    return (
        InApp(chosen.get("in_app", InApp.IMMEDIATE.value)),
        Email(chosen.get("email", DEFAULT_EMAIL[kind].value)),
    )
