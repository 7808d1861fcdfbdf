"""Printing a signed exam for the app and scripts: the A5 result slip and a referral slip, with the permission
checked, the exam read from the station, the PDF written atomically and one audit event (ids and counts only)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from ksk_desktop.db.models import Referral
from ksk_desktop.errors import InvalidInput, NotFound
from ksk_desktop.exams import document
from ksk_desktop.exams.forms import load_form
from ksk_desktop.exams.records import person_of, version_row
from ksk_desktop.exams.signing import verify_qr_text
from ksk_desktop.people import persons
from ksk_desktop.printing.jobs import Printed
from ksk_desktop.printing.output import PdfDocument, PdfTarget, check_destination, to_memory
from ksk_desktop.printing.referral_pdf import referral_slip_pdf
from ksk_desktop.printing.result_slip_pdf import result_slips_pdf
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.lifecycle import station_info
from ksk_desktop.station.session import StationSession


def _signed_exam(s: Session, exam_id: str, version: int | None) -> dict:
    doc = document.loads(version_row(s, exam_id, version).document)
    if doc["status"] != "signed":
        raise InvalidInput(
            "Phiếu khám chưa ký: bác sĩ ký xác nhận trước rồi mới in phiếu kết quả hay giấy chuyển tuyến."
        )
    return doc


def _labels(doc: dict) -> dict[str, str]:
    return {key: f.label for key, f in load_form(doc["form"], doc["form_version"]).fields.items()}


def result_slip(ctx: StationSession, exam_id: str, version: int | None = None) -> dict:
    """``{"person", "exam", "verify_qr", "labels"}`` of a signed exam version (not audited: the print is)."""
    ctx.require(Perm.HEALTH_READ)
    with ctx.read() as s:
        doc = _signed_exam(s, exam_id, version)
        person = persons.to_json(person_of(s, doc["person_id"]))
    return {"person": person, "exam": doc, "verify_qr": verify_qr_text(doc), "labels": _labels(doc)}


def _result_slip(ctx: StationSession, exam_id: str, target: PdfTarget, version: int | None) -> int:
    ctx.require(Perm.PRINT)
    slip = result_slip(ctx, exam_id, version)
    pages = result_slips_pdf(target, [slip], station_info(ctx), journal=ctx.paths.pending)
    with ctx.write() as s:
        ctx.audit(
            s, "print.result_slip", "exam", exam_id, {"version": slip["exam"]["version"], "pages": pages}
        )
    return pages


def print_result_slip(
    ctx: StationSession, exam_id: str, dest: Path, *, version: int | None = None
) -> Printed:
    """The A5 result slip of a signed exam (the newest version by default) to *dest*."""
    ctx.require(Perm.PRINT)
    dest = check_destination(dest)
    return Printed(dest, _result_slip(ctx, exam_id, dest, version), 1)


def result_slip_document(ctx: StationSession, exam_id: str, *, version: int | None = None) -> PdfDocument:
    """The A5 result slip of a signed exam in memory (for the app's print preview)."""
    data, pages = to_memory(lambda stream: _result_slip(ctx, exam_id, stream, version))
    return PdfDocument(data, pages, 1, "Phiếu kết quả khám sức khỏe")


def _referral_slip(
    ctx: StationSession, exam_id: str, referral_id: str, target: PdfTarget, version: int | None
) -> int:
    ctx.require(Perm.PRINT)
    ctx.require(Perm.HEALTH_READ)
    with ctx.read() as s:
        doc = _signed_exam(s, exam_id, version)
        person = persons.to_json(person_of(s, doc["person_id"]))
    referral = next((r for r in doc["referrals"] if r["id"] == referral_id), None)
    if referral is None:
        raise NotFound(f"Phiếu khám {exam_id} không có giấy chuyển tuyến {referral_id}.")
    pages = referral_slip_pdf(
        target, referral, person, doc, station_info(ctx), labels=_labels(doc), journal=ctx.paths.pending
    )
    with ctx.write() as s:
        ctx.audit(
            s,
            "print.referral",
            "referral",
            referral_id,
            {"exam": exam_id, "version": doc["version"], "pages": pages},
        )
    return pages


def print_referral_slip(
    ctx: StationSession, exam_id: str, referral_id: str, dest: Path, *, version: int | None = None
) -> Printed:
    """The referral slip of one of a signed exam's referrals to *dest*."""
    ctx.require(Perm.PRINT)
    ctx.require(Perm.HEALTH_READ)
    dest = check_destination(dest)
    return Printed(dest, _referral_slip(ctx, exam_id, referral_id, dest, version), 1)


def referral_slip_document(
    ctx: StationSession, exam_id: str, referral_id: str, *, version: int | None = None
) -> PdfDocument:
    """The referral slip of one of a signed exam's referrals in memory (for the app's print preview)."""
    data, pages = to_memory(lambda stream: _referral_slip(ctx, exam_id, referral_id, stream, version))
    return PdfDocument(data, pages, 1, "Giấy chuyển tuyến")


def print_referral(ctx: StationSession, referral_id: str, dest: Path) -> Printed:
    """The referral slip of a recorded referral (``ksk print referral ID``): the exam version it came from."""
    with ctx.read() as s:
        ref = s.get(Referral, referral_id)
        if ref is None:
            raise NotFound(f"Không tìm thấy giấy chuyển tuyến có mã {referral_id}.")
        exam_id, version = ref.exam_id, ref.exam_version
    return print_referral_slip(ctx, exam_id, referral_id, dest, version=version)
