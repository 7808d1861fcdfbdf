"""Writing a PDF so that nobody ever finds half of one: checks the destination first (with a Vietnamese reason),
renders into a temporary file beside it, then renames it into place."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ksk_desktop.errors import StorageError
from ksk_desktop.fsio import write_via_temp

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


def write_pdf(dest: Path, render: Callable[[Path], int]) -> int:
    """Run ``render(tmp_path) -> pages`` and move the PDF to *dest*; returns the number of pages."""
    return write_atomically(dest, render)
