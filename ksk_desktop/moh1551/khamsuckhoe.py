"""The KHAMSUCKHOE file of one signed exam (QĐ 1551 data set), as XML or JSON, its parser and its validator.

XML, the form the Ministry's push takes (``data_type`` ``xml/base64``)::

    <KHAMSUCKHOE>
      <THONGTINDONVI><MACSKCB>31006</MACSKCB></THONGTINDONVI>
      <THONGTINHOSO>
        <NGAYLAP>20261205</NGAYLAP><SOLUONGHOSO>1</SOLUONGHOSO>
        <DANHSACHHOSO>
          <HOSO Id="KSK0193…">                          ← Id = MA_LK (what the doctor's signature references)
            <FILEHOSO><LOAIHOSO>XML1</LOAIHOSO><NOIDUNGFILE>base64…</NOIDUNGFILE></FILEHOSO>
            … XML2, XML3/XML4 (under 6), XML7, XML8, XML9, XML10, XML11 (labs), XML12 …
          </HOSO>
        </DANHSACHHOSO>
      </THONGTINHOSO>
      <CHUKYDONVI><CKS_NGUOI_KET_LUAN/><CKS_BENH_VIEN/></CHUKYDONVI>
    </KHAMSUCKHOE>

Each ``NOIDUNGFILE`` is the Base64 of the part's own UTF-8 XML document (``<?xml …?><THONG_TIN_HANH_CHINH>…``), as
public HIS code that pushes to the Ministry builds it and as the insurance file (QĐ 130) does: the parts stay
byte-exact under the signatures, whatever the outer file's whitespace. ``CKS_NGUOI_KET_LUAN`` (the concluding
doctor, over the record ``HOSO``) and ``CKS_BENH_VIEN`` (the facility, over the file) are left empty here and
filled by the signer (``ksk_desktop.moh1551.xmldsig``); an unsigned file has them empty.

JSON (``json/base64``) has the same frame with each part inline as an object (``NOIDUNGFILE: {ROOT: {…}}``,
XML11 a list), all values the same text as in the XML.

Only the values the exam has are written (an empty field is left out); :func:`validate` names every mandatory
field that is missing.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ksk_desktop.clock import to_vietnam
from ksk_desktop.db.models import ExamVersion
from ksk_desktop.errors import InvalidInput, NotFound
from ksk_desktop.moh1551 import schema, settings
from ksk_desktop.moh1551.dataset import Record, build_record
from ksk_desktop.moh1551.schema import Problem

ROOT = "KHAMSUCKHOE"
SIGNATURE_SLOTS = ("CKS_NGUOI_KET_LUAN", "CKS_BENH_VIEN")
_DECL = b'<?xml version="1.0" encoding="utf-8"?>\n'
_UNSAFE = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


@dataclass
class ParsedFile:
    ma_cskcb: str | None
    ngaylap: str | None
    count: str | None
    records: list[tuple[str | None, dict[str, Any]]] = field(default_factory=list)  # (HOSO Id, parts)
    signatures: dict[str, bool] = field(default_factory=dict)  # slot → has content


# -- building -----------------------------------------------------------------------------------------------------
def signed_row(s: Session, exam_id: str, version: int | None = None) -> ExamVersion:
    q = select(ExamVersion).where(ExamVersion.exam_id == exam_id, ExamVersion.status == "signed")
    if version is not None:
        q = q.where(ExamVersion.version == version)
    row = s.scalars(q.order_by(ExamVersion.version.desc()).limit(1)).first()
    if row is None:
        if s.scalars(select(ExamVersion.exam_id).where(ExamVersion.exam_id == exam_id).limit(1)).first():
            raise InvalidInput("Phiếu khám chưa được ký: chỉ phiếu đã ký mới lập được tệp gửi Bộ Y tế.")
        raise NotFound(f"Không tìm thấy phiếu khám {exam_id}.")
    return row


def made_on(row: ExamVersion) -> date:
    """NGAYLAP: the day (Vietnam time) the exam version was signed."""
    if row.signed_at:
        at = datetime.fromisoformat(row.signed_at.replace("Z", "+00:00"))
        return to_vietnam(at if at.tzinfo else at.replace(tzinfo=UTC)).date()
    return row.exam_date


def record_of(s: Session, exam_id: str, *, version: int | None = None, data_dir: Any = None) -> Record:
    return build_record(s, signed_row(s, exam_id, version), settings.read(s), data_dir)


def _part_xml(part: str, content: Any) -> bytes:
    root = ET.Element(schema.ROOTS[part])
    if part == "XML11":
        lst = ET.SubElement(root, schema.LAB_LIST)
        for item in content:
            el = ET.SubElement(lst, schema.LAB_ITEM)
            for name, value in item.items():
                ET.SubElement(el, name).text = value
    else:
        for name, value in content.items():
            ET.SubElement(root, name).text = value
    return _DECL + ET.tostring(root, encoding="utf-8", xml_declaration=False)


def _frame(ma_cskcb: str | None, day: date) -> tuple[ET.Element, ET.Element]:
    root = ET.Element(ROOT)
    ET.SubElement(ET.SubElement(root, "THONGTINDONVI"), "MACSKCB").text = ma_cskcb or ""
    info = ET.SubElement(root, "THONGTINHOSO")
    ET.SubElement(info, "NGAYLAP").text = day.strftime("%Y%m%d")
    ET.SubElement(info, "SOLUONGHOSO").text = "1"
    return root, ET.SubElement(info, "DANHSACHHOSO")


def render_xml(record: Record, ma_cskcb: str | None, day: date) -> bytes:
    root, lst = _frame(ma_cskcb, day)
    hoso = ET.SubElement(lst, "HOSO", {"Id": record.ma_lk})
    for part, content in record.parts.items():
        f = ET.SubElement(hoso, "FILEHOSO")
        ET.SubElement(f, "LOAIHOSO").text = part
        ET.SubElement(f, "NOIDUNGFILE").text = base64.b64encode(_part_xml(part, content)).decode("ascii")
    sig = ET.SubElement(root, "CHUKYDONVI")
    for slot in SIGNATURE_SLOTS:
        ET.SubElement(sig, slot)
    return _DECL + ET.tostring(root, encoding="utf-8", xml_declaration=False)


def render_json(record: Record, ma_cskcb: str | None, day: date) -> bytes:
    files = [
        {"LOAIHOSO": part, "NOIDUNGFILE": {schema.ROOTS[part]: content}}
        for part, content in record.parts.items()
    ]
    data = {
        ROOT: {
            "THONGTINDONVI": {"MACSKCB": ma_cskcb or ""},
            "THONGTINHOSO": {
                "NGAYLAP": day.strftime("%Y%m%d"),
                "SOLUONGHOSO": "1",
                "DANHSACHHOSO": [{"Id": record.ma_lk, "FILEHOSO": files}],
            },
            "CHUKYDONVI": dict.fromkeys(SIGNATURE_SLOTS),
        }
    }
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")


def build_file(
    s: Session, exam_id: str, *, fmt: str = "xml", version: int | None = None, data_dir: Any = None
) -> bytes:
    """The unsigned KHAMSUCKHOE file of the exam's newest signed version (or *version*), read inside the caller's
    transaction *s* (the signing transaction, or an export's)."""
    row = signed_row(s, exam_id, version)
    conf = settings.read(s)
    record = build_record(s, row, conf, data_dir)
    render = render_json if fmt == "json" else render_xml
    return render(record, conf.ma_cskcb, made_on(row))


# -- parsing ------------------------------------------------------------------------------------------------------
def _text(el: ET.Element | None) -> str | None:
    return None if el is None else (el.text or "")


def _xml(data: bytes) -> ET.Element:
    if _UNSAFE.search(data):
        raise InvalidInput("Tệp có khai báo DOCTYPE/ENTITY: không đọc.")
    try:
        return ET.fromstring(data)
    except ET.ParseError as exc:
        raise InvalidInput(f"Tệp XML hỏng: {exc}.") from None


def _leaf_values(el: ET.Element) -> dict[str, str]:
    return {child.tag: child.text or "" for child in el}


def _parse_part(part: str, root: ET.Element) -> Any:
    if root.tag != schema.ROOTS.get(part):
        raise InvalidInput(f"{part}: phần tử gốc phải là {schema.ROOTS.get(part)}, không phải {root.tag}.")
    if part == "XML11":
        lst = root.find(schema.LAB_LIST)
        return [
            _leaf_values(item) for item in (lst if lst is not None else []) if item.tag == schema.LAB_ITEM
        ]
    return _leaf_values(root)


def parse_xml(data: bytes) -> ParsedFile:
    root = _xml(data)
    if root.tag != ROOT:
        raise InvalidInput(f"Phần tử gốc phải là {ROOT}.")
    info = root.find("THONGTINHOSO")
    out = ParsedFile(
        _text(root.find("THONGTINDONVI/MACSKCB")),
        _text(info.find("NGAYLAP")) if info is not None else None,
        _text(info.find("SOLUONGHOSO")) if info is not None else None,
    )
    for hoso in root.iterfind("THONGTINHOSO/DANHSACHHOSO/HOSO"):
        parts: dict[str, Any] = {}
        for f in hoso.iterfind("FILEHOSO"):
            part = _text(f.find("LOAIHOSO")) or ""
            try:
                inner = base64.b64decode(_text(f.find("NOIDUNGFILE")) or "", validate=True)
            except (binascii.Error, ValueError):
                raise InvalidInput(f"{part}: NOIDUNGFILE không phải Base64.") from None
            if part in parts:
                raise InvalidInput(f"Phần {part} có hai lần trong một hồ sơ.")
            parts[part] = _parse_part(part, _xml(inner))
        out.records.append((hoso.get("Id"), parts))
    sig = root.find("CHUKYDONVI")
    for slot in SIGNATURE_SLOTS:
        el = sig.find(slot) if sig is not None else None
        out.signatures[slot] = el is not None and (len(el) > 0 or bool((el.text or "").strip()))
    return out


def parse_json(data: bytes) -> ParsedFile:
    try:
        doc = json.loads(data.decode("utf-8"))[ROOT]
        info = doc["THONGTINHOSO"]
        out = ParsedFile(doc["THONGTINDONVI"].get("MACSKCB"), info.get("NGAYLAP"), info.get("SOLUONGHOSO"))
        for hoso in info.get("DANHSACHHOSO") or []:
            parts: dict[str, Any] = {}
            for f in hoso.get("FILEHOSO") or []:
                part = f["LOAIHOSO"]
                content = f["NOIDUNGFILE"]
                ((root, value),) = content.items()
                if root != schema.ROOTS.get(part):
                    raise InvalidInput(f"{part}: phần tử gốc phải là {schema.ROOTS.get(part)}.")
                parts[part] = [dict(i) for i in value] if part == "XML11" else dict(value)
            out.records.append((hoso.get("Id"), parts))
        out.signatures = {slot: bool((doc.get("CHUKYDONVI") or {}).get(slot)) for slot in SIGNATURE_SLOTS}
        return out
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, InvalidInput):
            raise
        raise InvalidInput("Tệp JSON không đúng cấu trúc KHAMSUCKHOE.") from None


