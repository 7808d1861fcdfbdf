"""Printing a signed exam from the screen: the result slip and a referral slip, through the printing module's
jobs (permission checked, audited) and ``save_pdf`` (where to save, atomic write, opened in the PDF viewer)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from ksk_desktop.printing import exam_jobs
from ksk_desktop.station.session import StationSession
from ksk_desktop.text import fold
from ui import ops, pdf_output


def _name(prefix: str, doc: dict, person_name: str) -> str:
    """``phieu-ket-qua-nguyen-van-an-2026-11-26.pdf``: no diacritics or spaces, safe on any disk."""
    words = "".join(c if c.isalnum() else " " for c in fold(person_name)).split()
    return "-".join([prefix, *words, doc["exam_date"]]) + ".pdf"


def print_result_slip(parent: QWidget, ctx: StationSession, doc: dict, person_name: str) -> ops.Task | None:
    return pdf_output.save_pdf(
        parent,
        _name("phieu-ket-qua", doc, person_name),
        lambda tmp: exam_jobs.print_result_slip(ctx, doc["id"], tmp, version=doc["version"]),
    )


def print_referral_slip(
    parent: QWidget, ctx: StationSession, doc: dict, referral_id: str, person_name: str
) -> ops.Task | None:
    return pdf_output.save_pdf(
        parent,
        _name("giay-chuyen-tuyen", doc, person_name),
        lambda tmp: exam_jobs.print_referral_slip(ctx, doc["id"], referral_id, tmp, version=doc["version"]),
    )
