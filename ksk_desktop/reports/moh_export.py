"""``ksk report moh-export``: the signed exams of a period in the user's copy of the Ministry's KSK template, for
stations that upload to the portal (admin.csdlksk.vn) by hand.

One row per signed exam (its latest signed version) dated in the period. The portal matches people by CCCD and
one CCCD may appear only once in a file, so a person examined twice in the period goes into a second file
(``OUT-2.xlsm``: the second exam of everyone examined at least twice), a third exam into ``OUT-3.xlsm``…, each to
be uploaded after the one before. Exams that cannot go — no 12-digit CCCD, not signed, a mandatory field
missing — are never dropped silently: each is listed with its reason in the report file beside the output
(``OUT-bao-cao.xlsx``), with the caveats of the rows that went. Every file is built in memory and written private;
the export is audited.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ksk_desktop.dates import show_date
from ksk_desktop.db.models import ExamVersion, Person
from ksk_desktop.errors import InvalidInput, Remedy
from ksk_desktop.reports.moh_rows import Refusal, Row, RowContext, build_row, check_facility_code
from ksk_desktop.reports.moh_template import MohTemplate, fill, open_template
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession

UNSIGNED = "phiếu khám chưa được bác sĩ ký"
MAX_DAYS = 366
TEMPLATE_VALIDATIONS = 17  # the Ministry's template (vietnam.md §2.2)


@dataclass
class ExportPlan:
    """The rows of each output file (file 1 first) and the exams that cannot go."""

    files: list[list[Row]]
    refused: list[Refusal]
    repeat_people: int


def _check_period(date_from: date, date_to: date) -> None:
    if date_to < date_from:
        raise InvalidInput(f"Ngày cuối ({show_date(date_to)}) đứng trước ngày đầu ({show_date(date_from)}).")
    if (date_to - date_from).days >= MAX_DAYS:
        raise InvalidInput("Mỗi lần xuất tối đa một năm: hãy chia khoảng thời gian ra.")


def _versions(s: Any, versions: Any, date_from: date, date_to: date) -> list[tuple[ExamVersion, Person]]:
    """The exam versions named by the (exam_id, v) subquery *versions*, dated in the period, with their person,
    in the order they were examined."""
    q = (
        select(ExamVersion, Person)
        .join(versions, (versions.c.exam_id == ExamVersion.exam_id) & (versions.c.v == ExamVersion.version))
        .join(Person, Person.id == ExamVersion.person_id)
        .where(ExamVersion.exam_date.between(date_from, date_to))
        .order_by(ExamVersion.exam_date, ExamVersion.signed_at, ExamVersion.exam_id)
    )
    return [(e, p) for e, p in s.execute(q).all()]


def _signed(s: Any, date_from: date, date_to: date) -> list[tuple[ExamVersion, Person]]:
    """Each exam's latest signed version dated in the period (an amendment replaces what it amends)."""
    newest = select(ExamVersion.exam_id, func.max(ExamVersion.version).label("v"))
    latest = newest.where(ExamVersion.status == "signed").group_by(ExamVersion.exam_id).subquery()
    return _versions(s, latest, date_from, date_to)


def _unsigned(s: Any, date_from: date, date_to: date) -> list[tuple[ExamVersion, Person]]:
    """Exams with no signed version whose newest draft is dated in the period."""
    newest = select(ExamVersion.exam_id, func.max(ExamVersion.version).label("v"))
    drafts = newest.group_by(ExamVersion.exam_id).having(func.sum(ExamVersion.status == "signed") == 0)
    return _versions(s, drafts.subquery(), date_from, date_to)


def plan(
    ctx: StationSession,
    date_from: date,
    date_to: date,
    row_ctx: RowContext,
    progress: Callable[[int, int], None] | None = None,
) -> ExportPlan:
    """Read the period's exams and sort them into files (one CCCD per file) and refusals."""
    with ctx.read() as s:
        signed = _signed(s, date_from, date_to)
        unsigned = _unsigned(s, date_from, date_to)
        refused = [
            Refusal(e.exam_id, e.version, e.exam_date, p.id, p.full_name, p.personal_id, [UNSIGNED])
            for e, p in unsigned
        ]
        files: list[list[Row]] = []
        seen: dict[str, int] = {}
        for n, (e, p) in enumerate(signed, 1):
            built = build_row(e.version, json.loads(e.document), p, row_ctx)
            if isinstance(built, Refusal):
                refused.append(built)
            else:
                k = seen.get(built.cccd, 0)
                seen[built.cccd] = k + 1
                if k == len(files):
                    files.append([])
                files[k].append(built)
            if progress and (n % 250 == 0 or n == len(signed)):
                progress(n, len(signed))
    refused.sort(key=lambda r: (r.exam_date, r.exam_id))
    return ExportPlan(files, refused, sum(1 for v in seen.values() if v > 1))


