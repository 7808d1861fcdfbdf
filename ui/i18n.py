"""Vietnamese texts Qt does not provide (there is no qtbase_vi) and date formats.

Dates are always written dd/mm/yyyy: ``QLocale("vi_VN")`` short formats give ``d/M/yy``.
"""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from ksk_desktop.dates import show_date, show_moment

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
