"""Sync with the city hub: the station's link (hub address, device credential, pull cursor, last result) and
the merges the hub announced.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("hub_url", sa.String(300)),
        sa.Column("device_id", sa.String(36)),
        sa.Column("credential", sa.Text),
        sa.Column("pin_sha256", sa.String(64)),
        sa.Column("ca_file", sa.String(500)),
        sa.Column("enrolled_at", sa.DateTime),
        sa.Column("enrolled_by", sa.String(40)),
        sa.Column("pull_cursor", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_attempt_at", sa.DateTime),
        sa.Column("last_success_at", sa.DateTime),
        sa.Column("last_error", sa.Text),
        sa.Column("last_error_at", sa.DateTime),
        sa.Column("consecutive_failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime),
    )
    op.create_table(
        "sync_remote_merge",
        sa.Column("merged_id", sa.String(36), primary_key=True),
        sa.Column("kept_id", sa.String(36), nullable=False),
        sa.Column("reason", sa.String(30)),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.Column("applied_at", sa.DateTime),
    )
    op.create_index("ix_sync_remote_merge_kept", "sync_remote_merge", ["kept_id"])


def downgrade() -> None:
    op.drop_table("sync_remote_merge")
    op.drop_table("sync_state")
