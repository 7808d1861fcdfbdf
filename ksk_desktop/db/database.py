"""The station database: open and check the encrypted file, hand out read and write sessions."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import sqlcipher3
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from ksk_desktop.db import migrate
from ksk_desktop.db.engine import make_engine
from ksk_desktop.errors import DatabaseTampered, KskError, NotAKskDatabase, SessionClosed, StorageError

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


class Database:
    """One open, keyed station database file."""

    def __init__(self, path: Path, key: bytes) -> None:
        self.path = path
        self._key: bytes | None = key
        if not path.exists():
            raise NotAKskDatabase(f"Không tìm thấy tệp dữ liệu {path}.")
        self.engine = make_engine(path, lambda: self.key)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        with translated_errors():
            self._probe()

    @property
    def key(self) -> bytes:
        if self._key is None:
            raise SessionClosed("Phiên làm việc đã khóa; hãy đăng nhập lại.")
        return self._key

    @property
    def closed(self) -> bool:
        return self._key is None

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
        self._check_open()
        with translated_errors(), self._sessions() as session:
            yield session

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """One user action = one transaction: committed whole (and fsynced) or not at all."""
        self._check_open()
        with translated_errors():
            conn = self.engine.connect().execution_options(ksk_write=True)
            try:
                with Session(bind=conn, expire_on_commit=False) as session:
                    with session.begin():
                        yield session
            finally:
                conn.close()

    def _check_open(self) -> None:
        if self._key is None:
            raise SessionClosed("Phiên làm việc đã khóa; hãy đăng nhập lại.")

    def dispose(self) -> None:
        """Close every connection and forget the key: no new connection can be made after this."""
        self._key = None
        self.engine.dispose()
