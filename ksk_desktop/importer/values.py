"""Turning spreadsheet cells into person fields, with a Vietnamese reason when a cell cannot be used."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from ksk_desktop.people.persons import sex_code
from ksk_desktop.redact import tail
from ksk_desktop.text import is_ascii_digits, nfc, nfkc

EXCEL_EPOCH = date(1899, 12, 30)
# Dates and identifiers: ASCII digits only, on text put in NFKC first (full-width digits become ASCII; \d would
# take any script's digits). A name is refused if it holds a digit of any script: \d on purpose.
_YEAR = re.compile(r"[0-9]{4}")
_MONTH_YEAR = re.compile(r"([0-9]{1,2})[/.\-]([0-9]{4})")
_DMY = re.compile(r"([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{2,4})")
_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[ T].*)?", re.DOTALL)
_SEPARATORS = re.compile(r"[\s.\-]")
_SPACES = re.compile(r"\s")
_INSURANCE = re.compile(r"[A-Z]{2}[0-9]{13}|[0-9]{10}")
_DIGIT = re.compile(r"\d")


class CellError(ValueError):
    """A cell's value cannot be used; the message is the reason shown next to the rejected row."""


def text_of(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    out = nfc(value if type(value) is str else str(value)).lstrip(
        "'"
    )  # a leading apostrophe is Excel's "store as text" mark
    return out or None


def parse_birth(value: Any, today: date) -> tuple[date | None, int | None]:
    """(date of birth, birth year) from a date, an Excel serial number, dd/mm/yyyy, d/m/yyyy, mm/yyyy or yyyy."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        day = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        n = int(value)
        if 1880 <= n <= today.year and n == value:
            return None, n
        if 1 <= value < 80_000:
            day = EXCEL_EPOCH + timedelta(days=int(value))
        else:
            raise CellError("Ngày sinh không hợp lệ (số ngày Excel ngoài khoảng)")
    else:
        s = nfkc(nfc(str(value))).strip()
        if _YEAR.fullmatch(s):
            year = int(s)
            if not 1880 <= year <= today.year:
                raise CellError(f"Năm sinh không hợp lệ (từ 1880 đến {today.year})")
            return None, year
        m = _MONTH_YEAR.fullmatch(s)
        if m:  # month/year: only the year is kept
            year = int(m.group(2))
            if not (1 <= int(m.group(1)) <= 12 and 1880 <= year <= today.year):
                raise CellError("Ngày sinh (tháng/năm) không hợp lệ")
            return None, year
        m = _DMY.fullmatch(s)
        iso = _ISO.fullmatch(s)
        try:
            if iso:
                day = date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
            elif m:
                if len(m.group(3)) != 4:
                    raise CellError("Năm sinh phải đủ 4 chữ số")
                day = date(int(m.group(3)), int(m.group(2)), int(m.group(1)))  # always day first
            else:
                raise CellError("Không đọc được ngày sinh (dùng dd/mm/yyyy)")
        except ValueError as exc:
            if isinstance(exc, CellError):
                raise
            raise CellError("Ngày sinh không tồn tại trên lịch") from None
    if day > today:
        raise CellError("Ngày sinh sau ngày hôm nay")
    if day.year < 1880:
        raise CellError("Ngày sinh trước năm 1880: không hợp lệ")
    return day, day.year


def parse_sex(value: Any) -> str | None:
    s = text_of(value)
    if s is None:
        return None
    code = sex_code(s)
    if code is not None:
        return code
    raise CellError(f"Giới tính {s!r} không rõ (Nam hoặc Nữ)")


def _digits(value: Any) -> str | None:
    s = text_of(value)
    if s is None:
        return None
    cleaned = _SEPARATORS.sub("", nfkc(s))
    return cleaned or None


def parse_personal_id(value: Any) -> tuple[str | None, str | None, str | None]:
    """(personal ID, old ID, note). 11 digits: the leading zero a number-formatted cell dropped is restored
    (every province code starts with 0); 9 digits: an old CMND number put in the wrong column."""
    s = _digits(value)
    if s is None:
        return None, None, None
    if not is_ascii_digits(s):
        raise CellError(f"Số định danh {tail(s)} có ký tự không phải chữ số")
    if len(s) == 12:
        return s, None, None
    if len(s) == 11:
        return "0" + s, None, "đã thêm số 0 đầu bị mất của số định danh"
    if len(s) == 9:
        return None, s, "số 9 chữ số được hiểu là CMND cũ"
    raise CellError(f"Số định danh phải gồm 12 chữ số (có {len(s)})")


def parse_old_id(value: Any) -> str | None:
    s = _digits(value)
    if s is None:
        return None
    if len(s) == 8 and is_ascii_digits(s):
        s = "0" + s  # a number-formatted cell dropped the leading zero
    if not (is_ascii_digits(s) and len(s) in (9, 12)):
        raise CellError(f"Số CMND {tail(s)} không hợp lệ (9 chữ số)")
    return s if len(s) == 9 else None


def parse_phone(value: Any) -> str | None:
    s = _digits(value)
    if s is None:
        return None
    s = s.replace("+", "")
    if s.startswith("84") and len(s) == 11:
        s = "0" + s[2:]
    if len(s) == 9 and is_ascii_digits(s):
        s = "0" + s  # a number-formatted cell dropped the leading zero
    if not (is_ascii_digits(s) and s.startswith("0") and len(s) in (10, 11)):
        raise CellError(f"Số điện thoại {tail(s)} không hợp lệ")
    return s


def parse_insurance(value: Any) -> str | None:
    s = text_of(value)
    if s is None:
        return None
    s = _SPACES.sub("", nfkc(s)).upper()
    if not _INSURANCE.fullmatch(s):
        raise CellError(f"Số thẻ BHYT {tail(s)} không hợp lệ (15 ký tự, ví dụ GD4313112345678)")
    return s


def parse_group(value: Any) -> str | None:
    s = text_of(value)
    if s is None:
        return None
    low = s.lower().replace("nhóm", "").replace("nhom", "").strip(" .:)(")
    if low == "dd":
        low = "đ"
    if low in ("a", "b", "c", "d", "đ"):
        return low
    raise CellError(f"Nhóm đối tượng {s!r} không hợp lệ (a, b, c, d hoặc đ)")


def parse_name(value: Any) -> str:
    s = text_of(value)
    if s is None:
        raise CellError("Thiếu họ và tên")
    s = " ".join(s.split())
    if s.isupper():  # lists typed in capitals: "NGUYỄN VĂN ĐỨC" → "Nguyễn Văn Đức"
        s = s.title()
    if len(s) < 2 or _DIGIT.search(s):
        raise CellError("Họ và tên không hợp lệ (quá ngắn hoặc có chữ số)")
    return s
