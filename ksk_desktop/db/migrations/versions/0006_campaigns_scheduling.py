"""Campaigns, sites, exam days with their slots, and appointments.

Slot start/end are local wall-clock times (Asia/Ho_Chi_Minh) on the exam date, as ``HH:MM`` text. Two partial
unique indexes hold the rules the planner and the desk rely on: one active appointment per person and campaign,
one queue number per exam day.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ACTIVE = "status IN ('scheduled', 'notified', 'checked_in', 'in_exam', 'examined')"


def upgrade() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("target_groups", sa.Text, nullable=False),
        sa.Column("exam_forms", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_campaign_year", "campaign", ["year"])
    op.create_table(
        "site",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("address", sa.String(400)),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("mobile", sa.Boolean, nullable=False),
        sa.Column("capacity_per_hour", sa.Integer),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_table(
        "exam_day",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("site_id", sa.String(36), sa.ForeignKey("site.id"), nullable=False),
        sa.Column("exam_date", sa.Date, nullable=False),
        sa.Column("opening_hours", sa.String(100), nullable=False),
        sa.Column("slot_minutes", sa.Integer, nullable=False),
        sa.Column("capacity_per_slot", sa.Integer, nullable=False),
        sa.Column("team_note", sa.String(400)),
        sa.Column("locked", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ux_exam_day_site_date", "exam_day", ["site_id", "exam_date"], unique=True)
    op.create_index("ix_exam_day_date", "exam_day", ["exam_date"])
    op.create_table(
        "slot",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("day_id", sa.String(36), sa.ForeignKey("exam_day.id", ondelete="CASCADE"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("start_time", sa.String(5), nullable=False),
        sa.Column("end_time", sa.String(5), nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
    )
    op.create_index("ux_slot_day_seq", "slot", ["day_id", "seq"], unique=True)
    op.create_table(
        "appointment",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("person_id", sa.String(36), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaign.id"), nullable=False),
        sa.Column("day_id", sa.String(36), sa.ForeignKey("exam_day.id"), nullable=False),
        sa.Column("slot_id", sa.String(36), sa.ForeignKey("slot.id"), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("queue_no", sa.Integer),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("locked", sa.Boolean, nullable=False),
        sa.Column("walk_in", sa.Boolean, nullable=False),
        sa.Column("rescheduled_from", sa.String(36), sa.ForeignKey("appointment.id")),
        sa.Column("note", sa.String(400)),
        sa.Column("checked_in_at", sa.DateTime),
        sa.Column("created_by", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_appointment_day", "appointment", ["day_id", "slot_id", "status"])
    op.create_index("ix_appointment_person", "appointment", ["person_id", "campaign_id"])
    op.create_index("ix_appointment_campaign", "appointment", ["campaign_id", "status"])
    op.create_index(
        "ux_appointment_active",
        "appointment",
        ["campaign_id", "person_id"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
    )
    op.create_index(
        "ux_appointment_queue",
        "appointment",
        ["day_id", "queue_no"],
        unique=True,
        sqlite_where=sa.text("queue_no IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_table("appointment")
    op.drop_table("slot")
    op.drop_table("exam_day")
    op.drop_table("site")
    op.drop_table("campaign")