def template_row(tpl: MohTemplate, number: int, row: Row) -> dict[int, Any]:
    """The row as column number → value: by the codes in row 2, the commune code in the MAHUYEN column."""
    out: dict[int, Any] = {}
    values = {**row.values, "TT": number}
    for code, col in tpl.columns.items():
        if code in values:
            out[col] = values[code]
    out[tpl.commune_column] = row.commune_code
    if tpl.province_id_column is not None:
        out[tpl.province_id_column] = row.province_code
    return out


def file_names(out: Path, count: int, suffix: str) -> list[Path]:
    """``OUT.xlsm``, ``OUT-2.xlsm``, ``OUT-3.xlsm``…"""
    base = out.with_suffix(suffix) if out.suffix.lower() != suffix else out
    return [base if k == 0 else base.with_name(f"{base.stem}-{k + 1}{suffix}") for k in range(count)]


def report_path(out: Path) -> Path:
    return out.with_name(f"{out.stem}-bao-cao.xlsx")


def _report_bytes(result: ExportPlan, names: list[Path], date_from: date, date_to: date) -> bytes:
    from ksk_desktop.xlsx.writer import Cell, Workbook

    wb = Workbook()

    def bold(values: list) -> list:
        return [Cell(v, bold=True) for v in values]

    period = f"{show_date(date_from)} – {show_date(date_to)}"
    with wb.sheet("Không gửi được", widths={2: 12, 3: 28, 4: 16, 5: 38, 6: 60}, freeze="A3") as ws:
        ws.append(
            [Cell(f"PHIẾU KHÁM KHÔNG ĐƯA VÀO TỆP NỘP CỔNG, {period} ({len(result.refused)})", title=True)]
        )
        ws.append(bold(["STT", "Ngày khám", "Họ và tên", "Số định danh", "Mã phiếu khám", "Lý do"]))
        for n, r in enumerate(result.refused, 1):
            ws.append([n, show_date(r.exam_date), r.name, r.cccd, r.exam_id, r.reason])
    with wb.sheet("Lưu ý", widths={2: 22, 3: 8, 4: 28, 5: 16, 6: 70}, freeze="A3") as ws:
        ws.append([Cell(f"PHIẾU ĐÃ ĐƯA VÀO TỆP NHƯNG CẦN LƯU Ý, {period}", title=True)])
        ws.append(bold(["STT", "Tệp", "Dòng", "Họ và tên", "Số định danh", "Lưu ý"]))
        n = 0
        for name, rows in zip(names, result.files, strict=True):
            for i, row in enumerate(rows):
                for w in row.warnings:
                    n += 1
                    ws.append([n, name.name, i + 4, row.name, row.cccd, w])
    with wb.sheet("Các tệp", widths={1: 30, 2: 12, 3: 70}) as ws:
        ws.append(bold(["Tệp", "Số dòng", "Ghi chú"]))
        for k, (name, rows) in enumerate(zip(names, result.files, strict=True)):
            note = "lần khám đầu tiên trong kỳ của mỗi người" if k == 0 else f"lần khám thứ {k + 1} trong kỳ"
            ws.append([name.name, len(rows), f"{note}; nộp sau tệp trước" if k else note])
    return wb.to_bytes()


