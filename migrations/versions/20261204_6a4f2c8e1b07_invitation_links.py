"""invitation links: a one-time token (stored hashed) and an expiry on each invitation

Revision ID: 6a4f2c8e1b07
Revises: 2f6c8e1d0b95
Create Date: 2026-12-04 10:00:00

Pending invitations made before this expire 7 days after they were made and have no link
(`token_hash` stays NULL: they are still accepted by id; inviting the address again makes one).
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

import tasklane.kit.sqltypes

revision: str = "6a4f2c8e1b07"
down_revision: str | None = "2f6c8e1d0b95"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIFETIME = timedelta(days=7)


def upgrade() -> None:
    with op.batch_alter_table("workspace_invitations", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("expires_at", tasklane.kit.sqltypes.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
    # In Python, through the column type, so both databases store the same UTC timestamps.
    invitations = sa.table(
        "workspace_invitations",
        sa.column("id", sa.Uuid()),
        sa.column("created_at", tasklane.kit.sqltypes.UTCDateTime(timezone=True)),
        sa.column("expires_at", tasklane.kit.sqltypes.UTCDateTime(timezone=True)),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(invitations.c.id, invitations.c.created_at)).all()
    for invitation_id, created_at in rows:
        connection.execute(
            invitations.update()
            .where(invitations.c.id == invitation_id)
            .values(expires_at=created_at + LIFETIME)
        )
    with op.batch_alter_table("workspace_invitations", schema=None) as batch_op:
        batch_op.alter_column(
            "expires_at",
            existing_type=tasklane.kit.sqltypes.UTCDateTime(timezone=True),
            nullable=False,
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_workspace_invitations_token_hash"), ["token_hash"]
        )


def downgrade() -> None:
    with op.batch_alter_table("workspace_invitations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_workspace_invitations_token_hash"), type_="unique")
        batch_op.drop_column("token_hash")
        batch_op.drop_column("expires_at")
