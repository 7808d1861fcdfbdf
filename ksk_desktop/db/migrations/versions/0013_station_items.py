"""One station, several devices (docs/multi-device.md): the cursor of the hub's station feed, every item received
from the station's other devices (applied once, or waiting for what it refers to, or refused, with its content
kept), the conflicts found while applying them (the losing version kept to be shown), and the station's devices
with when the hub last heard from each and their public keys; this device's key pair and the station's transfer
key (transfer files).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sync_state", sa.Column("item_cursor", sa.Integer, nullable=False, server_default="0"))
    # Transfer files: this device's Ed25519 key pair (raw, base64) and the station's transfer key from the hub.
    op.add_column("sync_state", sa.Column("device_private_key", sa.Text))
    op.add_column("sync_state", sa.Column("device_public_key", sa.String(64)))
    op.add_column("sync_state", sa.Column("transfer_key", sa.Text))
    op.add_column("sync_state", sa.Column("transfer_key_id", sa.String(32)))
    op.create_table(
        "sync_received_item",
        sa.Column("item_id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("entity_version", sa.Integer, nullable=False),
        sa.Column("device_id", sa.String(36)),
        sa.Column("source", sa.String(10), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("payload", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("received_at", sa.DateTime, nullable=False),
        sa.Column("applied_at", sa.DateTime),
    )
    op.create_index("ix_sync_received_item_state", "sync_received_item", ["state", "received_at"])
    op.create_index("ix_sync_received_item_entity", "sync_received_item", ["kind", "entity_id"])
    op.create_table(
        "sync_conflict",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("kept_item_id", sa.String(36)),
        sa.Column("lost_item_id", sa.String(36)),
        sa.Column("lost_device_id", sa.String(36)),
        sa.Column("lost_payload", sa.Text, nullable=False),
        sa.Column("detail", sa.String(200), nullable=False),
        sa.Column("found_at", sa.DateTime, nullable=False),
        sa.Column("seen_by", sa.String(40)),
        sa.Column("seen_at", sa.DateTime),
    )
    op.create_index("ix_sync_conflict_entity", "sync_conflict", ["kind", "entity_id"])
    op.create_table(
        "sync_device",
        sa.Column("device_id", sa.String(36), primary_key=True),
        sa.Column("enrolled_at", sa.String(40)),
        sa.Column("last_seen_at", sa.String(40)),
        sa.Column("revoked", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("public_key", sa.String(64)),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sync_device")
    op.drop_table("sync_conflict")
    op.drop_table("sync_received_item")
    with op.batch_alter_table("sync_state") as batch:
        for column in (
            "transfer_key_id",
            "transfer_key",
            "device_public_key",
            "device_private_key",
            "item_cursor",
        ):
            batch.drop_column(column)
