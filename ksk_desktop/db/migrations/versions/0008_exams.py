"""Exams: versions of each exam (a draft, then signed and immutable; amendments are new versions), the doctors'
Ed25519 signing keys, referrals and follow-up items.

Two triggers make a signed version immutable in the database itself: UPDATE and DELETE of a row whose status is
``signed`` abort. The one change let through is ``person_id`` alone, which a person merge rewrites everywhere.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Every column but person_id: a signed row may not change any of them.
_FROZEN = (
    "exam_id",
    "version",
    "appointment_id",
    "form",
    "form_version",
    "exam_date",
    "status",
    "edit_seq",
    "section_versions",
    "health_class",
    "document",
    "amends_version",
    "amendment_reason",
    "signed_by",
    "signed_at",
    "signer_key_id",
    "signature",
    "created_by",
    "created_at",
    "updated_by",
    "updated_at",
)


def upgrade() -> None:
    op.create_table(
        "exam_version",
        sa.Column("exam_id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("appointment_id", sa.String(36)),
        sa.Column("form", sa.String(20), nullable=False),
        sa.Column("form_version", sa.Integer, nullable=False),
        sa.Column("exam_date", sa.Date, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("edit_seq", sa.Integer, nullable=False),
        sa.Column("section_versions", sa.Text, nullable=False),
        sa.Column("health_class", sa.Integer),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("amends_version", sa.Integer),
        sa.Column("amendment_reason", sa.Text),
        sa.Column("signed_by", sa.String(40)),
        sa.Column("signed_at", sa.String(40)),
        sa.Column("signer_key_id", sa.String(64)),
        sa.Column("signature", sa.Text),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_by", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_exam_version_person", "exam_version", ["person_id", "exam_date"])
    op.create_index("ix_exam_version_date", "exam_version", ["exam_date", "status"])
    op.create_index("ix_exam_version_appointment", "exam_version", ["appointment_id"])
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in _FROZEN)
    op.execute(f"""CREATE TRIGGER exam_version_signed_no_update BEFORE UPDATE ON exam_version
        WHEN OLD.status = 'signed' AND ({changed})
        BEGIN SELECT RAISE(ABORT, 'exam_version: signed exam versions are immutable'); END""")
    op.execute("""CREATE TRIGGER exam_version_signed_no_delete BEFORE DELETE ON exam_version
        WHEN OLD.status = 'signed'
        BEGIN SELECT RAISE(ABORT, 'exam_version: signed exam versions cannot be deleted'); END""")
    op.create_table(
        "exam_signing_key",
        sa.Column("key_id", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(40), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("private_key", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_index("ix_exam_signing_key_user", "exam_signing_key", ["username", "active"])
    op.create_table(
        "referral",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("exam_id", sa.String(36), nullable=False),
        sa.Column("exam_version", sa.Integer, nullable=False),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("destination", sa.String(300), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("urgency", sa.String(10), nullable=False),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_referral_exam", "referral", ["exam_id"])
    op.create_index("ix_referral_person", "referral", ["person_id"])
    op.create_table(
        "followup",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("exam_id", sa.String(36), nullable=False),
        sa.Column("exam_version", sa.Integer, nullable=False),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("done_by", sa.String(40)),
        sa.Column("done_at", sa.DateTime),
    )
    op.create_index("ix_followup_due", "followup", ["status", "due_date"])
    op.create_index("ix_followup_person", "followup", ["person_id"])


def downgrade() -> None:
    op.drop_table("followup")
    op.drop_table("referral")
    op.drop_table("exam_signing_key")
    op.execute("DROP TRIGGER IF EXISTS exam_version_signed_no_delete")
    op.execute("DROP TRIGGER IF EXISTS exam_version_signed_no_update")
    op.drop_table("exam_version")
