"""The station's clock."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC for DateTime columns (SQLite stores no zone)."""
    return datetime.now(UTC).replace(tzinfo=None)
