"""What the reference endpoint checks inside a pushed KHAMSUCKHOE file: its two XML-DSig signatures and the
mandatory fields of each record (``HO_TEN``, ``SO_CCCD``, ``NGAY_SINH``, ``MA_LK``, ``PHAN_LOAI_SK``)."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import date

from cryptography import x509

from ksk_desktop.errors import KskError
from ksk_desktop.moh1551 import xmldsig
from ksk_desktop.moh1551.xmltree import Element, parse

MANDATORY = ("HO_TEN", "SO_CCCD", "NGAY_SINH", "MA_LK", "PHAN_LOAI_SK")


class Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class Record:
    ma_lk: str
    so_cccd: str
    exam_day: date | None


def _date(text: str) -> date | None:
    if not re.fullmatch(r"\d{8}", text[:8]):
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def _fields(hoso: Element) -> dict[str, str]:
    """Every leaf of every inner file of one record, by tag (the first value of a tag wins)."""
    out: dict[str, str] = {}
    for file in (e for e in hoso.iter() if e.name == "FILEHOSO"):
        content = next((e.text() for e in file.elements() if e.name == "NOIDUNGFILE"), "")
        try:
            inner = parse(base64.b64decode("".join(content.split()), validate=True))
        except (binascii.Error, ValueError, KskError) as exc:
            raise Refused("CM_INVALID_REQUEST", "NOIDUNGFILE không phải XML Base64 hợp lệ.") from exc
        for leaf in inner.iter():
            if not leaf.elements():
                out.setdefault(leaf.name, leaf.text().strip())
    return out


def check_file(data: bytes, facility: x509.Certificate) -> list[Record]:
    """The records of a pushed file, or :class:`Refused` with the Ministry's code and a message."""
    try:
        root = parse(data)
        doctor_cert = xmldsig.verify_tree(root, at="CKS_NGUOI_KET_LUAN")
        file_cert = xmldsig.verify_tree(root, at="CKS_BENH_VIEN")
    except KskError as exc:
        raise Refused("PS_SIGNATURE_INVALID", f"Chữ ký số trong hồ sơ không hợp lệ: {exc.message}") from exc
    if file_cert != facility:
        raise Refused("PS_SIGNATURE_INVALID", "CKS_BENH_VIEN không phải chứng thư số đã đăng ký của cơ sở.")
    if doctor_cert == facility:
        raise Refused("PS_SIGNATURE_INVALID", "CKS_NGUOI_KET_LUAN phải là chữ ký của người kết luận.")
    records = [e for e in root.iter() if e.name == "HOSO"]
    if not records:
        raise Refused("CM_INVALID_REQUEST", "Hồ sơ không có HOSO nào.")
    out = []
    for hoso in records:
        fields = _fields(hoso)
        for name in MANDATORY:
            if not fields.get(name):
                raise Refused("CM_INVALID_REQUEST", f"Thiếu trường bắt buộc {name}.")
        if not re.fullmatch(r"\d{12}", fields["SO_CCCD"]):
            raise Refused("CM_INVALID_REQUEST", "SO_CCCD phải gồm 12 chữ số.")
        if _date(fields["NGAY_SINH"]) is None or len(fields["NGAY_SINH"]) != 8:
            raise Refused("CM_INVALID_REQUEST", "NGAY_SINH phải có dạng YYYYMMDD.")
        if fields["PHAN_LOAI_SK"] not in ("1", "2", "3", "4", "5"):
            raise Refused("CM_INVALID_REQUEST", "PHAN_LOAI_SK phải từ 1 đến 5.")
        if len(fields["MA_LK"]) > 100:
            raise Refused("CM_INVALID_REQUEST", "MA_LK dài quá 100 ký tự.")
        day = _date(fields.get("NGAY_VAO", "")) or _date(fields.get("NGAY_KET_LUAN", ""))
        out.append(Record(fields["MA_LK"], fields["SO_CCCD"], day))
    return out
