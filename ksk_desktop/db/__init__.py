"""Storage: the SQLCipher database, its schema (SQLAlchemy models) and Alembic migrations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import CursorResult, Result


def rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE or DELETE changed (``Session.execute`` is typed as returning a plain Result). Here, not
    in ``engine``, so that the hub (``sync.hub``) can use it without loading SQLCipher."""
    assert isinstance(result, CursorResult)
    return result.rowcount
