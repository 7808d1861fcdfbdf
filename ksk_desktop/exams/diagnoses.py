"""ICD-10 diagnoses on an exam, checked against the catalogue (``ksk_desktop.catalogs.icd10``): the bundled list and the
station's imported MoH list (under *data_dir*, the station folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ksk_desktop.errors import InvalidInput, Remedy
from ksk_desktop.exams.errors import UnknownDiagnosis


def _lookup(code: str, data_dir: Path | None) -> dict:
    from ksk_desktop.catalogs import icd10

    found = icd10.lookup(icd10.normalize_code(code), data_dir)
    if found is None:
        raise UnknownDiagnosis(
            f"Mã ICD-10 {code.strip()!r} không có trong danh mục ICD-10 của trạm. Nếu đây là mã đúng của danh mục "
            "Bộ Y tế, quản trị viên nhập danh mục đầy đủ rồi nhập lại.",
            remedy=Remedy.IMPORT_ICD10,
        )
    return found


def check_codes(text: str, data_dir: Path | None = None) -> str:
    """``"i10, e11"`` → ``"I10;E11"`` (the MoH template separates codes with ``;``); unknown codes are refused."""
    parts = [p.strip() for p in text.replace(",", ";").split(";") if p.strip()]
    return ";".join(_lookup(p, data_dir)["code"] for p in parts)


def check_diagnoses(raw: Any, data_dir: Path | None = None) -> list[dict]:
    """A list of codes or ``{"code", "primary"}`` objects → ``[{"code", "name", "primary"}]``, one primary."""
    if isinstance(raw, str):
        raw = [p for p in raw.replace(",", ";").split(";") if p.strip()]
    if not isinstance(raw, list):
        raise InvalidInput("Chẩn đoán phải là danh sách mã ICD-10.")
    out: list[dict] = []
    for item in raw:
        if isinstance(item, str):
            code, primary = item, None
        elif isinstance(item, dict) and isinstance(item.get("code"), str):
            code, primary = item["code"], item.get("primary")
        else:
            raise InvalidInput('Mỗi chẩn đoán phải là một mã ICD-10 hoặc {"code": …, "primary": true|false}.')
        found = _lookup(code, data_dir)
        if any(d["code"] == found["code"] for d in out):
            raise InvalidInput(f"Mã ICD-10 {found['code']} được nhập hai lần.")
        out.append({"code": found["code"], "name": found["name"], "primary": bool(primary)})
    primaries = [d for d in out if d["primary"]]
    if len(primaries) > 1:
        raise InvalidInput("Chỉ một chẩn đoán là bệnh chính.")
    if out and not primaries:
        out[0]["primary"] = True  # the first listed is the main one, as on the paper form
    return out
