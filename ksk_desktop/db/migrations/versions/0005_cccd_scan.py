"""Raw CCCD QR payloads, kept only here (inside the encrypted database), never in logs.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cccd_scan",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("person.id")),
        sa.Column("scanned_by", sa.String(40), nullable=False),
        sa.Column("scanned_at", sa.DateTime, nullable=False),
        sa.Column("raw", sa.Text, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
    )
    op.create_index("ix_cccd_scan_person", "cccd_scan", ["person_id"])


def downgrade() -> None:
    op.drop_table("cccd_scan")
