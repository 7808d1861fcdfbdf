"""Search index over persons: folded names and identifying numbers in an FTS5 table kept by triggers.

The index is contentless (it stores only tokens and the person's rowid) and uses
``unicode61 remove_diacritics 2``; names are folded in Python before they reach it (``đ`` → ``d``), so
``nguyen van duc`` finds ``Nguyễn Văn Đức``. The ``ids`` column holds the personal ID, its last 4, 5 and 6
digits, the old ID, the phone number and the insurance card number, each a whole token.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

IDS = (
    "trim(coalesce({r}.personal_id, '') || ' ' || coalesce(substr({r}.personal_id, -4), '') || ' ' || "
    "coalesce(substr({r}.personal_id, -5), '') || ' ' || coalesce(substr({r}.personal_id, -6), '') || ' ' || "
    "coalesce({r}.old_id, '') || ' ' || coalesce({r}.phone, '') || ' ' || coalesce({r}.insurance_no, ''))"
)


def upgrade() -> None:
    op.execute(
        # prefix indexes make the first letters typed ("ng", "tr th h") as fast as whole words
        "CREATE VIRTUAL TABLE person_fts USING fts5(name, ids, content='', contentless_delete=1, "
        "prefix='1 2 3', tokenize=\"unicode61 remove_diacritics 2\")"
    )
    op.execute(
        f"INSERT INTO person_fts(rowid, name, ids) SELECT rowid, name_fold, {IDS.format(r='person')} FROM person"
    )
    op.execute(
        "CREATE TRIGGER person_fts_insert AFTER INSERT ON person BEGIN "
        f"INSERT INTO person_fts(rowid, name, ids) VALUES (new.rowid, new.name_fold, {IDS.format(r='new')}); END"
    )
    op.execute(
        "CREATE TRIGGER person_fts_delete AFTER DELETE ON person BEGIN "
        "DELETE FROM person_fts WHERE rowid = old.rowid; END"
    )
    op.execute(
        "CREATE TRIGGER person_fts_update AFTER UPDATE OF name_fold, personal_id, old_id, phone, insurance_no "
        "ON person BEGIN DELETE FROM person_fts WHERE rowid = old.rowid; "
        f"INSERT INTO person_fts(rowid, name, ids) VALUES (new.rowid, new.name_fold, {IDS.format(r='new')}); END"
    )


def downgrade() -> None:
    for trigger in ("person_fts_insert", "person_fts_delete", "person_fts_update"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS person_fts")
