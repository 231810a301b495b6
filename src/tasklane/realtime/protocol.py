"""The WebSocket protocol's messages (docs/realtime.md) and the event wire format."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator
from pydantic_core import to_json

from tasklane.authz.live import Scope, ScopeKind
from tasklane.kit.refs import MAX_REF_LENGTH
from tasklane.models import Event

MAX_MESSAGE_BYTES = 4096


class _ScopedMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workspace_id: UUID | None = None
    project_id: UUID | None = None
    task_id: Annotated[str | None, Field(max_length=MAX_REF_LENGTH)] = None
    """A UUID or a key such as `ENG-42`, parsed (with its range) by kit/refs.py."""
    user: Literal[True] | None = None
    """Your own channel: `notification` messages (tasklane.notifications)."""

    @model_validator(mode="after")
    def _one_scope(self) -> _ScopedMessage:
        named = [f for f in ("workspace_id", "project_id", "task_id", "user") if getattr(self, f)]
        if len(named) != 1:
            raise ValueError("name exactly one of workspace_id, project_id, task_id, user")
        return self

    @property
    def kind(self) -> ScopeKind:
        if self.workspace_id is not None:
            return ScopeKind.WORKSPACE
        if self.project_id is not None:
            return ScopeKind.PROJECT
        return ScopeKind.TASK

    @property
    def ref(self) -> str:
        return str(self.workspace_id or self.project_id or self.task_id)


class Subscribe(_ScopedMessage):
    type: Literal["subscribe"]
    since: Annotated[int | None, Field(ge=0)] = None


class Unsubscribe(_ScopedMessage):
    type: Literal["unsubscribe"]


class Ping(BaseModel):
    model_config = ConfigDict(extra="ignore")
    type: Literal["ping"]


ClientMessage = Annotated[Subscribe | Unsubscribe | Ping, Field(discriminator="type")]
_client_message: TypeAdapter[Subscribe | Unsubscribe | Ping] = TypeAdapter(ClientMessage)


class InvalidMessage(Exception):
    pass


def parse_client_message(text: str) -> Subscribe | Unsubscribe | Ping:
    if len(text) > MAX_MESSAGE_BYTES:
        raise InvalidMessage(f"Messages are limited to {MAX_MESSAGE_BYTES} bytes.")
    try:
        return _client_message.validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "message"
        raise InvalidMessage(f"{where}: {first['msg']}") from None


def scope_fields(scope: Scope, key: str | None = None) -> dict[str, str]:
    fields = {scope.field: str(scope.id)}
    if key is not None:
        fields["key"] = key
    return fields


def encode(message: dict[str, Any]) -> str:
    return to_json(message).decode()


# --- events on the wire ---------------------------------------------------------------------


def event_wire(event: Event) -> dict[str, Any]:
    """An event as the broker carries it between processes."""
    return {
        "seq": event.seq,
        "type": event.type,
        "workspace_id": event.workspace_id,
        "project_id": event.project_id,
        "task_id": event.task_id,
        "entity_id": event.entity_id,
        "actor_id": event.actor_id,
        "created_at": event.created_at,
        "changes": event.data.get("changes", {}),
        # Extra facts some events carry, such as a task's `key` and new `version`.
        **{k: v for k, v in event.data.items() if k != "changes" and k not in _FIXED},
    }


_FIXED = frozenset(
    {"seq", "type", "workspace_id", "project_id", "task_id", "entity_id", "actor_id", "created_at"}
)


def _uuid(value: Any) -> UUID | None:
    return UUID(value) if isinstance(value, str) else value if isinstance(value, UUID) else None


@dataclass(frozen=True, slots=False)
class LiveEvent:
    seq: int
    type: str
    workspace_id: UUID | None
    project_id: UUID | None
    task_id: UUID | None
    entity_id: UUID | None
    wire: dict[str, Any]

    @classmethod
    def from_wire(cls, wire: dict[str, Any]) -> LiveEvent:
        return cls(
            seq=int(wire["seq"]),
            type=str(wire["type"]),
            workspace_id=_uuid(wire.get("workspace_id")),
            project_id=_uuid(wire.get("project_id")),
            task_id=_uuid(wire.get("task_id")),
            entity_id=_uuid(wire.get("entity_id")),
            wire=wire,
        )

    @classmethod
    def from_row(cls, event: Event) -> LiveEvent:
        return cls.from_wire(event_wire(event))

    def in_scope(self, scope: Scope) -> bool:
        if scope.kind is ScopeKind.PROJECT:
            return self.project_id == scope.id
        if scope.kind is ScopeKind.TASK:
            return self.task_id == scope.id
        return self.workspace_id == scope.id

    @cached_property
    def message(self) -> str:
        """The client message, encoded once however many clients receive it."""
        body = {k: v for k, v in self.wire.items() if k != "seq"}
        return encode({"type": "event", "seq": self.seq, "event": body})
