"""Reports signed by the head: a signing key records the role it was made for (a doctor's signs exams, the
head's signs reports; keys made before this revision are all doctors'), and a submitted report keeps its
signature and the key that made it. Reports submitted before this revision were attested by the head's password
only: their rows keep no signature (shown as not signed), and stay frozen as they were.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("exam_signing_key", sa.Column("role", sa.String(20)))
    # ADD COLUMN is no UPDATE: the triggers keeping submitted reports frozen stay as they are.
    op.add_column("report_submission", sa.Column("signer_key_id", sa.String(64)))
    op.add_column("report_submission", sa.Column("signature", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("report_submission") as batch:
        batch.drop_column("signature")
        batch.drop_column("signer_key_id")
    with op.batch_alter_table("exam_signing_key") as batch:
        batch.drop_column("role")
