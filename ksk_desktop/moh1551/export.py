"""``ksk exam export-1551``: the KHAMSUCKHOE file of one signed exam, validated before it is written (an invalid
exam writes nothing and names what is missing). The file is unsigned when the station has no certificates set
up; reading the exam is audited."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ksk_desktop.errors import InvalidInput
from ksk_desktop.moh1551 import khamsuckhoe, settings
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession

FORMATS = ("xml", "json")


def export(ctx: StationSession, exam_id: str, out: Path, fmt: str = "xml") -> dict[str, Any]:
    from ksk_desktop.fsio import write_private

    ctx.require(Perm.HEALTH_READ)
    if fmt not in FORMATS:
        raise InvalidInput("Định dạng tệp phải là xml hoặc json.")
    with ctx.write() as s:
        row = khamsuckhoe.signed_row(s, exam_id)
        conf = settings.read(s)
        record = khamsuckhoe.build_record(s, row, conf, ctx.paths.root)
        render = khamsuckhoe.render_json if fmt == "json" else khamsuckhoe.render_xml
        data = render(record, conf.ma_cskcb, khamsuckhoe.made_on(row))
        ctx.audit(s, "exam.export_1551", "exam", exam_id, {"version": row.version, "format": fmt})
    problems = khamsuckhoe.validate(data)
    if problems:
        raise InvalidInput(khamsuckhoe.problems_line(problems))
    write_private(Path(out), data, journal=ctx.paths.pending)
    return {
        "ok": True,
        "exam_id": exam_id,
        "version": record.version,
        "ma_lk": record.ma_lk,
        "type": record.record_type,
        "form_number": record.form_number,
        "format": fmt,
        "file": str(out),
        "bytes": len(data),
        "signed": False,
        "parts": list(record.parts),
        "warnings": record.warnings,
    }
