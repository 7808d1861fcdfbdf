"""Alembic migrations applied at start-up: upgrade an older file, refuse a newer one."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from ksk_desktop.errors import DatabaseTooNew


def alembic_config() -> Config:
    cfg = Config()  # no alembic.ini at run time; the scripts ship inside the package
    cfg.set_main_option("script_location", "ksk_desktop.db:migrations")
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None  # the migration scripts ship with the package
    return head


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def check_not_newer(conn: Connection) -> str | None:
    """Return the file's revision; raise DatabaseTooNew if this app does not know it."""
    current = current_revision(conn)
    if current is not None:
        script = ScriptDirectory.from_config(alembic_config())
        try:
            script.get_revision(current)
        except Exception as exc:  # alembic raises several types for an unknown revision
            raise DatabaseTooNew(
                f"Cơ sở dữ liệu thuộc phiên bản lược đồ {current}, mới hơn phần mềm này "
                f"(phiên bản {head_revision()}). Hãy cập nhật KSK Desktop; tệp dữ liệu không bị thay đổi."
            ) from exc
    return current


def upgrade(engine: Engine, target: str = "head") -> tuple[str | None, str]:
    """Upgrade the schema to *target* in one transaction. Returns (before, after) revisions."""
    cfg = alembic_config()
    with engine.connect().execution_options(ksk_write=True) as conn:
        with conn.begin():
            before = check_not_newer(conn)
            wanted = head_revision() if target == "head" else target
            if before != wanted:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, target)
        after = current_revision(conn)
    return before, after or ""
