"""Recognising the usual Vietnamese column headers, and the user's own column mapping."""

from __future__ import annotations

import json
import string
from pathlib import Path

from ksk_desktop.errors import InvalidInput
from ksk_desktop.importer.sources import header_key

# field → (Vietnamese label, folded header spellings seen in commune, school and employer lists)
FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "full_name": (
        "Họ và tên",
        ("ho va ten", "ho ten", "ho va ten nguoi dan", "ten", "ho ten doi tuong", "hoten"),
    ),
    "birth_date": (
        "Ngày sinh",
        (
            "ngay sinh",
            "ngay thang nam sinh",
            "ngay thang nam sinh dd mm yyyy",
            "ns",
            "sinh ngay",
            "nam sinh",
            "ngay sinh dd mm yyyy",
        ),
    ),
    "birth_male": ("Ngày/năm sinh (cột Nam)", ("nam sinh nam", "ngay sinh nam", "ngay thang nam sinh nam")),
    "birth_female": ("Ngày/năm sinh (cột Nữ)", ("nam sinh nu", "ngay sinh nu", "ngay thang nam sinh nu")),
    "sex": ("Giới tính", ("gioi tinh", "gt", "nam nu", "phai")),
    "personal_id": (
        "Số định danh cá nhân / CCCD",
        (
            "so cccd",
            "cccd",
            "so dinh danh",
            "so dinh danh ca nhan",
            "ma dinh danh",
            "so can cuoc",
            "can cuoc cong dan",
            "so cccd dinh danh",
            "so dinh danh cccd",
            "cccd dinh danh",
            "ma dinh danh ca nhan",
        ),
    ),
    "old_id": ("Số CMND", ("so cmnd", "cmnd", "so cmt", "cmt", "chung minh nhan dan")),
    "permanent_address": (
        "Địa chỉ thường trú",
        (
            "dia chi",
            "dia chi thuong tru",
            "noi thuong tru",
            "thuong tru",
            "noi dang ky thuong tru",
            "ho khau thuong tru",
        ),
    ),
    "current_address": (
        "Nơi ở hiện tại",
        ("noi o hien tai", "cho o hien nay", "dia chi hien tai", "tam tru", "noi o hien nay"),
    ),
    "hamlet": (
        "Thôn / Tổ dân phố",
        (
            "thon",
            "to dan pho",
            "thon to dan pho",
            "thon to",
            "khu",
            "xom",
            "ap",
            "thon xom",
            "to",
            "khu dan cu",
            "thon khu",
        ),
    ),
    "phone": ("Số điện thoại", ("so dien thoai", "dien thoai", "sdt", "dt", "so dt", "dien thoai lien he")),
    "insurance_no": (
        "Số thẻ BHYT",
        ("so the bhyt", "the bhyt", "ma the bhyt", "bhyt", "so bhyt", "ma so bhxh", "so the bao hiem y te"),
    ),
    "target_group": ("Đối tượng (nhóm a–đ)", ("doi tuong", "nhom doi tuong", "nhom", "phan loai doi tuong")),
}
IGNORED = ("stt", "tt", "so thu tu", "ghi chu")
_LOOKUP = {spelling: field for field, (_label, spellings) in FIELDS.items() for spelling in spellings}


def recognise(header: str) -> str | None:
    """The field a column header names, or None."""
    return _LOOKUP.get(header_key(header))


def _column_index(key: str, headers: list[str]) -> int | None:
    if key in headers:
        return headers.index(key)
    folded = [header_key(h) for h in headers]
    if header_key(key) in folded:
        return folded.index(header_key(key))
    if key.isalpha() and key.isupper() and len(key) <= 2:  # a spreadsheet column letter: "A", "AB"
        n = 0
        for ch in key:
            n = n * 26 + string.ascii_uppercase.index(ch) + 1
        return n - 1 if n - 1 < len(headers) else None
    return None


def load_mapping(spec: str | None) -> dict[str, str | None]:
    """``--mapping``: a JSON object (or a path to one) from column (header text or letter) to field or null."""
    if not spec:
        return {}
    text = (
        Path(spec).read_text(encoding="utf-8")
        if not spec.lstrip().startswith("{") and Path(spec).exists()
        else spec
    )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"Cách ghép cột không phải JSON hợp lệ: {exc.msg}.") from exc
    if not isinstance(data, dict) or not all(isinstance(v, str) or v is None for v in data.values()):
        raise InvalidInput('Cách ghép cột phải có dạng {"Tên cột trong tệp": "trường"}.')
    unknown = sorted({v for v in data.values() if v is not None and v not in FIELDS})
    if unknown:
        raise InvalidInput(
            f"Trường không hợp lệ trong cách ghép cột: {', '.join(unknown)}. Các trường: {', '.join(FIELDS)}."
        )
    return data


def guess_mapping(headers: list[str], override: dict[str, str | None] | None = None) -> dict[int, str]:
    """Column index → field: recognised headers, then the user's mapping on top. Each field once."""
    mapping: dict[int, str] = {}
    for i, h in enumerate(headers):
        field = recognise(h) if h else None
        if field and field not in mapping.values():
            mapping[i] = field
    for key, field in (override or {}).items():
        idx = _column_index(key, headers)
        if idx is None:
            raise InvalidInput(f"Không có cột {key!r} trong tệp.")
        mapping.pop(idx, None)
        if field is not None:
            for other in [i for i, f in mapping.items() if f == field]:
                del mapping[other]
            mapping[idx] = field
    if "full_name" not in mapping.values():
        raise InvalidInput("Chưa xác định được cột 'Họ và tên'. Hãy chỉ định cách ghép cột.")
    return mapping
