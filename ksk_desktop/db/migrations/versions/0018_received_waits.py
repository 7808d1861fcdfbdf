"""What a waiting received item waits for (docs/multi-device.md §5): the kind and id of the record it refers to
(a person, a campaign, a site, an exam day's place, an earlier appointment, a doctor's key), indexed, so that
after a page only the items whose record has arrived are tried again instead of every waiting item.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sync_received_item") as batch:
        batch.add_column(sa.Column("wait_kind", sa.String(12)))
        batch.add_column(sa.Column("wait_id", sa.String(200)))
    op.create_index("ix_sync_received_item_wait", "sync_received_item", ["state", "wait_kind", "wait_id"])


def downgrade() -> None:
    op.drop_index("ix_sync_received_item_wait", "sync_received_item")
    with op.batch_alter_table("sync_received_item") as batch:
        batch.drop_column("wait_id")
        batch.drop_column("wait_kind")
