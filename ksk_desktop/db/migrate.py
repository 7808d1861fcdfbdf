"""Alembic migrations applied at start-up: upgrade an older file, refuse a newer one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection, Engine

from ksk_desktop.errors import DatabaseTooNew

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported when a database is opened, not when this module is: the window shows the login dialog
# without it (~0.7 s less to start; bench/bench_bundle_start.py).


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()  # no alembic.ini at run time; the scripts ship inside the package
    cfg.set_main_option("script_location", "ksk_desktop.db:migrations")
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None  # the migration scripts ship with the package
    return head


def current_revision(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def check_not_newer(conn: Connection) -> str | None:
    """Return the file's revision; raise DatabaseTooNew if this app does not know it."""
    from alembic.script import ScriptDirectory

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
    from alembic import command

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
