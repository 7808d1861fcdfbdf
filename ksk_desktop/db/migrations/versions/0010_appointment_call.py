"""The call into an exam room: when a waiting person was called and into which room, for the waiting room's
"now calling" display (``ksk schedule calling``). Both stay on this station (the hub's appointment payload names
its keys and does not carry them).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("appointment", sa.Column("called_at", sa.DateTime))
    op.add_column("appointment", sa.Column("room", sa.String(60)))


def downgrade() -> None:
    with op.batch_alter_table("appointment") as batch:
        batch.drop_column("room")
        batch.drop_column("called_at")
