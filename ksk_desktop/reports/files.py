"""Writing a report to a file (.xlsx or .pdf, chosen by the name) or to memory for the print preview; every
file written is audited (the figures are aggregates, the file still leaves the database)."""

from __future__ import annotations

from pathlib import Path

from ksk_desktop.errors import InvalidInput
from ksk_desktop.printing.output import PdfDocument, to_memory
from ksk_desktop.reports import layout, report_pdf, report_xlsx
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession

SUFFIXES = (".xlsx", ".pdf")


def _station(report: dict) -> dict:
    return {
        "name": report["station_name"],
        "commune_code": report["commune_code"],
        "commune_name": report.get("commune_name"),
    }


def _period(report: dict) -> str:
    return report.get("month") or str(report.get("year"))


def write(ctx: StationSession, report: dict, dest: Path) -> dict:
    """Write *report* (``monthly.build`` / ``annual.build``) to *dest*; returns ``{"file", "format", "pages"}``."""
    ctx.require(Perm.REPORT_READ)
    dest = Path(dest)
    suffix = dest.suffix.lower()
    if suffix not in SUFFIXES:
        raise InvalidInput(f"Tệp báo cáo phải có đuôi .xlsx hoặc .pdf (đã nhập {dest.name!r}).")
    lay = layout.of(report, ctx.clock.today())
    pages = None
    if suffix == ".xlsx":
        from ksk_desktop.fsio import write_private

        dest = write_private(
            dest,
            report_xlsx.to_bytes(
                lay, unit_name=report["station_name"], commune_name=report.get("commune_name") or ""
            ),
            journal=ctx.paths.pending,
        )
    else:
        ctx.require(Perm.PRINT)
        pages = report_pdf.write(dest, lay, _station(report), journal=ctx.paths.pending)
        dest = dest.resolve()
    with ctx.write() as s:
        ctx.audit(
            s,
            "report.export",
            "report",
            None,
            {"kind": report["kind"], "period": _period(report), "file": dest.name},
        )
    return {"file": str(dest), "format": suffix[1:], "pages": pages}


def document(ctx: StationSession, report: dict) -> PdfDocument:
    """*report* as a PDF in memory, for the app's print preview."""
    ctx.require(Perm.PRINT)
    lay = layout.of(report, ctx.clock.today())
    data, pages = to_memory(lambda stream: report_pdf.write(stream, lay, _station(report)))
    with ctx.write() as s:
        ctx.audit(s, "report.print", "report", None, {"kind": report["kind"], "period": _period(report)})
    return PdfDocument(data, pages, 0, lay.file_title)
