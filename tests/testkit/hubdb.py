"""The hub's database for a test: a new SQLite file, or the PostgreSQL test database emptied.

PostgreSQL runs when ``KSK_TEST_PG_URL`` names a database the tests may empty (``.ci/run`` starts one with
``installer/start-test-postgres.sh``); without it the PostgreSQL variants are skipped.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

BACKENDS = ("sqlite", "postgresql")


def pg_url() -> str | None:
    return os.environ.get("KSK_TEST_PG_URL") or None


def empty_hub_db(backend: str, tmp_path: Path) -> str:
    """A SQLAlchemy URL of an empty hub database on *backend*; skips the test when PostgreSQL is not set up."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'hub.db'}"
    url = pg_url()
    if not url:
        pytest.skip("set KSK_TEST_PG_URL to run the hub tests on PostgreSQL")
    from sqlalchemy import create_engine

    import sync.hub.store  # noqa: F401 - every hub table (registry, handovers, doctors' keys) is known to the metadata
    from sync.hub.models import HubBase

    engine = create_engine(url)
    try:
        HubBase.metadata.drop_all(engine)  # a clean hub for each test
    finally:
        engine.dispose()
    return url
