"""Crash-safe small-file writes: write a temporary file, fsync it, rename over the target, fsync the folder."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

from ksk_desktop.errors import StorageError

_DISK_MESSAGES = {
    errno.ENOSPC: "Ổ đĩa đã đầy",
    errno.EROFS: "Ổ đĩa chỉ cho phép đọc",
    errno.EACCES: "Không có quyền ghi vào thư mục dữ liệu",
    errno.EPERM: "Không có quyền ghi vào thư mục dữ liệu",
    errno.EDQUOT: "Đã hết hạn mức dung lượng đĩa",
}


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


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace *path* with *data* so that a crash leaves either the old or the new content, never a mix."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise disk_error(exc, path.name) from exc


def atomic_write_json(path: Path, data: object) -> None:
    atomic_write_bytes(path, json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8"))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_via_temp(dest: Path, write: Callable[[Path], None]) -> Path:
    """Let *write* fill a temporary file beside *dest*, then rename it over *dest*: a reader never sees half a
    file, and a failed write leaves nothing behind."""
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
