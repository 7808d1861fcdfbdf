"""Where a PDF goes: a file, written so that nobody ever finds half of one (the destination checked first, with a
Vietnamese reason; rendered in memory, then written private (0600) through a temporary file beside it renamed
into place — a crash during that last write leaves only a temporary file that the station's journal names for
removal), or memory — a :class:`PdfDocument` for the app's print preview and printers, so that a slip with a
person's name and health data never touches the disk unless someone saves it."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

from ksk_desktop.errors import StorageError
from ksk_desktop.fsio import write_private, write_via_temp

T = TypeVar("T")

#: Where a renderer writes: a file (written atomically) or an open binary stream (memory).
PdfTarget = Path | BinaryIO


@dataclass(frozen=True)
class PdfDocument:
    """A PDF made in memory: its bytes, its pages, how many people it lists, and a job name for the printer's
    queue that names no one (the queue of a shared printer can be seen by others, and Windows may log it)."""

    data: bytes
    pages: int
    rows: int
    job_name: str


def to_memory(render: Callable[[BinaryIO], T]) -> tuple[bytes, T]:
    """Run ``render(stream)`` into memory; returns the bytes written and what *render* returned."""
    stream = io.BytesIO()
    result = render(stream)
    return stream.getvalue(), result


def reportlab_target(target: PdfTarget) -> str | BinaryIO:
    """What reportlab's canvas takes for *target*: a file name, or the stream itself."""
    return str(target) if isinstance(target, Path) else target


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


def write_pdf(dest: PdfTarget, render: Callable[[BinaryIO], int], *, journal: Path | None = None) -> int:
    """Run ``render(stream) -> pages``; returns the number of pages. A path *dest* is checked first, the PDF made
    in memory and then written private; a stream *dest* is written straight. *journal*: the station's journal of
    files being written (``StationPaths.pending``)."""
    if not isinstance(dest, Path):
        return render(dest)
    dest = check_destination(dest)
    buffer = io.BytesIO()
    pages = render(buffer)
    write_private(dest, buffer.getvalue(), journal=journal)
    return pages


def save_document(document: PdfDocument, dest: Path, *, journal: Path | None = None) -> Path:
    """Save a PDF made in memory (the preview's "Lưu PDF") at *dest*, checked first and written private, like
    every PDF the station writes; returns the absolute path."""
    dest = check_destination(dest)
    write_private(dest, document.data, journal=journal)
    return dest
