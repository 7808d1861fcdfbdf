"""One import: read, validate every row, match against the people already on the list, write all in one
transaction (or nothing), and report the rejected rows with their reasons in an .xlsx beside the file."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import text

from .. import outbox, persons
from ..db.models import Person
from ..errors import InvalidInput, KskError
from ..fsio import sha256_file
from ..security.roles import Perm
from ..session import StationSession
from ..station import utcnow
from ..text import fold, sort_key
from . import values as V
from .columns import FIELDS, guess_mapping, load_mapping, recognise
from .report import write_report
from .sources import read_table

COMPARED = ("personal_id", "old_id", "full_name", "birth_date", "birth_year", "sex", "permanent_address",
            "current_address", "hamlet", "phone", "insurance_no", "target_group")


class ImportCancelled(KskError):
    exit_code = 130

    def __init__(self) -> None:
        super().__init__("Đã hủy nhập danh sách; không có thay đổi nào được lưu.")


@dataclass
class ImportResult:
    file: str
    sheet: str | None
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    report: str | None = None
    notes: int = 0
    mapping: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def to_json(self) -> dict:
        return dict(self.__dict__)


def _parse_row(cells: list[Any], colmap: dict[int, str], today: date) -> tuple[persons.PersonInput, list[str]]:
    """A PersonInput from one row; raises CellError with the reason. Returns notes about repaired cells."""
    got = {f: cells[i] for i, f in colmap.items()}
    notes: list[str] = []
    name = V.parse_name(got.get("full_name"))
    pid, old_from_pid, note = V.parse_personal_id(got.get("personal_id"))
    if note:
        notes.append(note)
    old = V.parse_old_id(got.get("old_id")) or old_from_pid
    sex = V.parse_sex(got.get("sex"))
    dob, year = V.parse_birth(got.get("birth_date"), today)
    for col, col_sex in (("birth_male", "M"), ("birth_female", "F")):
        d, y = V.parse_birth(got.get(col), today)
        if y is not None:
            if year is not None:
                raise V.CellError("Có ngày sinh ở cả cột Nam và cột Nữ")
            dob, year = d, y
            if sex is not None and sex != col_sex:
                raise V.CellError("Giới tính không khớp với cột năm sinh Nam/Nữ")
            sex = col_sex
    data = persons.PersonInput(
        full_name=name, personal_id=pid, old_id=old, birth_date=dob, birth_year=year, sex=sex,
        permanent_address=V.text_of(got.get("permanent_address")),
        current_address=V.text_of(got.get("current_address")) or V.text_of(got.get("permanent_address")),
        hamlet=V.text_of(got.get("hamlet")), phone=V.parse_phone(got.get("phone")),
        insurance_no=V.parse_insurance(got.get("insurance_no")), target_group=V.parse_group(got.get("target_group")),
    )
    try:
        return persons.validate(data, today), notes
    except InvalidInput as exc:
        raise V.CellError(exc.message.rstrip(".")) from None


def _match_key(name_fold: str, dob: Any, year: int | None, hamlet: str | None) -> tuple:
    return (name_fold, str(dob) if dob else f"y{year}", fold(hamlet or ""))


def preview(path: Path, mapping: str | dict | None = None, rows: int = 20, today: date | None = None) -> dict:
    """The columns as recognised, the first rows raw and as they would be read, and what still needs the
    person's attention (``problem``, e.g. no name column yet). Nothing is written."""
    today = today or date.today()
    override = load_mapping(mapping) if isinstance(mapping, str) else (mapping or {})
    table = read_table(Path(path), recognise)
    problem = None
    try:
        colmap = guess_mapping(table.headers, override)
    except InvalidInput as exc:  # e.g. no "Họ và tên" column recognised: show the file so it can be mapped
        problem = exc.message
        colmap = {i: f for i, h in enumerate(table.headers) if h and (f := recognise(h))}
    sample = []
    for number, cells in table.rows:
        if len(sample) >= rows:
            break
        if all(c in (None, "") for c in cells):
            continue
        entry = {"row": number, "cells": [c.isoformat() if hasattr(c, "isoformat") else c for c in cells]}
        if problem is None:
            try:
                data, notes = _parse_row(cells, colmap, today)
                entry.update(ok=True, person={k: v for k, v in data.__dict__.items() if v}, notes=notes)
            except V.CellError as exc:
                entry.update(ok=False, reason=str(exc))
        sample.append(entry)
    return {"headers": table.headers, "sheet": table.sheet, "problem": problem,
            "mapping": {table.headers[i]: f for i, f in sorted(colmap.items())},
            "fields": {f: label for f, (label, _) in FIELDS.items()}, "rows": sample}


