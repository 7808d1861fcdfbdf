"""The station database: open and check the encrypted file, hand out read and write sessions.

Units of work and closing: every ``read()``/``write()`` is counted while it runs. ``close()`` first refuses
new units, then waits for the running ones to end, and only then closes the connections and forgets the
key — so nothing that began before a lock can commit after the session forgot its keys.

One writer per file in the process: ``write()`` takes a per-file writer lock before ``BEGIN IMMEDIATE``.
Threads of the same process (the GUI's worker, the sync thread) then queue for each other in order instead
of racing for SQLite's lock; SQLite's busy timeout only matters against another process (the ``ksk``
command line, a second copy of the app), and is short: a busy file becomes :class:`DatabaseBusy` in a few
seconds rather than a long freeze.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlcipher3
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from ksk_desktop import thread_guard
from ksk_desktop.db import migrate
from ksk_desktop.db.engine import make_engine
from ksk_desktop.errors import (
    DatabaseBusy,
    DatabaseTampered,
    KskError,
    NotAKskDatabase,
    SessionClosed,
    StorageError,
)

CLOSED = "Phiên làm việc đã khóa; hãy đăng nhập lại."

TAMPERED = (
    "Tệp dữ liệu đã bị thay đổi hoặc hư hỏng (kiểm tra toàn vẹn mã hóa thất bại). "
    "Phần mềm không ghi đè lên tệp; hãy khôi phục từ bản sao lưu."
)
NOT_OURS = (
    "Tệp dữ liệu không mở được: tệp bị hỏng hoặc không phải cơ sở dữ liệu của KSK Desktop. "
    "Phần mềm không ghi đè lên tệp; hãy khôi phục từ bản sao lưu."
)


def storage_error_from(exc: BaseException) -> KskError | None:
    """Map an SQLite/SQLCipher error message to a clear, typed error (or None if unknown)."""
    msg = str(exc).lower()
    if "database is locked" in msg or "database is busy" in msg or "database table is locked" in msg:
        return DatabaseBusy()
    if "readonly" in msg or "read-only" in msg:
        return StorageError(
            "Ổ đĩa hoặc tệp dữ liệu chỉ cho phép đọc: thay đổi chưa được lưu, dữ liệu cũ vẫn nguyên vẹn."
        )
    if "disk is full" in msg or "database or disk is full" in msg:
        return StorageError("Ổ đĩa đã đầy: thay đổi chưa được lưu, dữ liệu cũ vẫn nguyên vẹn.")
    if "disk i/o error" in msg or "unable to open database" in msg:
        return StorageError("Lỗi đọc/ghi đĩa: thay đổi chưa được lưu, dữ liệu cũ vẫn nguyên vẹn.")
    if "malformed" in msg or "hmac" in msg:
        return DatabaseTampered(TAMPERED)
    if "file is not a database" in msg or "not a database" in msg:
        return NotAKskDatabase(NOT_OURS)
    return None


@contextlib.contextmanager
def translated_errors() -> Iterator[None]:
    """Turn database-level failures into typed KSK errors with Vietnamese messages."""
    try:
        yield
    except (sa_exc.OperationalError, sa_exc.DatabaseError, sqlcipher3.DatabaseError) as exc:
        mapped = storage_error_from(getattr(exc, "orig", None) or exc)
        if mapped is None:
            raise
        raise mapped from exc


class WriterLock:
    """The one-writer-at-a-time lock of one database file, shared by every ``Database`` on it in the process.

    Re-entrant for the thread that holds it (as before, a nested write on the same thread is SQLite's
    business). A waiter gives up when *abandon()* becomes true; ``wake()`` makes waiters look again.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._owner: int | None = None
        self._depth = 0

    def acquire(self, abandon: Callable[[], bool]) -> None:
        me = threading.get_ident()
        with self._cond:
            while self._owner not in (None, me):
                if abandon():
                    raise SessionClosed(CLOSED)
                self._cond.wait()
            self._owner = me
            self._depth += 1

    def release(self) -> None:
        with self._cond:
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._cond.notify_all()

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()


_writer_locks: dict[str, WriterLock] = {}
_writer_locks_guard = threading.Lock()


def writer_lock(path: Path) -> WriterLock:
    """The process-wide writer lock of the database file at *path*."""
    name = str(path.resolve())
    with _writer_locks_guard:
        return _writer_locks.setdefault(name, WriterLock())


class Database:
    """One open, keyed station database file."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self._key: bytes | None = key
        self._gate = threading.Condition()
        self._active = 0  # units of work running now
        self._closing = False
        self._mine = threading.local()  # units of work running on the current thread
        if not path.exists():
            raise NotAKskDatabase(f"Không tìm thấy tệp dữ liệu {path}.")
        self.engine = make_engine(path, lambda: self.key)
        self._writer = writer_lock(path)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        with translated_errors():
            self._probe()

    @property
    def key(self) -> bytes:
        if self._key is None:
            raise SessionClosed(CLOSED)
        return self._key

    @property
    def closed(self) -> bool:
        return self._key is None

    @property
    def closing(self) -> bool:
        """True from the moment ``close()`` begins: no new unit of work is accepted."""
        return self._closing or self._key is None

    @classmethod
    def create(cls, path: Path, key: bytes) -> Database:
        """Create a new empty encrypted file (the caller migrates it)."""
        if path.exists():
            raise NotAKskDatabase(f"Tệp {path} đã tồn tại; không ghi đè.")
        path.touch(mode=0o600)
        return cls(path, key)

    def _probe(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM sqlite_master")).scalar_one()

    def migrate(self) -> tuple[str | None, str]:
        with translated_errors():
            return migrate.upgrade(self.engine)

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only unit of work (a consistent snapshot in WAL mode)."""
        # Closing (not rolling back) ends the transaction without expiring the objects read.
        with self.unit_of_work(), translated_errors(), self._sessions() as session:
            yield session

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """One user action = one transaction: committed whole (and fsynced) or not at all."""
        with self.unit_of_work():
            self._writer.acquire(lambda: self._closing)
            try:
                with translated_errors():
                    conn = self.engine.connect().execution_options(ksk_write=True)
                    try:
                        with Session(bind=conn, expire_on_commit=False) as session:
                            with session.begin():
                                yield session
                    finally:
                        conn.close()
            finally:
                self._writer.release()

    @contextlib.contextmanager
    def unit_of_work(self) -> Iterator[None]:
        """Count a piece of work on the open database; refused once ``close()`` has begun."""
        thread_guard.check()
        with self._gate:
            if self._closing or self._key is None:
                raise SessionClosed(CLOSED)
            self._active += 1
        self._mine.depth = getattr(self._mine, "depth", 0) + 1
        try:
            yield
        finally:
            self._mine.depth -= 1
            with self._gate:
                self._active -= 1
                self._gate.notify_all()

    def close(self) -> None:
        """Refuse new units of work, wait for the running ones to end, then close every connection and
        forget the key. Called from inside a unit of work it would wait for itself: that is a bug."""
        if getattr(self._mine, "depth", 0):
            raise RuntimeError("Database.close() called inside one of its own units of work")
        with self._gate:
            self._closing = True
        self._writer.wake()  # a write still waiting for the writer lock gives up
        with self._gate:
            self._gate.wait_for(lambda: self._active == 0)
        self.dispose()

    def dispose(self) -> None:
        """Close every connection and forget the key at once: no new connection can be made after this.

        For code that owns the database alone (opening, backups); a shared session uses ``close()``."""
        with self._gate:
            self._closing = True
            self._key = None
        self.engine.dispose()
