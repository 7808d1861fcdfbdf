"""Opening the SQLCipher database through SQLAlchemy with the settings that keep data safe.

Every new connection is keyed with the raw 256-bit key and configured for WAL with ``synchronous=FULL``
(with NORMAL a power cut loses acknowledged commits), in-memory temp storage (file temp storage makes
SQLCipher write plaintext temp files), foreign keys and secure delete. The settings are read back when a
connection is made and again every time one is taken from the pool: if any is wrong the app refuses to go
on rather than run unsafely.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import PoolProxiedConnection, QueuePool

from ksk_desktop import thread_guard
from ksk_desktop.errors import UnsafeDatabaseSettings

# How long a statement waits for another process's write lock before giving up with DatabaseBusy. Writers of
# this process queue on the file's writer lock (database.py) and never wait here for each other.
BUSY_TIMEOUT_MS = 2_500

_SETUP = (
    "PRAGMA cipher_log_level = NONE",  # codec errors become our own messages, not stderr noise
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA temp_store = MEMORY",
    "PRAGMA foreign_keys = ON",
    "PRAGMA secure_delete = ON",
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA cache_size = -65536",  # 64 MiB: every page read from disk costs a decryption
)


def _key_pragma(key: bytes) -> str:
    if len(key) != 32:
        raise ValueError("database key must be 32 bytes")
    # A raw key (x'…') skips SQLCipher's per-connection PBKDF2; only hex digits reach the SQL text.
    return f"PRAGMA key = \"x'{key.hex()}'\""


def raw_connect(path: Path, key: bytes) -> sqlcipher3.Connection:
    """Open a keyed DB-API connection in autocommit mode (transactions are begun explicitly)."""
    conn = sqlcipher3.connect(
        str(path), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
    )
    conn.execute(_key_pragma(key))
    return conn


def configure_connection(conn: sqlcipher3.Connection) -> None:
    """Apply the safety settings to a keyed connection, then check them."""
    for statement in _SETUP:
        conn.execute(statement)
    verify_connection_settings(conn)


def driver(conn: PoolProxiedConnection) -> sqlcipher3.Connection:
    """The sqlcipher3 connection inside a pooled one (``session.connection().connection`` or
    ``engine.raw_connection()``), for work done straight through the driver."""
    found = conn.driver_connection
    assert found is not None, "a pooled connection in use always holds a driver connection"
    return found


def _one(conn: sqlcipher3.Connection, pragma: str) -> Any:
    row = conn.execute(f"PRAGMA {pragma}").fetchone()
    return row[0] if row else None


def verify_connection_settings(conn: sqlcipher3.Connection) -> None:
    """Raise UnsafeDatabaseSettings unless the connection is durable and keeps temp data in memory."""
    problems = []
    if str(_one(conn, "journal_mode")).lower() != "wal":
        problems.append("journal_mode phải là WAL")
    if int(_one(conn, "synchronous") or 0) < 2:
        problems.append("synchronous phải là FULL (NORMAL có thể mất dữ liệu khi mất điện)")
    if int(_one(conn, "temp_store") or 0) != 2:
        problems.append("temp_store phải là MEMORY (FILE ghi tệp tạm không mã hóa)")
    if int(_one(conn, "foreign_keys") or 0) != 1:
        problems.append("foreign_keys phải bật")
    if str(_one(conn, "cipher_use_hmac")) != "1":
        problems.append("SQLCipher phải bật HMAC")
    options = {row[0] for row in conn.execute("PRAGMA compile_options")}
    if not ({"TEMP_STORE=2", "TEMP_STORE=3"} & options):
        problems.append("thư viện SQLCipher phải được biên dịch với TEMP_STORE=2 hoặc 3")
    if not _one(conn, "cipher_version"):
        problems.append("thư viện không phải SQLCipher")
    if problems:
        raise UnsafeDatabaseSettings(
            "Cấu hình cơ sở dữ liệu không an toàn, phần mềm dừng lại: " + "; ".join(problems) + "."
        )


def make_engine(path: Path, key: Callable[[], bytes], pool_size: int = 4) -> Engine:
    """An SQLAlchemy engine over the encrypted file at *path*; *key* is asked for at each new connection."""

    def creator() -> sqlcipher3.Connection:
        conn = raw_connect(path, key())
        configure_connection(conn)
        return conn

    engine = create_engine(
        "sqlite://",
        module=sqlcipher3.dbapi2,
        creator=creator,
        poolclass=QueuePool,
        pool_size=pool_size,
        max_overflow=4,
        hide_parameters=True,  # never put personal data into error messages or logs
    )

    @event.listens_for(engine, "checkout")
    def _recheck(dbapi_conn, _record, _proxy) -> None:  # noqa: ANN001 - SQLAlchemy event signature
        thread_guard.check()  # also catches work that does not go through Database.read()/write()
        verify_connection_settings(dbapi_conn)

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:  # noqa: ANN001
        # IMMEDIATE takes the write lock up front, so two writers never deadlock half-way through.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("ksk_write") else "BEGIN")

    return engine