def parse_file(data: bytes) -> ParsedFile:
    """The file's frame and records, from XML or JSON (told apart by the first character)."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return parse_json(data) if head in (b"{", b"[") else parse_xml(data)


# -- validating ---------------------------------------------------------------------------------------------------
def validate(data: bytes) -> list[Problem]:
    """Every problem of the file (empty when valid), in Vietnamese, each naming the part and field."""
    try:
        parsed = parse_file(data)
    except InvalidInput as exc:
        return [Problem(None, None, exc.message)]
    out: list[Problem] = []
    if not (parsed.ma_cskcb or "").strip():
        out.append(Problem(None, "MACSKCB", "Thiếu mã cơ sở (THONGTINDONVI/MACSKCB).", True))
    if not schema.DATE8.fullmatch(parsed.ngaylap or ""):
        out.append(Problem(None, "NGAYLAP", "Ngày lập (NGAYLAP) phải có dạng YYYYMMDD."))
    if parsed.count != str(len(parsed.records)):
        out.append(
            Problem(
                None, "SOLUONGHOSO", f"Số lượng hồ sơ (SOLUONGHOSO) {parsed.count!r} khác số hồ sơ trong tệp."
            )
        )
    if not parsed.records:
        out.append(Problem(None, "HOSO", "Tệp không có hồ sơ nào."))
    for hoso_id, parts in parsed.records:
        xml2 = parts.get("XML2")
        visit: dict[str, str] = xml2 if isinstance(xml2, dict) else {}
        ma_lk = visit.get("MA_LK")
        if hoso_id != ma_lk:
            out.append(Problem(None, "HOSO", "Thuộc tính Id của HOSO phải bằng MA_LK của hồ sơ."))
        if parsed.ma_cskcb and visit.get("MA_CSKCB") and visit["MA_CSKCB"] != parsed.ma_cskcb:
            out.append(Problem("XML2", "MA_CSKCB", "MA_CSKCB của hồ sơ khác mã cơ sở của tệp (MACSKCB)."))
        out.extend(schema.check_record(visit.get("TYPE", ""), parts))
    return out


def problems_line(problems: list[Problem]) -> str:
    """One line for the command line: the missing mandatory fields first, then the other problems."""
    missing = [p.field or p.part or "" for p in problems if p.missing]
    others = [p.message for p in problems if not p.missing]
    parts = []
    if missing:
        parts.append("thiếu " + ", ".join(dict.fromkeys(missing)))
    parts.extend(m.rstrip(".") for m in others)
    return "Tệp gửi Bộ Y tế (QĐ 1551) chưa hợp lệ: " + "; ".join(parts) + "."