def import_people(ctx: StationSession, path: Path, mapping: str | dict | None = None, *, report_path: Path | None = None,
                  progress: Callable[[int, int], None] | None = None, cancel: Callable[[], bool] | None = None,
                  today: date | None = None) -> ImportResult:
    """Import *path*. All valid rows are written in one transaction; nothing is written if it fails or is
    cancelled. Re-importing the same file changes nothing."""
    ctx.require(Perm.PERSON_WRITE)
    started = time.perf_counter()
    today = today or date.today()
    path = Path(path)
    override = load_mapping(mapping) if isinstance(mapping, str) else (mapping or {})
    table = read_table(path, recognise)
    colmap = guess_mapping(table.headers, override)
    result = ImportResult(file=str(path), sheet=table.sheet,
                          mapping={table.headers[i]: f for i, f in sorted(colmap.items())})
    with ctx.read() as s:
        commune = s.execute(text("SELECT commune_code FROM station")).scalar_one()

    # 1. Read and validate every row; remember rejected rows with their reasons.
    rejected: list[tuple[int, list[Any], str]] = []
    parsed: list[tuple[persons.PersonInput, tuple]] = []
    seen_ids: dict[str, int] = {}
    seen_keys: dict[tuple, int] = {}
    for number, cells in table.rows:
        if all(c in (None, "") for c in cells):
            continue
        try:
            data, notes = _parse_row(cells, colmap, today)
        except V.CellError as exc:
            rejected.append((number, cells, str(exc)))
            continue
        result.notes += len(notes)
        key = _match_key(fold(data.full_name), data.birth_date, data.birth_year, data.hamlet)
        if data.personal_id and data.personal_id in seen_ids:
            rejected.append((number, cells, f"Trùng số định danh với dòng {seen_ids[data.personal_id]}"))
            continue
        if key in seen_keys and not data.personal_id:
            rejected.append((number, cells, f"Trùng họ tên, ngày sinh và thôn với dòng {seen_keys[key]}"))
            continue
        if data.personal_id:
            seen_ids[data.personal_id] = number
        seen_keys.setdefault(key, number)
        data.commune_code = commune
        parsed.append((data, key))
        if cancel and cancel():
            raise ImportCancelled()

    # 2. Match and write, all in one transaction.
    total = len(parsed)
    with ctx.write() as s:
        cols = ", ".join(("id", "version", "name_fold", *COMPARED))
        by_id: dict[str, dict] = {}
        by_key: dict[tuple, dict] = {}
        for row in s.execute(text(f"SELECT {cols} FROM person")).mappings():
            row = dict(row)
            if row["personal_id"]:
                by_id[row["personal_id"]] = row
            by_key.setdefault(_match_key(row["name_fold"], row["birth_date"], row["birth_year"], row["hamlet"]), row)
        creates: list[persons.PersonInput] = []
        for done, (data, key) in enumerate(parsed, 1):
            existing = by_id.get(data.personal_id) if data.personal_id else None
            if existing is None:
                candidate = by_key.get(key)
                if candidate and (not data.personal_id or not candidate["personal_id"]):
                    existing = candidate
            if existing is None:
                creates.append(data)
            else:
                changes = _changes(existing, data)
                if changes:
                    _update(ctx, s, existing, changes)
                    result.updated += 1
                else:
                    result.unchanged += 1
            if progress and done % 1000 == 0:
                progress(done, total)
            if cancel and done % 1000 == 0 and cancel():
                raise ImportCancelled()
        for i in range(0, len(creates), 5000):
            persons.insert_rows(ctx, s, creates[i : i + 5000], action="person.import_batch")
            if cancel and cancel():
                raise ImportCancelled()
        result.created = len(creates)
        result.rejected = len(rejected)
        ctx.audit(s, "person.import", "person", None, {
            "file": path.name, "sha256": sha256_file(path), "created": result.created, "updated": result.updated,
            "unchanged": result.unchanged, "rejected": result.rejected})
    if progress:
        progress(total, total)
    if rejected:
        result.report = str(write_report(path, table.headers, rejected, report_path))
    result.seconds = round(time.perf_counter() - started, 2)
    return result


def _changes(existing: dict, data: persons.PersonInput) -> dict[str, tuple[Any, Any]]:
    """Fields the file fills or corrects. An empty cell never erases what is stored."""
    changes = {}
    for col in COMPARED:
        new = getattr(data, col)
        old = existing[col]
        if isinstance(old, str) and col == "birth_date":
            old = date.fromisoformat(old)
        if new is None or new == old:
            continue
        if col == "personal_id" and old:  # matched on the ID itself, or a different person: never overwrite
            continue
        if col == "birth_year" and data.birth_date is None and existing["birth_date"]:
            continue  # a year-only list does not downgrade a full date
        changes[col] = (old, new)
    return changes


def _update(ctx: StationSession, s, existing: dict, changes: dict) -> None:  # noqa: ANN001 - a Session
    values = {col: new for col, (_old, new) in changes.items()}
    if "full_name" in values:
        values["name_fold"] = fold(values["full_name"])
        values["sort_key"] = sort_key(values["full_name"])
    values["version"] = existing["version"] + 1
    values["updated_at"] = utcnow()
    s.connection().execute(Person.__table__.update().where(Person.__table__.c.id == existing["id"]), values)
    json_safe = {col: (str(old) if isinstance(old, date) else old, str(new) if isinstance(new, date) else new)
                 for col, (old, new) in changes.items()}
    ctx.audit(s, "person.update", "person", existing["id"], {
        "source": "import", "old": {c: o for c, (o, _n) in json_safe.items()},
        "new": {c: n for c, (_o, n) in json_safe.items()}})
    outbox.enqueue(s, "person", existing["id"], None, values["version"])
    existing.update({c: n for c, (_o, n) in changes.items()}, version=values["version"])