def export(
    ctx: StationSession,
    template: Path,
    date_from: date,
    date_to: date,
    out: Path,
    *,
    facility_code: str | None = None,
    report: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Fill copies of *template* with the signed exams dated *date_from*…*date_to* (``out``, ``out-2``…), list what
    could not go in *report*; returns the summary. *facility_code* (MA_CSKCB) defaults to the station's QĐ 1551
    setting."""
    from ksk_desktop.fsio import sha256_file, write_private

    ctx.require(Perm.REPORT_READ)
    ctx.require(Perm.HEALTH_READ)
    _check_period(date_from, date_to)
    with ctx.read() as s:
        from ksk_desktop.db.models import Station
        from ksk_desktop.moh1551 import settings as moh_settings

        station = s.scalars(select(Station)).one()
        station_commune = station.commune_code
        if not (facility_code or "").strip():
            facility_code = moh_settings.read(s).ma_cskcb
    if not facility_code:
        raise InvalidInput(
            "Chưa có mã cơ sở KCB (MA_CSKCB): nhập mã, hoặc đặt mã của trạm ở trang Quản trị.",
            remedy=Remedy.SET_MOH_CODES,
        )
    facility = check_facility_code(facility_code)
    tpl = open_template(Path(template))
    row_ctx = RowContext(facility, station_commune, tpl.icd_names, tpl.provinces, ctx.paths.root)
    result = plan(ctx, date_from, date_to, row_ctx, progress)
    out = Path(out)
    names = file_names(out, len(result.files), tpl.suffix)
    report = Path(report) if report else report_path(names[0] if names else out)
    if report.resolve() in {n.resolve() for n in names} or report.resolve() == Path(template).resolve():
        raise InvalidInput("Tệp báo cáo phải khác tệp mẫu và các tệp xuất.")
    if Path(template).resolve() in {n.resolve() for n in names}:
        raise InvalidInput("Tệp xuất phải khác tệp mẫu: tệp mẫu được giữ nguyên để dùng lại.")
    for name, rows in zip(names, result.files, strict=True):
        data = fill(tpl, [template_row(tpl, i, r) for i, r in enumerate(rows, 1)])
        write_private(name, data, journal=ctx.paths.pending)
    write_private(report, _report_bytes(result, names, date_from, date_to), journal=ctx.paths.pending)
    exported = sum(len(rows) for rows in result.files)
    warnings = sum(len(r.warnings) for rows in result.files for r in rows)
    summary = {
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "template": tpl.to_json(),
        "files": [{"file": str(n), "rows": len(rows)} for n, rows in zip(names, result.files, strict=True)],
        "exported": exported,
        "people": len(result.files[0]) if result.files else 0,
        "repeat_people": result.repeat_people,
        "refused": len(result.refused),
        "refused_reasons": _reason_counts(result.refused),
        "warnings": warnings,
        "template_warnings": template_warnings(tpl),
        "report": str(report),
    }
    summary["message"] = summary_text(summary)
    with ctx.write() as s:
        ctx.audit(
            s,
            "moh.export",
            "exam",
            None,
            {
                "from": summary["from"],
                "to": summary["to"],
                "template_sha256": sha256_file(tpl.path),
                "files": [n.name for n in names],
                "rows": exported,
                "refused": len(result.refused),
                "exams": [r.exam_id for rows in result.files for r in rows][:2000],
            },
        )
    return summary


def template_warnings(tpl: MohTemplate) -> list[str]:
    """What in the user's copy of the template the portal may refuse (it refuses a file that lost the template's
    validations)."""
    out = []
    if tpl.validations < TEMPLATE_VALIDATIONS:
        out.append(
            f"Tệp mẫu {tpl.path.name} chỉ có {tpl.validations} ô kiểm tra dữ liệu (mẫu gốc của Bộ có "
            f"{TEMPLATE_VALIDATIONS}): cổng có thể từ chối tệp; hãy dùng bản sao nguyên vẹn của tệp mẫu."
        )
    if not tpl.has_macros:
        out.append(f"Tệp mẫu {tpl.path.name} không có macro (.xlsm) như mẫu gốc của Bộ.")
    if not tpl.icd_names:
        out.append("Tệp mẫu không có trang danh mục ICD (dmicdme): tên bệnh lấy theo danh mục của trạm.")
    return out


def _reason_counts(refused: list[Refusal]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in refused:
        for reason in r.reasons:
            counts[reason] = counts.get(reason, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: -kv[1]))


def summary_text(summary: dict[str, Any]) -> str:
    """The summary in a few Vietnamese sentences (the CLI's and the page's)."""
    files = summary["files"]
    period = (
        f"{show_date(date.fromisoformat(summary['from']))}–{show_date(date.fromisoformat(summary['to']))}"
    )
    if not files:
        lines = [f"Không có phiếu khám đã ký nào đưa được vào tệp nộp cổng trong kỳ {period}."]
    else:
        lines = [
            f"Đã ghi {summary['exported']} phiếu khám đã ký ({period}) vào {Path(files[0]['file']).name}"
            + (f" và {len(files) - 1} tệp nữa." if len(files) > 1 else ".")
        ]
    if len(files) > 1:
        rest = ", ".join(f"{Path(f['file']).name} ({f['rows']} dòng)" for f in files[1:])
        lines.append(
            f"{summary['repeat_people']} người được khám nhiều lần trong kỳ; mỗi số CCCD chỉ được có một lần trong "
            f"một tệp nên các lần khám sau nằm ở {rest}: nộp lần lượt theo thứ tự."
        )
    if summary["refused"]:
        reasons = "; ".join(f"{k}: {v}" for k, v in summary["refused_reasons"].items())
        lines.append(
            f"{summary['refused']} phiếu không đưa vào được ({reasons}): xem {Path(summary['report']).name}."
        )
    lines.extend(summary.get("template_warnings") or [])
    if summary["warnings"]:
        lines.append(f"{summary['warnings']} lưu ý trên các dòng đã ghi: xem {Path(summary['report']).name}.")
    return " ".join(lines)
