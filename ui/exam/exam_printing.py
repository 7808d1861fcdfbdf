"""Printing a signed exam from the screen: the result slip and a referral slip, made by the printing module's jobs
on the worker (permission checked, audited, in memory) and shown in the print preview ("In…", "Lưu PDF…")."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from ksk_desktop.printing import exam_jobs
from ksk_desktop.station.session import StationSession
from ksk_desktop.text import fold
from ui import ops
from ui.printing.preview import preview_document


def _name(prefix: str, doc: dict, person_name: str) -> str:
    """``phieu-ket-qua-nguyen-van-an-2026-11-26.pdf``: no diacritics or spaces, safe on any disk."""
    words = "".join(c if c.isalnum() else " " for c in fold(person_name)).split()
    return "-".join([prefix, *words, doc["exam_date"]]) + ".pdf"


def print_result_slip(parent: QWidget, ctx: StationSession, doc: dict, person_name: str) -> ops.Task:
    exam_id, version = doc["id"], doc["version"]
    return preview_document(
        parent,
        lambda: exam_jobs.result_slip_document(ctx, exam_id, version=version),
        _name("phieu-ket-qua", doc, person_name),
    )


def print_referral_slip(
    parent: QWidget, ctx: StationSession, doc: dict, referral_id: str, person_name: str
) -> ops.Task:
    exam_id, version = doc["id"], doc["version"]
    return preview_document(
        parent,
        lambda: exam_jobs.referral_slip_document(ctx, exam_id, referral_id, version=version),
        _name("giay-chuyen-tuyen", doc, person_name),
    )
