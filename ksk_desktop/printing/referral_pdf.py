"""The referral slip (giấy chuyển tuyến, A4): to whom, who is referred, a summary of the exam (signs, vitals,
diagnoses), why, how urgently, and the signatures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table

from ksk_desktop.people.persons import sex_label
from ksk_desktop.printing import exam_text as ex
from ksk_desktop.printing.fonts import markup
from ksk_desktop.printing.formats import birth, dmy, place_date
from ksk_desktop.printing.output import PdfTarget, write_pdf
from ksk_desktop.printing.page import PLAIN, StationHeader, admin_header, build, para, styles
from ksk_desktop.printing.result_slip_pdf import signed_on

MARGINS = (25 * mm, 15 * mm, 15 * mm, 18 * mm)


def _line(label: str, value: str, st: dict) -> Paragraph:
    return Paragraph(f"{markup(label)}: <b>{markup(value)}</b>", st["body"])


def referral_slip_pdf(
    path: PdfTarget,
    referral: dict,
    person: dict,
    exam: dict,
    station: Any,
    *,
    labels: dict[str, str] | None = None,
    journal: Path | None = None,
) -> int:
    """Write the referral slip of *referral* (one of ``exam["referrals"]``) to *path* (atomically); returns the
    number of pages. *labels* names the form's own fields (``"<section>.<field>"``), as on the result slip."""
    header = StationHeader.of(station)
    st = styles(11)
    width = A4[0] - MARGINS[0] - MARGINS[1]
    story: list[Flowable] = [
        admin_header(header, width, st),
        para(f"Số: {str(referral.get('id') or '')[:8].upper()}/GCT", st["body"]),
        Spacer(1, 4 * mm),
        para("GIẤY CHUYỂN TUYẾN", st["title"]),
        Paragraph(f"Kính gửi: <b>{markup(referral.get('destination'))}</b>", st["center"]),
        Spacer(1, 4 * mm),
        para(f"{header.name} trân trọng giới thiệu:", st["body"]),
    ]
    who = [
        ("Họ và tên", ex.person_name(person)),
        ("Giới", sex_label(person.get("sex"))),
        ("Ngày sinh", birth(ex.person_dob(person), person.get("birth_year"))),
        ("Số định danh cá nhân", person.get("personal_id") or ""),
        ("Số thẻ BHYT", person.get("insurance_no") or ""),
        ("Địa chỉ", ex.person_address(person)),
    ]
    story += [_line(k, v, st) for k, v in who if v]
    story += [
        para(f"Đã được khám sức khỏe tại {header.name} ngày {dmy(exam['exam_date'])}.", st["body"]),
        para("TÓM TẮT KẾT QUẢ KHÁM", st["heading"]),
    ]
    signs = [f"{label}: {value}" for label, value in ex.vitals(exam) + ex.findings(exam, labels)]
    if signs:
        story.append(para("Dấu hiệu lâm sàng, chỉ số đo: " + "; ".join(signs) + ".", st["body"]))
    diagnoses = ex.diagnoses(exam)
    if diagnoses:
        story.append(para("Chẩn đoán: " + "; ".join(diagnoses) + ".", st["body"]))
    cls = ex.health_class(exam)
    if cls:
        story.append(para(f"Phân loại sức khỏe: {cls}.", st["body"]))
    if exam.get("conclusion"):
        story.append(para(f"Kết luận: {exam['conclusion']}", st["body"]))
    story += [
        _line("Lý do chuyển tuyến", referral.get("reason") or "", st),
        _line("Mức độ", ex.urgency(referral).capitalize(), st),
    ]
    if exam.get("advice"):
        story.append(para(f"Hướng xử trí đã tư vấn: {exam['advice']}", st["body"]))
    story.append(Spacer(1, 6 * mm))
    doctor = [
        para(" ", st["center_italic"]),
        para("BÁC SĨ KHÁM", st["center_bold"]),
        para("(ký, ghi rõ họ tên)", st["center_italic"]),
        Spacer(1, 14 * mm),
        para(ex.signer(exam), st["center_bold"]),
    ]
    head = [
        para(place_date(header.place, signed_on(exam)), st["center_italic"]),
        para("TRƯỞNG TRẠM", st["center_bold"]),
        para("(ký, ghi rõ họ tên, đóng dấu)", st["center_italic"]),
    ]
    table = Table([[doctor, head]], colWidths=[width / 2, width / 2])
    table.setStyle(PLAIN)
    story.append(table)
    title = f"Giấy chuyển tuyến – {ex.person_name(person)}"
    return write_pdf(
        path, lambda out: build(out, story, pagesize=A4, margins=MARGINS, title=title), journal=journal
    )
