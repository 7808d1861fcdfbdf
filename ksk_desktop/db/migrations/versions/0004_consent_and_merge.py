"""Consent records (to the exam, to sending results to the health record) and person merges.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("given_by", sa.String(20), nullable=False),
        sa.Column("recorded_by", sa.String(40), nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("withdrawn_by", sa.String(40)),
        sa.Column("withdrawn_at", sa.DateTime),
        sa.Column("note", sa.String(400)),
    )
    op.create_index("ix_consent_person", "consent", ["person_id", "kind"])
    op.create_table(
        "person_merge",
        sa.Column("merged_id", sa.String(36), primary_key=True),
        sa.Column("kept_id", sa.String(36), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("merged_by", sa.String(40), nullable=False),
        sa.Column("merged_at", sa.DateTime, nullable=False),
        sa.Column("snapshot", sa.Text, nullable=False),
    )
    op.create_index("ix_person_merge_kept", "person_merge", ["kept_id"])


def downgrade() -> None:
    op.drop_table("person_merge")
    op.drop_table("consent")
