"""The Ministry's short code lists the QĐ 1551 data set names by code: ethnic groups (``MA_DAN_TOC``) and
occupations (``MA_NGHE_NGHIEP``), both 2 characters (the length table of QĐ 2062/QĐ-BYT, as public HIS code that
checks it reads it).

- **Ethnic groups** (``dan-toc.csv``): the 54 groups of Vietnam with their public codes 01–54 (the General
  Statistics Office's list, which the Ministry's catalogue follows), plus 55 "Người nước ngoài" and 56 "Không xác
  định", the code HIS vendors send when the group is not known (domain notes §3.1).
- **Occupations** (``nghe-nghiep.csv``): the Ministry's catalogue (sheet ``dmnghenghiep`` of the KSK template,
  1,070 rows) was not available here. The bundled default holds only the two codes public integrations use for
  children (``00``) and for "not known" (``99``); a station imports the full list with ``ksk catalog import
  occupation FILE`` (.xlsx or .csv with a code and a name column), exactly as it imports the ICD-10 list.

An imported list is public reference data, kept as a plain UTF-8 CSV in the station folder
(``catalogs/<list>.csv``); it replaces the bundled list for that station (the bundled one is the fallback).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ksk_desktop.errors import InvalidInput
from ksk_desktop.resources import read_text
from ksk_desktop.text import fold, nfc

LISTS = {
    "ethnicity": ("dan-toc.csv", "dân tộc", "MA_DAN_TOC"),
    "occupation": ("nghe-nghiep.csv", "nghề nghiệp", "MA_NGHE_NGHIEP"),
}
CODE_LENGTH = 2
UNKNOWN_ETHNICITY = "56"
CHILD_OCCUPATION = "00"
UNKNOWN_OCCUPATION = "99"
_CODE = re.compile(r"[0-9A-Za-z]{1,2}")


@dataclass(frozen=True)
class CodeList:
    name: str
    entries: dict[str, str]  # code → name, in file order
    source: str  # "bundled" | path of the station's file

    def label(self, code: str) -> str | None:
        return self.entries.get(code)

    def find(self, text: Any) -> str | None:
        """The code *text* names: the code itself (``"1"`` reads as ``"01"``), ``"01 - Kinh"``, or the name
        (accents and case ignored)."""
        raw = nfc(str(text or "")).strip()
        if not raw:
            return None
        head = re.split(r"[\s\-–:.]+", raw, maxsplit=1)[0]
        if _CODE.fullmatch(head):
            code = head.zfill(CODE_LENGTH).upper()
            if code in self.entries:
                return code
        folded = fold(raw)
        for code, name in self.entries.items():
            if fold(name) == folded:
                return code
        return None


def _parse(text: str, source: str) -> dict[str, str]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    if reader.fieldnames is None or not {"code", "name"} <= set(reader.fieldnames):
        raise ValueError(f"{source}: expected columns code,name")
    return {row["code"].strip(): nfc(row["name"]).strip() for row in reader if row.get("code")}


def _check_list(name: str) -> tuple[str, str, str]:
    if name not in LISTS:
        raise InvalidInput(
            f"Không có danh mục {name!r}: chọn ethnicity (dân tộc) hoặc occupation (nghề nghiệp)."
        )
    return LISTS[name]


@cache
def _bundled(name: str) -> CodeList:
    file, _, _ = _check_list(name)
    return CodeList(name, _parse(read_text("catalogs", file), file), "bundled")


def station_file(data_dir: Path, name: str) -> Path:
    return Path(data_dir) / "catalogs" / LISTS[name][0]


@cache
def _station(name: str, path: Path, mtime_ns: int, size: int) -> CodeList:
    return CodeList(name, _parse(path.read_text(encoding="utf-8"), str(path)), str(path))


def code_list(name: str, data_dir: Path | None = None) -> CodeList:
    """The list *name* (``ethnicity`` | ``occupation``): the station's imported one when it has one."""
    _check_list(name)
    if data_dir is not None:
        path = station_file(data_dir, name)
        try:
            stat = path.stat()
        except FileNotFoundError:
            return _bundled(name)
        return _station(name, path, stat.st_mtime_ns, stat.st_size)
    return _bundled(name)


def require(name: str, text: Any, data_dir: Path | None = None) -> str:
    """The code *text* names in list *name*; InvalidInput naming the list otherwise."""
    found = code_list(name, data_dir).find(text)
    if found is None:
        _, label, field = LISTS[name]
        raise InvalidInput(f"Mã {label} ({field}) {str(text)!r} không có trong danh mục {label}.")
    return found


def parse_rows(pairs: list[tuple[Any, Any]]) -> tuple[dict[str, str], int]:
    """``{code: name}`` from (code, name) cells; codes of 1–2 letters or digits (``1`` → ``01``); the count of
    rows skipped."""
    out: dict[str, str] = {}
    skipped = 0
    for code_cell, name_cell in pairs:
        code = str(code_cell if code_cell is not None else "").strip()
        if isinstance(code_cell, float) and code_cell.is_integer():
            code = str(int(code_cell))
        name = nfc(str(name_cell or "")).strip()
        if not _CODE.fullmatch(code) or not name:
            skipped += 1
            continue
        out[code.zfill(CODE_LENGTH).upper()] = name
    return out, skipped


def to_csv(entries: dict[str, str]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["code", "name"])
    for code, name in entries.items():
        w.writerow([code, name])
    return buf.getvalue().encode("utf-8")


_CODE_HEADERS = {"ma", "code", "ma dan toc", "ma nghe nghiep", "ma nghe", "ma danh muc", "ma dm"}
_NAME_HEADERS = {
    "ten",
    "name",
    "ten dan toc",
    "ten nghe nghiep",
    "ten nghe",
    "ten danh muc",
    "ten dm",
    "dien giai",
}


def _recognise(header: str) -> str | None:
    from ksk_desktop.importer.sources import header_key

    key = header_key(header)
    return "code" if key in _CODE_HEADERS else "name" if key in _NAME_HEADERS else None


def import_list(ctx: Any, name: str, path: Path) -> dict[str, Any]:
    """Replace the station's list *name* with the (code, name) rows of *path* (.xlsx or .csv with a "Mã" and a
    "Tên" column); needs the settings permission and is audited. Returns ``{"list", "file", "imported",
    "skipped"}``."""
    from ksk_desktop.fsio import atomic_write_bytes, sha256_file
    from ksk_desktop.importer.sources import ImportFileError, read_table
    from ksk_desktop.security.roles import Perm

    ctx.require(Perm.SETTINGS_MANAGE)
    _, label, _ = _check_list(name)
    path = Path(path)
    table = read_table(path, _recognise)
    cols = [_recognise(h) for h in table.headers]
    if "code" not in cols or "name" not in cols:
        raise ImportFileError(f"Tệp {path.name} cần cả cột mã và cột tên {label}.")
    ci, ni = cols.index("code"), cols.index("name")
    entries, skipped = parse_rows([(row[ci], row[ni]) for _, row in table.rows])
    if not entries:
        raise InvalidInput(f"Không có mã {label} hợp lệ nào trong {path.name}: danh mục không thay đổi.")
    target = station_file(ctx.paths.root, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    with ctx.write() as s:
        ctx.audit(
            s,
            "catalog.import",
            "catalog",
            name,
            {"file": path.name, "sha256": sha256_file(path), "imported": len(entries), "skipped": skipped},
        )
        atomic_write_bytes(target, to_csv(entries))
    return {"list": name, "file": path.name, "imported": len(entries), "skipped": skipped}
