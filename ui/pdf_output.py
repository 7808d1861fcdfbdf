"""Saving a printout: ask where (Vietnamese file dialog), write the PDF through a temporary file on the worker
thread (the writers read the database and audit the print), say what went wrong in Vietnamese, and open the
result in the system's PDF viewer (which prints it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QWidget

from ksk_desktop.printing.output import write_atomically
from ui import ops
from ui.file_dialogs import ask_save_path, documents_folder, with_suffix
from ui.messages import show_error


def ask_pdf_path(parent: QWidget, suggested: Path) -> Path | None:
    return ask_save_path(parent, "Lưu tệp PDF để in", suggested, "Tệp PDF (*.pdf)", ".pdf")


# Module-level so tests (and a future "print directly" setting) can replace them.
choose_path: Callable[[QWidget, Path], Path | None] = ask_pdf_path
open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl


def default_folder() -> Path:
    return documents_folder()


def save_pdf(
    parent: QWidget,
    suggested_name: str,
    write: Callable[[Path], None],
    on_saved: Callable[[Path], None] | None = None,
) -> ops.Task | None:
    """Ask where to save *suggested_name*; then, in the background, let ``write(tmp_path)`` produce the PDF, move
    it into place and open it (``on_saved(path)``). Returns the task (its ``result`` is the saved path), or
    ``None`` when cancelled. A failure is shown and leaves no file."""
    dest = choose_path(parent, default_folder() / suggested_name)
    if dest is None:
        return None
    dest = with_suffix(dest, ".pdf")

    def saved(path: Path) -> None:
        open_url(QUrl.fromLocalFile(str(path)))
        if on_saved is not None:
            on_saved(path)

    def failed(exc: BaseException) -> None:
        show_error(parent if shiboken6.isValid(parent) else None, "Không lưu được tệp PDF", exc)

    def work() -> Path:
        write_atomically(dest, write)
        return dest

    return ops.run_in_background(work, saved, failed)
