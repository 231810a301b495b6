"""Every table, imported here so the one metadata knows them all."""

from tasklane.models.api_token import ApiToken
from tasklane.models.archive import WorkspaceExport, WorkspaceImport
from tasklane.models.attachment import Attachment
from tasklane.models.audit import AuditEntry
from tasklane.models.auth_session import AuthSession, RefreshToken
from tasklane.models.base import Base
from tasklane.models.calendar import CalendarFeed
from tasklane.models.comment import Comment
from tasklane.models.event import Counter, Event, IdempotencyRecord
from tasklane.models.identity import OidcLogin, UserIdentity
from tasklane.models.imports import ImportLink, ImportRun
from tasklane.models.job import ConsumerPosition, Job, JobStatus
from tasklane.models.mfa import RecoveryCode, TotpFactor
from tasklane.models.notification import Notification, NotificationMute, NotificationSettings
from tasklane.models.passkey import Passkey, WebauthnChallenge
from tasklane.models.presence import PresenceEntry
from tasklane.models.project import Label, Project, ProjectMember, Status
from tasklane.models.task import (
    Task,
    TaskAssignee,
    TaskLabel,
    TaskRelation,
    TaskWatcher,
)
from tasklane.models.task_flow import TaskFlow
from tasklane.models.transition import TaskTransition
from tasklane.models.user import User
from tasklane.models.view import SavedView
from tasklane.models.webhook import Webhook, WebhookDelivery
from tasklane.models.workspace import Workspace, WorkspaceInvitation, WorkspaceMember

__all__ = [
    "ApiToken",
    "Attachment",
    "AuditEntry",
    "AuthSession",
    "Base",
    "CalendarFeed",
    "Comment",
    "ConsumerPosition",
    "Counter",
    "Event",
    "IdempotencyRecord",
    "ImportLink",
    "ImportRun",
    "Job",
    "JobStatus",
    "Label",
    "Notification",
    "NotificationMute",
    "NotificationSettings",
    "OidcLogin",
    "Passkey",
    "PresenceEntry",
    "Project",
    "ProjectMember",
    "RecoveryCode",
    "RefreshToken",
    "SavedView",
    "Status",
    "Task",
    "TaskAssignee",
    "TaskFlow",
    "TaskLabel",
    "TaskRelation",
    "TaskTransition",
    "TaskWatcher",
    "TotpFactor",
    "User",
    "UserIdentity",
    "WebauthnChallenge",
    "Webhook",
    "WebhookDelivery",
    "Workspace",
    "WorkspaceExport",
    "WorkspaceImport",
    "WorkspaceInvitation",
    "WorkspaceMember",
]
