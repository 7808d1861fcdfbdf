"""Reports the city plan requires: the head's settings per year and group (unit price for the cost estimate,
the funding source assumed when an exam does not name one), and the reports submitted to the hub — frozen
figures, never changed or deleted (database triggers refuse it); a correction is a new version with a reason.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "report_group_setting",
        sa.Column("year", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("grp", sa.String(2), primary_key=True),
        sa.Column("unit_price", sa.Integer),
        sa.Column("funding", sa.String(20)),
        sa.Column("set_by", sa.String(40), nullable=False),
        sa.Column("set_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "report_submission",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("figures", sa.Text, nullable=False),
        sa.Column("data_version", sa.Text, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text),
        sa.Column("signed_by", sa.String(40), nullable=False),
        sa.Column("signer_name", sa.String(200), nullable=False),
        sa.Column("signed_at", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("kind", "period", "version", name="uq_report_submission_version"),
    )
    # The monthly report reads the year's signed exams with their payer from this index alone: the exam documents
    # (several KB each, 40,000 on a large ward) stay unread. The expression must match reports.figures.PAYER.
    op.execute(
        "CREATE INDEX ix_exam_version_report ON exam_version "
        "(status, exam_date, person_id, exam_id, version, json_extract(document, '$.values.\"admin.payer\"'))"
    )
    op.execute("""CREATE TRIGGER report_submission_no_update BEFORE UPDATE ON report_submission
        BEGIN SELECT RAISE(ABORT, 'report_submission: a submitted report is frozen'); END""")
    op.execute("""CREATE TRIGGER report_submission_no_delete BEFORE DELETE ON report_submission
        BEGIN SELECT RAISE(ABORT, 'report_submission: a submitted report cannot be deleted'); END""")


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_exam_version_report")
    op.execute("DROP TRIGGER IF EXISTS report_submission_no_delete")
    op.execute("DROP TRIGGER IF EXISTS report_submission_no_update")
    op.drop_table("report_submission")
    op.drop_table("report_group_setting")
