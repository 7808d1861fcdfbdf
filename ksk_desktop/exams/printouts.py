"""Printing a signed exam's result slip and a referral slip through ``ksk_desktop.printing``: the exam, person
and station are loaded here, the print is audited (ids and page counts only)."""

from __future__ import annotations

from pathlib import Path

from ..db.models import Person, Referral
from ..persons import to_json as person_json
from ..security.roles import Perm
from ..session import StationSession
from ..station import station_info
from . import document
from .errors import ExamNotFound, InvalidSignature
from .forms import load_form
from .records import version_row
from .signing import verify_qr_text


def _labels(doc: dict) -> dict[str, str]:
    return {k: f.label for k, f in load_form(doc["form"], doc["form_version"]).fields.items()}


def _load(ctx: StationSession, exam_id: str) -> tuple[dict, dict]:
    with ctx.read() as s:
        row = version_row(s, exam_id, None)
        doc = document.loads(row.document)
        return doc, person_json(s.get(Person, row.person_id))


def print_result_slip(ctx: StationSession, exam_id: str, dest: Path) -> dict:
    """The A5 result slip of the newest signed version of *exam_id*, with its verification QR."""
    from ..printing.output import check_destination
    from ..printing.result_slip_pdf import result_slips_pdf

    ctx.require(Perm.PRINT)
    ctx.require(Perm.HEALTH_READ)
    dest = check_destination(dest)
    doc, person = _load(ctx, exam_id)
    if doc["status"] != "signed":
        raise InvalidSignature("Phiếu khám chưa ký: chỉ in phiếu kết quả sau khi bác sĩ ký.")
    slip = {"person": person, "exam": doc, "verify_qr": verify_qr_text(doc), "labels": _labels(doc)}
    pages = result_slips_pdf(dest, [slip], station_info(ctx))
    with ctx.write() as s:
        ctx.audit(s, "print.slip", "exam", exam_id, {"version": doc["version"], "pages": pages})
    return {"path": str(dest), "pages": pages, "rows": 1}


def print_referral(ctx: StationSession, referral_id: str, dest: Path) -> dict:
    """The referral slip of a recorded referral (from a signed exam)."""
    from ..printing.output import check_destination
    from ..printing.referral_pdf import referral_slip_pdf

    ctx.require(Perm.PRINT)
    ctx.require(Perm.HEALTH_READ)
    dest = check_destination(dest)
    with ctx.read() as s:
        ref = s.get(Referral, referral_id)
        if ref is None:
            raise ExamNotFound(f"Không tìm thấy giấy chuyển tuyến có mã {referral_id}.")
        doc = document.loads(version_row(s, ref.exam_id, ref.exam_version).document)
        person = person_json(s.get(Person, ref.person_id))
    referral = next(r for r in doc["referrals"] if r["id"] == referral_id)
    pages = referral_slip_pdf(dest, referral, person, doc, station_info(ctx), labels=_labels(doc))
    with ctx.write() as s:
        ctx.audit(s, "print.referral", "referral", referral_id, {"exam": ref.exam_id, "pages": pages})
    return {"path": str(dest), "pages": pages, "rows": 1}
