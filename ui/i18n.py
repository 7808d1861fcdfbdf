"""Vietnamese for Qt's own texts, and date formats.

Qt ships no Vietnamese translation of its own texts (no qtbase_vi), so the app brings one:
``resources/translations/qtbase_vi.ts`` (the source, written for the qtbase contexts the app shows: the text-field
context menu, spin boxes, standard dialog buttons, message boxes, the file dialog and its columns, the print
preview and print dialogs, the import wizard's buttons…) compiled to ``qtbase_vi.qm`` with ``pyside6-lrelease``
(from the PySide6 wheel; ``tests/test_i18n.py`` checks the committed .qm is the .ts compiled). To add a text, add
its context and English source exactly as Qt has it, then::

    .venv/bin/pyside6-lrelease resources/translations/qtbase_vi.ts -qm resources/translations/qtbase_vi.qm

``BUTTON_TEXTS`` below stays for the app's own button boxes (set explicitly, whatever translator is loaded).
Dates are always written dd/mm/yyyy: ``QLocale("vi_VN")`` short formats give ``d/M/yy``.
"""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import QCoreApplication, QTranslator
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from ksk_desktop.dates import show_date, show_moment
from ksk_desktop.resources import resource

Std = QDialogButtonBox.StandardButton
Msg = QMessageBox.StandardButton

#: Texts for Qt's standard buttons, by name (the same names exist on QDialogButtonBox and QMessageBox).
BUTTON_TEXTS: dict[str, str] = {
    "Ok": "Đồng ý",
    "Cancel": "Hủy",
    "Save": "Lưu",
    "Close": "Đóng",
    "Yes": "Có",
    "No": "Không",
    "Apply": "Áp dụng",
    "Discard": "Không lưu",
    "Retry": "Thử lại",
    "Abort": "Dừng",
    "Ignore": "Bỏ qua",
    "Open": "Mở",
    "Reset": "Đặt lại",
    "Help": "Trợ giúp",
    "YesToAll": "Có tất cả",
    "NoToAll": "Không tất cả",
    "SaveAll": "Lưu tất cả",
    "RestoreDefaults": "Khôi phục mặc định",
}

WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")

DATE_FORMAT = "dd/MM/yyyy"  # for QDateEdit.setDisplayFormat

QT_TRANSLATION = ("translations", "qtbase_vi.qm")
_translator: QTranslator | None = None
_qm_data: bytes = b""  # QTranslator reads this buffer for as long as it is installed: it must stay alive


def install_qt_translation(app: QCoreApplication) -> bool:
    """Load the Vietnamese translation of Qt's own texts into *app* (once per process); False if it cannot be
    read (Qt's English texts are shown then)."""
    global _translator, _qm_data
    if _translator is not None:
        return True
    # From bytes rather than a path: the resources may sit inside a frozen archive.
    data = resource(*QT_TRANSLATION).read_bytes()
    translator = QTranslator(app)
    if not translator.load(data):
        return False
    _qm_data = data
    app.installTranslator(translator)
    _translator = translator
    return True


def remove_qt_translation(app: QCoreApplication) -> None:
    """Back to Qt's English texts (tests that check both)."""
    global _translator
    if _translator is not None:
        app.removeTranslator(_translator)
        _translator.deleteLater()
        _translator = None


def apply_button_texts(box: QDialogButtonBox | QMessageBox) -> None:
    """Give the standard buttons of *box* their Vietnamese texts."""
    enum = Std if isinstance(box, QDialogButtonBox) else Msg
    for name, text in BUTTON_TEXTS.items():
        button = box.button(getattr(enum, name))
        if button is not None:
            button.setText(text)


def button_box(*buttons: QDialogButtonBox.StandardButton) -> QDialogButtonBox:
    """A QDialogButtonBox with the given standard buttons, already in Vietnamese."""
    box = QDialogButtonBox()
    flags = Std.NoButton
    for b in buttons:
        flags |= b
    box.setStandardButtons(flags)
    apply_button_texts(box)
    return box


def format_date(value: date) -> str:
    """``date(2026, 3, 5)`` → ``"05/03/2026"``."""
    return show_date(value)


def format_long_date(value: date) -> str:
    """``date(2026, 3, 5)`` → ``"Thứ Năm, 05/03/2026"``."""
    return f"{WEEKDAYS[value.weekday()]}, {format_date(value)}"


def format_datetime(value: datetime | str) -> str:
    """A moment on Vietnam's wall clock as ``dd/mm/yyyy HH:MM``; naive or ISO strings without a zone are UTC."""
    return show_moment(value)


def format_number(n: int) -> str:
    """Thousands separated by dots, as Vietnamese readers expect: ``5000`` → ``"5.000"``."""
    return f"{n:,}".replace(",", ".")


def format_size(n_bytes: int) -> str:
    if n_bytes < 1024 * 1024:
        return f"{max(1, round(n_bytes / 1024))} KB"
    return f"{n_bytes / (1024 * 1024):.1f} MB".replace(".", ",")
