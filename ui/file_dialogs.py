"""File dialogs with Vietnamese labels, set explicitly (the rest of the dialog speaks Vietnamese through the app's
translation of Qt's own texts, ui.i18n)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QStandardPaths
from PySide6.QtWidgets import QFileDialog, QWidget


def documents_folder() -> Path:
    """The user's Documents folder (home when the system has none): where saved files are offered first."""
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(docs) if docs else Path.home()


def with_suffix(path: Path, suffix: str) -> Path:
    """*path* ending in *suffix* (``".xlsx"``), added when the name typed has another or none."""
    return path if path.suffix.lower() == suffix else path.with_name(path.name + suffix)


def _run(dialog: QFileDialog, accept_text: str) -> Path | None:
    for label, text in (
        (QFileDialog.DialogLabel.LookIn, "Thư mục:"),
        (QFileDialog.DialogLabel.FileName, "Tên tệp:"),
        (QFileDialog.DialogLabel.FileType, "Loại tệp:"),
        (QFileDialog.DialogLabel.Accept, accept_text),
        (QFileDialog.DialogLabel.Reject, "Hủy"),
    ):
        dialog.setLabelText(label, text)
    if dialog.exec() != QFileDialog.DialogCode.Accepted or not dialog.selectedFiles():
        return None
    return Path(dialog.selectedFiles()[0])


def ask_save_path(parent: QWidget, title: str, suggested: Path, file_filter: str, suffix: str) -> Path | None:
    """Where to save a new file (*suffix* without the dot is added when the name has none)."""
    dialog = QFileDialog(parent, title, str(suggested), file_filter)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setDefaultSuffix(suffix.lstrip("."))
    dialog.selectFile(suggested.name)
    return _run(dialog, "Lưu")


def ask_open_path(parent: QWidget, title: str, folder: str, file_filter: str) -> Path | None:
    """An existing file to open."""
    dialog = QFileDialog(parent, title, folder, file_filter)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptOpen)
    return _run(dialog, "Mở")
