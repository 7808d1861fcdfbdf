"""Bulk inserts straight through the driver: thousands of rows per call without per-row SQLAlchemy work.

Values are stored exactly as SQLAlchemy's SQLite types store them (ISO dates, ``YYYY-MM-DD HH:MM:SS.ffffff``
datetimes), so the ORM reads these rows back like any other.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import Boolean, Date, DateTime, FromClause, Table
from sqlalchemy.orm import Session

from ksk_desktop.db.engine import driver


@lru_cache(maxsize=16)  # a batch shares one timestamp
def _datetime(value: datetime | None) -> str | None:
    return value.strftime("%Y-%m-%d %H:%M:%S.%f") if value is not None else None


def _date(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _bool(value: bool | None) -> int | None:
    return int(value) if value is not None else None


def _converter(table: Table, column: str):  # noqa: ANN202
    kind = table.c[column].type
    if isinstance(kind, DateTime):
        return _datetime
    if isinstance(kind, Date):
        return _date
    if isinstance(kind, Boolean):
        return _bool
    return None


def insert_many(session: Session, table: FromClause, rows: list[dict]) -> None:
    """INSERT *rows* into *table* (a model's ``__table__``) inside the session's current transaction."""
    if not rows:
        return
    assert isinstance(table, Table)
    columns = list(rows[0])
    sql = f'INSERT INTO "{table.name}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'
    converters = [(i, conv) for i, c in enumerate(columns) if (conv := _converter(table, c)) is not None]
    values = []
    for r in rows:
        row = [r[c] for c in columns]
        for i, conv in converters:  # only date, datetime and boolean columns need converting
            row[i] = conv(row[i])
        values.append(row)
    cursor = driver(session.connection().connection).cursor()
    try:
        cursor.executemany(sql, values)
    finally:
        cursor.close()
