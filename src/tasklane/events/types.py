"""Every event type Tasklane writes. A type not listed here cannot be recorded."""

from __future__ import annotations

from enum import StrEnum


class EventType(StrEnum):
    WORKSPACE_CREATED = "workspace.created"
    WORKSPACE_UPDATED = "workspace.updated"
    WORKSPACE_DELETED = "workspace.deleted"
    MEMBER_ADDED = "workspace.member_added"
    MEMBER_UPDATED = "workspace.member_updated"
    MEMBER_REMOVED = "workspace.member_removed"
    PROJECT_CREATED = "project.created"
    PROJECT_UPDATED = "project.updated"
    PROJECT_DELETED = "project.deleted"
    PROJECT_MEMBER_ADDED = "project.member_added"
    PROJECT_MEMBER_UPDATED = "project.member_updated"
    PROJECT_MEMBER_REMOVED = "project.member_removed"
    STATUS_CREATED = "status.created"
    STATUS_UPDATED = "status.updated"
    STATUS_DELETED = "status.deleted"
    LABEL_CREATED = "label.created"
    LABEL_UPDATED = "label.updated"
    LABEL_DELETED = "label.deleted"
    TASK_CREATED = "task.created"
    TASK_UPDATED = "task.updated"
    TASK_MOVED = "task.moved"
    TASK_DELETED = "task.deleted"
    TASK_RESTORED = "task.restored"
    TASK_RELATION_ADDED = "task.relation_added"
    TASK_RELATION_REMOVED = "task.relation_removed"
    COMMENT_CREATED = "comment.created"
    COMMENT_UPDATED = "comment.updated"
    COMMENT_DELETED = "comment.deleted"
    ATTACHMENT_ADDED = "attachment.added"
    ATTACHMENT_REMOVED = "attachment.removed"
    NOTIFICATIONS_CREATED = "notification.created"


DESCRIPTIONS: dict[EventType, str] = {
    EventType.WORKSPACE_CREATED: "A workspace was created; `changes` holds its fields.",
    EventType.WORKSPACE_UPDATED: "A workspace's name changed.",
    EventType.WORKSPACE_DELETED: "A workspace and everything in it was deleted.",
    EventType.MEMBER_ADDED: "A user joined a workspace with a role.",
    EventType.MEMBER_UPDATED: "A workspace member's role changed.",
    EventType.MEMBER_REMOVED: "A user left or was removed from a workspace.",
    EventType.PROJECT_CREATED: "A project was created.",
    EventType.PROJECT_UPDATED: "A project's name, description or archived flag changed.",
    EventType.PROJECT_DELETED: "A project and its tasks were deleted.",
    EventType.PROJECT_MEMBER_ADDED: "A user was given a role in a project.",
    EventType.PROJECT_MEMBER_UPDATED: "A user's project role changed.",
    EventType.PROJECT_MEMBER_REMOVED: "A user's project role was removed.",
    EventType.STATUS_CREATED: "A status was added to a project's workflow.",
    EventType.STATUS_UPDATED: "A status was renamed, recoloured, recategorised or reordered.",
    EventType.STATUS_DELETED: "A status was removed; its tasks moved to another.",
    EventType.LABEL_CREATED: "A label was created.",
    EventType.LABEL_UPDATED: "A label was renamed or recoloured.",
    EventType.LABEL_DELETED: "A label was deleted and taken off its tasks.",
    EventType.TASK_CREATED: "A task was created; `changes` holds its initial fields.",
    EventType.TASK_UPDATED: "Fields of a task changed; `changes` maps each to {from, to}.",
    EventType.TASK_MOVED: "A task changed status or position on the board.",
    EventType.TASK_DELETED: "A task was moved to the trash.",
    EventType.TASK_RESTORED: "A task was restored from the trash.",
    EventType.TASK_RELATION_ADDED: "A relation between two tasks was added.",
    EventType.TASK_RELATION_REMOVED: "A relation between two tasks was removed.",
    EventType.COMMENT_CREATED: "A comment was added to a task.",
    EventType.COMMENT_UPDATED: "A comment was edited.",
    EventType.COMMENT_DELETED: "A comment was deleted.",
    EventType.ATTACHMENT_ADDED: (
        "A file was attached to a task (`entity_id` is the attachment; `changes` holds its "
        "filename, content_type, size and comment_id)."
    ),
    EventType.ATTACHMENT_REMOVED: "A file was removed from a task.",
    EventType.NOTIFICATIONS_CREATED: (
        "People were notified (tasklane.notifications): `notifications` lists each new one "
        "with its recipient. It names no workspace, so no subscription, activity feed or "
        "webhook carries it: each recipient's WebSocket gets its own, as `notification`."
    ),
}
