"""Crash-safe file writes: write a temporary file, fsync it, rename over the target, fsync the folder; files
created private (0600); a lock across processes; and the journal that lets a crashed export be cleaned up.

Files holding personal data (exports, reports, PDFs) are rendered in memory and only touch the disk for the
final write. The temporary file beside the destination exists only for that write; while it does, an entry in
the station's journal (``StationPaths.pending``) names it and is locked by the writing process, so that the
next start of the station can remove a temporary file a crash left behind (see :func:`sweep_pending`).

On Windows the mode bits are not used: a new file gets the access rights of its folder (the user's own
folders, and the data folder under ``%LOCALAPPDATA%``, are private to the user by default).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ksk_desktop.errors import StorageError

_DISK_MESSAGES = {
    errno.ENOSPC: "Ổ đĩa đã đầy",
    errno.EROFS: "Ổ đĩa chỉ cho phép đọc",
    errno.EACCES: "Không có quyền ghi vào thư mục dữ liệu",
    errno.EPERM: "Không có quyền ghi vào thư mục dữ liệu",
    errno.EDQUOT: "Đã hết hạn mức dung lượng đĩa",
}
PRIVATE = 0o600
_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
LOCK_WAIT_S = 60.0


def disk_error(exc: OSError, what: str) -> StorageError:
    """Turn an OSError into a StorageError with a Vietnamese reason."""
    reason = _DISK_MESSAGES.get(exc.errno or 0, f"Lỗi ghi đĩa ({exc.strerror or exc})")
    return StorageError(f"{reason}: không thể ghi {what}. Dữ liệu cũ vẫn nguyên vẹn.")


def fsync_dir(path: Path) -> None:
    if os.name == "nt":  # directories cannot be opened for fsync on Windows; NTFS journals the rename
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def open_private(path: Path, *, exclusive: bool = False) -> int:
    """A file descriptor for writing *path*, created (or truncated) with mode 0600 whatever the umask."""
    flags = os.O_WRONLY | os.O_CREAT | _O_BINARY | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE)
    if os.name != "nt":
        try:
            os.fchmod(fd, PRIVATE)  # an existing file keeps its mode through O_TRUNC
        except OSError:
            os.close(fd)
            raise
    return fd


def _write_fd(fd: int, data: bytes) -> None:
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def atomic_write_bytes(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace *path* with *data* so that a crash leaves either the old or the new content, never a mix.
    ``durable=False`` skips syncing the folder: after a power cut the old content may come back (for a write
    whose loss is harmless), but never a damaged file."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        _write_fd(open_private(tmp), data)
        os.replace(tmp, path)
        if durable:
            fsync_dir(path.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise disk_error(exc, path.name) from exc


def atomic_write_json(path: Path, data: object, *, durable: bool = True) -> None:
    atomic_write_bytes(
        path, json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8"), durable=durable
    )


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# -- a lock across processes ------------------------------------------------------------------------
def _try_lock(fd: int) -> bool:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _lock(fd: int, what: str) -> None:
    if sys.platform != "win32":
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_EX)  # the kernel queues the waiters; released if the holder dies
        return
    deadline = time.monotonic() + LOCK_WAIT_S
    delay = 0.005
    while not _try_lock(fd):  # msvcrt has no blocking lock without its own 10-second give-up
        if time.monotonic() > deadline:
            raise StorageError(f"Tệp {what} đang bị một chương trình khác giữ quá lâu; hãy thử lại.")
        time.sleep(delay)
        delay = min(delay * 2, 0.1)


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        with contextlib.suppress(OSError):
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold the exclusive lock of *path* (a lock file, created if missing) for the block. Every process that
    changes the guarded file takes it; the system releases it if the holder dies. ``fcntl.flock`` on POSIX,
    ``msvcrt.locking`` on Windows."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | _O_BINARY, PRIVATE)
    except OSError as exc:
        raise disk_error(exc, path.name) from exc
    try:
        _lock(fd, path.name)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


# -- files written outside the data folder ---------------------------------------------------------
_PENDING_SUFFIX = ".pending"


def _temp_name(dest: Path) -> Path:
    return dest.with_name(f".{dest.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")


def _is_temp_name(path: Path) -> bool:
    """Only names this module gives its temporary files are ever removed by a sweep."""
    return path.name.startswith(".") and ".tmp-" in path.name


@contextlib.contextmanager
def _journalled(journal: Path | None, tmp: Path) -> Iterator[None]:
    """While the block runs, a locked entry in *journal* names *tmp*: a crash leaves it for the next sweep."""
    if journal is None:
        yield
        return
    journal.mkdir(parents=True, exist_ok=True, mode=0o700)
    entry = journal / f"{secrets.token_hex(16)}{_PENDING_SUFFIX}"
    fd = os.open(entry, os.O_RDWR | os.O_CREAT | os.O_EXCL | _O_BINARY, PRIVATE)
    try:
        _lock(fd, entry.name)
        os.write(fd, str(tmp.absolute()).encode("utf-8"))
        os.fsync(fd)
        fsync_dir(journal)
        yield
    finally:
        os.close(fd)  # releases the lock; a sweeper that takes it now finds the file already gone
        with contextlib.suppress(OSError):
            entry.unlink()


def write_private(dest: Path, data: bytes, *, journal: Path | None = None) -> Path:
    """Put *data* (rendered in memory) at *dest*, mode 0600, through a temporary file beside it that is renamed
    into place: a reader never sees half a file, an existing *dest* survives a failure, and a crash leaves at
    most the temporary file, named in *journal* for :func:`sweep_pending`."""
    dest = Path(dest)
    tmp = _temp_name(dest)
    try:
        with _journalled(journal, tmp):
            try:
                _write_fd(open_private(tmp, exclusive=True), data)
                os.replace(tmp, dest)
            except BaseException:
                with contextlib.suppress(OSError):
                    tmp.unlink()
                raise
        fsync_dir(dest.parent)
    except OSError as exc:
        raise disk_error(exc, dest.name) from exc
    return dest


def sweep_pending(journal: Path) -> int:
    """Remove the temporary files that crashed writes left behind (their journal entries are not locked by a
    live process); returns how many were removed. Run when the station opens."""
    removed = 0
    try:
        entries = sorted(journal.glob(f"*{_PENDING_SUFFIX}"))
    except OSError:
        return 0
    for entry in entries:
        try:
            fd = os.open(entry, os.O_RDWR | _O_BINARY)
        except OSError:
            continue
        try:
            if not _try_lock(fd):
                continue  # a write in progress in another process
            try:
                target = Path(os.read(fd, 65536).decode("utf-8", "replace"))
                if target.is_absolute() and _is_temp_name(target):
                    with contextlib.suppress(FileNotFoundError):
                        target.unlink()
                        removed += 1
            finally:
                _unlock(fd)
        except OSError:
            continue
        finally:
            os.close(fd)
        with contextlib.suppress(OSError):
            entry.unlink()
    return removed


def write_via_temp(dest: Path, write: Callable[[Path], None]) -> Path:
    """Let *write* fill a temporary file beside *dest*, then rename it over *dest*: a reader never sees half a
    file, and a failed write leaves nothing behind. (Personal data: prefer :func:`write_private`, which
    renders in memory first.)"""
    dest = Path(dest)
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, dest)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise disk_error(exc, dest.name) from exc
    return dest
