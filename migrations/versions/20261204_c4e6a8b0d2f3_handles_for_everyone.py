"""handles for everyone: accounts without one get one from their name (or e-mail address)

Revision ID: c4e6a8b0d2f3
Revises: a7c9e1b3d5f8
Create Date: 2026-12-04 15:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tasklane.users.handles import handle_base

revision: str = "c4e6a8b0d2f3"
down_revision: str | None = "a7c9e1b3d5f8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

users = sa.table(
    "users",
    sa.column("id", sa.Uuid()),
    sa.column("name", sa.String()),
    sa.column("email", sa.String()),
    sa.column("handle", sa.String()),
    sa.column("created_at", sa.DateTime()),
)


def upgrade() -> None:
    bind = op.get_bind()
    taken = {h for (h,) in bind.execute(sa.select(users.c.handle)) if h is not None}
    rows = bind.execute(
        sa.select(users.c.id, users.c.name, users.c.email)
        .where(users.c.handle.is_(None))
        .order_by(users.c.created_at, users.c.id)
    ).all()
    for user_id, name, email in rows:  # oldest first: the first Ada gets `ada`
        base = handle_base(name, email)
        handle, n = base, 2
        while handle in taken:
            handle, n = f"{base}-{n}", n + 1
        taken.add(handle)
        bind.execute(sa.update(users).where(users.c.id == user_id).values(handle=handle))


def downgrade() -> None:
    pass  # handles are ordinary data: they stay
