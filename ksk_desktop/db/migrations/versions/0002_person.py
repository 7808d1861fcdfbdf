"""Persons with a folded search key, and their priority flags.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "person",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("personal_id", sa.String(12), unique=True),
        sa.Column("old_id", sa.String(9)),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("name_fold", sa.String(200), nullable=False),
        sa.Column("sort_key", sa.String(220), nullable=False),
        sa.Column("birth_date", sa.Date),
        sa.Column("birth_year", sa.Integer),
        sa.Column("sex", sa.String(1)),
        sa.Column("permanent_address", sa.String(400)),
        sa.Column("current_address", sa.String(400)),
        sa.Column("commune_code", sa.String(5)),
        sa.Column("hamlet", sa.String(120)),
        sa.Column("phone", sa.String(15)),
        sa.Column("insurance_no", sa.String(20)),
        sa.Column("target_group", sa.String(2)),
        sa.Column("guardian_id", sa.String(36), sa.ForeignKey("person.id")),
        sa.Column("guardian_name", sa.String(200)),
        sa.Column("guardian_phone", sa.String(15)),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    # Identifiers and names are looked up through the FTS index of revision 0003; B-trees only where a list is
    # walked in order or grouped (each index costs time on every one of a 100,000-row import).
    for column in ("sort_key", "birth_year", "hamlet"):
        op.create_index(f"ix_person_{column}", "person", [column])
    op.create_table(
        "person_flag",
        sa.Column(
            "person_id", sa.String(36), sa.ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("flag", sa.String(20), primary_key=True),
    )
    op.create_index("ix_person_flag_flag", "person_flag", ["flag"])


def downgrade() -> None:
    op.drop_table("person_flag")
    op.drop_table("person")
