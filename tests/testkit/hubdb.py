"""The hub's database for a test: a new SQLite file, or the PostgreSQL test database emptied.

PostgreSQL runs when ``KSK_TEST_PG_URL`` names a database the tests may empty (``.ci/run`` starts one with
``installer/start-test-postgres.sh``); without it the PostgreSQL variants are skipped.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

BACKENDS = ("sqlite", "postgresql")


def pg_url() -> str | None:
    return os.environ.get("KSK_TEST_PG_URL") or None


_SCHEMA_PREFIX = "ksk_t_"
_stale_dropped = False


def empty_hub_db(backend: str, tmp_path: Path) -> str:
    """A SQLAlchemy URL of an empty hub database on *backend*; skips the test when PostgreSQL is not set up.

    On PostgreSQL each test gets a schema of its own (the URL sets its ``search_path``): a hub process or a
    thread an earlier test left behind writes into that test's schema, never into this one. The schemas of
    earlier runs are dropped the first time."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'hub.db'}"
    url = pg_url()
    if not url:
        pytest.skip("set KSK_TEST_PG_URL to run the hub tests on PostgreSQL")
    from sqlalchemy import create_engine, text

    global _stale_dropped
    schema = _SCHEMA_PREFIX + secrets.token_hex(6)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            if not _stale_dropped:
                stale = conn.scalars(
                    text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"),
                    {"p": _SCHEMA_PREFIX + "%"},
                ).all()
                for name in stale:
                    conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
                _stale_dropped = True
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        engine.dispose()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
