"""QĐ 1551 data set: the station's facility codes (MA_CSKCB, MA_GTIN_CSKCB, province) and the Ministry data-link
account, whose password lives only in this encrypted database; and the signed exams not queued for the Ministry (no certificates or codes at sign-off).

Revision ID: 0016
Revises: 0015 (the QĐ 1551 certificates)
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "moh1551_settings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("ma_cskcb", sa.String(5)),
        sa.Column("ma_gtin_cskcb", sa.String(13)),
        sa.Column("province_code", sa.String(3)),
        sa.Column("account_user", sa.String(100)),
        sa.Column("account_password", sa.Text),
        sa.Column("updated_by", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "moh1551_unsent",
        sa.Column("exam_id", sa.String(36), primary_key=True),
        sa.Column("exam_version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("moh1551_unsent")
    op.drop_table("moh1551_settings")
