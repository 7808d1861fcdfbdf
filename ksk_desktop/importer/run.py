"""One import: read, validate every row, match against the people already on the list, write all in one
transaction (or nothing), and report the rejected rows with their reasons in an .xlsx beside the file."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ksk_desktop.errors import InvalidInput, KskError
from ksk_desktop.fsio import sha256_file
from ksk_desktop.importer import values as V
from ksk_desktop.importer.columns import FIELDS, guess_mapping, load_mapping, recognise
from ksk_desktop.importer.report import write_report
from ksk_desktop.importer.sources import read_table
from ksk_desktop.importer.writer import ImportWriter, match_key
from ksk_desktop.people import persons
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ksk_desktop.text import fold


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


def _parse_row(
    cells: list[Any], colmap: dict[int, str], today: date
) -> tuple[persons.PersonInput, list[str]]:
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
        full_name=name,
        personal_id=pid,
        old_id=old,
        birth_date=dob,
        birth_year=year,
        sex=sex,
        permanent_address=V.text_of(got.get("permanent_address")),
        current_address=V.text_of(got.get("current_address")) or V.text_of(got.get("permanent_address")),
        hamlet=V.text_of(got.get("hamlet")),
        phone=V.parse_phone(got.get("phone")),
        insurance_no=V.parse_insurance(got.get("insurance_no")),
        target_group=V.parse_group(got.get("target_group")),
    )
    try:
        return persons.validate(data, today, normalised=True), notes
    except InvalidInput as exc:
        raise V.CellError(exc.message.rstrip(".")) from None


def preview(path: Path, mapping: str | dict | None = None, rows: int = 20, *, today: date) -> dict:
    """The columns as recognised, the first rows raw and as they would be read, and what still needs the
    person's attention (``problem``, e.g. no name column yet). Nothing is written. *today* bounds the dates of
    birth (a session's clock, or the system clock's date in Vietnam where there is no session)."""
    override = load_mapping(mapping) if isinstance(mapping, str) else (mapping or {})
    table = read_table(Path(path), recognise)
    problem = None
    try:
        colmap = guess_mapping(table.headers, override)
    except InvalidInput as exc:  # e.g. no "Họ và tên" column recognised: show the file so it can be mapped
        problem = exc.message
        colmap = {i: f for i, h in enumerate(table.headers) if h and (f := recognise(h))}
    sample: list[dict] = []
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
    return {
        "headers": table.headers,
        "sheet": table.sheet,
        "problem": problem,
        "mapping": {table.headers[i]: f for i, f in sorted(colmap.items())},
        "fields": {f: label for f, (label, _) in FIELDS.items()},
        "rows": sample,
    }


CHUNK_ROWS = 5000


def import_people(
    ctx: StationSession,
    path: Path,
    mapping: str | dict | None = None,
    *,
    report_path: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    today: date | None = None,
) -> ImportResult:
    """Import *path*. All valid rows are written in one transaction; nothing is written if it fails or is
    cancelled. Re-importing the same file changes nothing.

    Rows are parsed and handed to :class:`ImportWriter` chunk by chunk, inside the one transaction.
    """
    ctx.require(Perm.PERSON_WRITE)
    started = time.perf_counter()
    today = today or ctx.clock.today()
    path = Path(path)
    override = load_mapping(mapping) if isinstance(mapping, str) else (mapping or {})
    table = read_table(path, recognise)
    colmap = guess_mapping(table.headers, override)
    result = ImportResult(
        file=str(path), sheet=table.sheet, mapping={table.headers[i]: f for i, f in sorted(colmap.items())}
    )
    expected = table.row_count or 0

    def written(done: int) -> None:
        if progress:
            progress(done, max(done, expected))

    rejected: list[tuple[int, list[Any], str]] = []
    seen_ids: dict[str, int] = {}
    seen_keys: dict[tuple, int] = {}
    chunk: list[tuple[persons.PersonInput, tuple]] = []

    def checkpoint() -> None:
        if cancel and cancel():
            raise ImportCancelled()

    with ctx.write() as s:
        writer = ImportWriter(ctx, s, written, checkpoint)
        for number, cells in table.rows:
            if all(c in (None, "") for c in cells):
                continue
            try:
                data, notes = _parse_row(cells, colmap, today)
            except V.CellError as exc:
                rejected.append((number, cells, str(exc)))
                continue
            result.notes += len(notes)
            key = match_key(fold(data.full_name), data.birth_date, data.birth_year, data.hamlet)
            if data.personal_id and data.personal_id in seen_ids:
                rejected.append((number, cells, f"Trùng số định danh với dòng {seen_ids[data.personal_id]}"))
                continue
            if key in seen_keys and not data.personal_id:
                rejected.append((number, cells, f"Trùng họ tên, ngày sinh và thôn với dòng {seen_keys[key]}"))
                continue
            if data.personal_id:
                seen_ids[data.personal_id] = number
            seen_keys.setdefault(key, number)
            chunk.append((data, key))
            checkpoint()
            if len(chunk) >= CHUNK_ROWS:
                writer.write(chunk)
                chunk = []
        writer.write(chunk)
        checkpoint()
        counts = writer.counts
        ctx.audit(
            s,
            "person.import",
            "person",
            None,
            {
                "file": path.name,
                "sha256": sha256_file(path),
                "created": counts.created,
                "updated": counts.updated,
                "unchanged": counts.unchanged,
                "rejected": len(rejected),
            },
        )
    result.created, result.updated, result.unchanged = counts.created, counts.updated, counts.unchanged
    result.rejected = len(rejected)
    if progress:
        progress(counts.written, counts.written)
    if rejected:
        result.report = str(
            write_report(
                path,
                table.headers,
                rejected,
                report_path,
                local_now=ctx.clock.local_now(),
                journal=ctx.paths.pending,
            )
        )
    result.seconds = round(time.perf_counter() - started, 2)
    return result
