"""One station, several devices (docs/multi-device.md §3, §4): the device that runs an exam day's desk (it gives
the day's queue numbers), a version on each follow-up item (its status changes replicate, newest wins), the hub
revision of each person this device last saw (sent back as ``base_revision``: the hub keeps concurrent changes).

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("exam_day", sa.Column("desk_device_id", sa.String(36)))
    op.add_column("followup", sa.Column("version", sa.Integer, nullable=False, server_default="1"))
    op.add_column("person", sa.Column("hub_revision", sa.Integer))


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN in place: a batch copy would drop tables other tables' foreign keys point to.
    op.execute("ALTER TABLE person DROP COLUMN hub_revision")
    op.execute("ALTER TABLE followup DROP COLUMN version")
    op.execute("ALTER TABLE exam_day DROP COLUMN desk_device_id")
