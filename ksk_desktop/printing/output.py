"""Writing a PDF so that nobody ever finds half of one: checks the destination first (with a Vietnamese reason),
renders it in memory, then writes it private (0600) through a temporary file beside it renamed into place; a
crash during that last write leaves only a temporary file that the station's journal names for removal."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO, TypeVar

from ksk_desktop.errors import StorageError
from ksk_desktop.fsio import write_private, write_via_temp

T = TypeVar("T")


def check_destination(dest: Path) -> Path:
    """*dest* as an absolute path if a PDF can be written there, else :class:`StorageError` saying why."""
    dest = Path(dest).expanduser()
    folder = dest.parent if str(dest.parent) else Path(".")
    if dest.is_dir():
        raise StorageError(f"{dest} là một thư mục: hãy ghi rõ tên tệp PDF cần tạo.")
    if not folder.exists():
        raise StorageError(f"Thư mục {folder} không tồn tại: không thể ghi {dest.name}.")
    if not folder.is_dir():
        raise StorageError(f"{folder} không phải là thư mục: không thể ghi {dest.name}.")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StorageError(f"Không có quyền ghi vào thư mục {folder}: không thể ghi {dest.name}.")
    return dest.absolute()


def write_atomically(dest: Path, write: Callable[[Path], T]) -> T:
    """Run ``write(tmp_path)`` and move the result to *dest* (checked first); returns what *write* returned. On
    any failure nothing is left behind and an existing *dest* is untouched."""
    dest = check_destination(dest)
    result: list[T] = []

    def run(tmp: Path) -> None:
        try:
            result.append(write(tmp))
        except Exception:  # a layout error leaves no temporary file behind either (OSErrors: write_via_temp)
            tmp.unlink(missing_ok=True)
            raise

    write_via_temp(dest, run)
    return result[0]


def write_pdf(dest: Path, render: Callable[[BinaryIO], int], *, journal: Path | None = None) -> int:
    """Run ``render(buffer) -> pages`` in memory and put the PDF at *dest* (checked first); returns the number
    of pages. *journal*: the station's journal of files being written (``StationPaths.pending``)."""
    dest = check_destination(dest)
    buffer = io.BytesIO()
    pages = render(buffer)
    write_private(dest, buffer.getvalue(), journal=journal)
    return pages
