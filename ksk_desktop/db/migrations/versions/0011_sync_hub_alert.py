"""The hub's audit alert, kept by the station: when the city hub finds that this station's audit-chain head went
backwards (or changed at a sequence it had seen), its answer says so, and the station keeps the sentence and the
moment until an administrator acknowledges it.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sync_state", sa.Column("hub_alert", sa.Text))
    op.add_column("sync_state", sa.Column("hub_alert_at", sa.DateTime))


def downgrade() -> None:
    with op.batch_alter_table("sync_state") as batch:
        batch.drop_column("hub_alert_at")
        batch.drop_column("hub_alert")
