"""The project reads a board makes each time it opens (its workflow), on raw rows, encoded
once: the pattern of `tasklane.tasks.reads` (docs/architecture.md, "Hot reads")."""

from __future__ import annotations

from functools import cache
from typing import Any
from uuid import UUID

from tasklane.auth.principal import Principal
from tasklane.authz.access import project_lookup, project_read_statement, read_role
from tasklane.authz.roles import Action
from tasklane.errors import NotFound
from tasklane.kit.rawsql import Dialect, RawConnection, RawSQL, compile_raw
from tasklane.models import Project, Status

_STATUS_COLUMNS = (Status.id, Status.project_id, Status.name, Status.category, Status.color)


@cache
def _statuses_statement(dialect: Dialect) -> RawSQL:
    """Access and the project's statuses in board order (one row each): one statement."""
    stmt = (
        project_read_statement([*_STATUS_COLUMNS, Status.position])
        .outerjoin(Status, Status.project_id == Project.id)
        .order_by(Status.position, Status.id)
    )
    return compile_raw(stmt, dialect)


async def list_statuses(
    raw: RawConnection, principal: Principal, *, project_id: UUID
) -> dict[str, Any]:
    """The project's statuses as `Page[StatusRead]` JSON (every one: at most 50)."""
    rows = await raw.fetch(_statuses_statement(raw.dialect), project_lookup(principal, project_id))
    if not rows:
        raise NotFound("No such project.")
    read_role(rows[0], Action.PROJECT_READ, missing="No such project.")
    items = [
        {
            "id": r[2],
            "project_id": r[3],
            "name": r[4],
            "category": r[5],
            "color": r[6],
            "position": r[7],
        }
        for r in rows
        if r[2] is not None
    ]
    return {"items": items, "next_cursor": None}
