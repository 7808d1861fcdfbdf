"""QĐ 1551: the station's signing certificates (the facility's, each doctor's) and what the hub reported about
each exam pushed to the Ministry. A facility's PKCS#12 password or token PIN is kept only here, inside the
encrypted database, so the station can sign offline at sign-off; a doctor's PKCS#12 is kept without its
password, which the doctor types at each sign-off.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "moh_certificate",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("owner", sa.String(40), nullable=False),  # "@facility" or a doctor's user name
        sa.Column("holder", sa.String(10), nullable=False),  # pkcs12 | pkcs11
        sa.Column("certificate", sa.Text, nullable=False),  # PEM
        sa.Column("p12", sa.Text),  # base64 of the PKCS#12 file
        sa.Column("secret", sa.Text),  # the facility's password or PIN; never a doctor's
        sa.Column("module", sa.String(500)),
        sa.Column("token_label", sa.String(64)),
        sa.Column("key_label", sa.String(64)),
        sa.Column("imported_at", sa.DateTime, nullable=False),
        sa.Column("imported_by", sa.String(40), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_index("ix_moh_certificate_owner", "moh_certificate", ["owner", "active"])
    op.create_table(
        "moh_push_status",
        sa.Column("msg_id", sa.String(64), primary_key=True),
        sa.Column("exam_id", sa.String(64), nullable=False),
        sa.Column("exam_version", sa.Integer, nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("res_code", sa.String(40)),
        sa.Column("message", sa.Text),
        sa.Column("deadline", sa.DateTime),
        sa.Column("pushed_at", sa.DateTime),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_moh_push_status_exam", "moh_push_status", ["exam_id"])


def downgrade() -> None:
    op.drop_table("moh_push_status")
    op.drop_table("moh_certificate")
