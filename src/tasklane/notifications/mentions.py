"""@mentions: `@` and a handle in a comment or a task description. They are found when the
text is written, resolved to the people who can see the task (anyone else's handle mentions
nobody and reveals nothing), and stored with the revision: the event that records the text
carries the ids of the people it newly mentions (`mentions`), which the notification consumer
reads."""

from __future__ import annotations

import re
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tasklane.authz.access import project_people
from tasklane.models import Project, User

MAX_MENTIONS = 50
"""Handles looked up per text: a wall of @s is not fifty conversations."""

_MENTION = re.compile(r"(?<![\w@./+-])@([A-Za-z0-9_-]{2,32})(?![\w@])")
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)


def handles_in(text: str) -> list[str]:
    """The handles `text` mentions, lower-cased, in order, once each; none inside code
    (`inline` or fenced), nor in e-mail addresses."""
    found: dict[str, None] = {}
    for match in _MENTION.finditer(_CODE.sub(" ", text)):
        found.setdefault(match.group(1).lower(), None)
        if len(found) >= MAX_MENTIONS:
            break
    return list(found)


async def mentioned(
    session: AsyncSession, project: Project, text: str, *, before: str = ""
) -> list[UUID]:
    """The people `text` mentions who can see `project`'s tasks and whom `before` (the text it
    replaces) did not mention already, in order of mention."""
    handles = [h for h in handles_in(text) if h not in set(handles_in(before))]
    if not handles:
        return []
    people = project_people(project).subquery()
    rows = await session.execute(
        select(User.id, User.handle).where(
            User.handle.in_(handles), User.id.in_(select(people.c.id)), User.is_active
        )
    )
    by_handle = {handle: user_id for user_id, handle in rows.all()}
    return [by_handle[h] for h in handles if h in by_handle]
