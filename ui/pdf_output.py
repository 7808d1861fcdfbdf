"""Saving a printout: ask where (Vietnamese file dialog), write the PDF through a temporary file, say what went
wrong in Vietnamese, and open the result in the system's PDF viewer (which prints it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QWidget

from ksk_desktop.printing.output import write_atomically
from ui.file_dialogs import ask_save_path, documents_folder, with_suffix
from ui.messages import show_error


def ask_pdf_path(parent: QWidget, suggested: Path) -> Path | None:
    return ask_save_path(parent, "Lưu tệp PDF để in", suggested, "Tệp PDF (*.pdf)", ".pdf")


# Module-level so tests (and a future "print directly" setting) can replace them.
choose_path: Callable[[QWidget, Path], Path | None] = ask_pdf_path
open_url: Callable[[QUrl], Any] = QDesktopServices.openUrl


def default_folder() -> Path:
    return documents_folder()


def save_pdf(parent: QWidget, suggested_name: str, write: Callable[[Path], None]) -> Path | None:
    """Ask where to save *suggested_name*, let ``write(tmp_path)`` produce the PDF, move it into place and open
    it. Returns the saved path, or ``None`` when cancelled or failed (the error is shown, no file is left)."""
    dest = choose_path(parent, default_folder() / suggested_name)
    if dest is None:
        return None
    dest = with_suffix(dest, ".pdf")
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        write_atomically(dest, write)
    except Exception as exc:  # noqa: BLE001 - shown to the user (error_text logs a bug's traceback)
        show_error(parent, "Không lưu được tệp PDF", exc)
        return None
    finally:
        QApplication.restoreOverrideCursor()
    open_url(QUrl.fromLocalFile(str(dest)))
    return dest
