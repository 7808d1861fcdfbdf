"""The result slip (A5, one page per slip): the person, vitals, findings, diagnoses, health class, conclusion and
advice, the doctor, and a QR that verifies the record (the caller's ``verify_qr`` string, never health data)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A5
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepInFrame, PageBreak, Paragraph, Spacer, Table

from ksk_desktop.clock import to_vietnam
from ksk_desktop.people.persons import sex_label
from ksk_desktop.printing import exam_text as ex
from ksk_desktop.printing.codes import qr
from ksk_desktop.printing.fonts import markup
from ksk_desktop.printing.formats import birth, dmy, place_date
from ksk_desktop.printing.output import PdfTarget, write_pdf
from ksk_desktop.printing.page import PLAIN, StationHeader, admin_header, build, footer_drawer, para, styles

MARGINS = (12 * mm, 10 * mm, 9 * mm, 13 * mm)
FRAME_PADDING = 6  # points: SimpleDocTemplate's frame padding on each side


def _pairs(rows: list[tuple[str, str]], width: float, st: dict, columns: int = 2) -> Table:
    """Label: value pairs laid out in *columns* columns."""
    cells = [Paragraph(f"{markup(label)}: <b>{markup(value)}</b>", st["body"]) for label, value in rows]
    grid = [
        cells[i : i + columns] + [""] * (columns - len(cells[i : i + columns]))
        for i in range(0, len(cells), columns)
    ]
    table = Table(grid or [[""]], colWidths=[width / columns] * columns)
    table.setStyle(PLAIN)
    return table


def _section(title: str, st: dict) -> Paragraph:
    return para(title, st["heading"])


def _lines(items: list[str], st: dict) -> list[Flowable]:
    return [para(f"– {item}", st["body"]) for item in items]


def signed_on(exam: dict) -> date:
    """The local date the exam was signed (the exam date for a draft)."""
    if exam.get("signed_at"):
        return to_vietnam(datetime.fromisoformat(exam["signed_at"].replace("Z", "+00:00"))).date()
    return date.fromisoformat(exam["exam_date"][:10])


def _signature(exam: dict, station: StationHeader, verify: str, width: float, st: dict) -> Table:
    code = [
        qr(verify, 22 * mm),
        para("Quét mã để xác minh phiếu (mã không chứa thông tin sức khỏe).", st["small"]),
    ]
    right: list[Flowable] = [
        para(place_date(station.place, signed_on(exam)), st["center_italic"]),
        para("BÁC SĨ KHÁM", st["center_bold"]),
    ]
    if exam.get("status") == "signed":
        right += [
            para("(đã ký số)", st["center_italic"]),
            Spacer(1, 4 * mm),
            para(ex.signer(exam), st["center_bold"]),
        ]
    else:
        right += [Spacer(1, 2 * mm), para("BẢN NHÁP – CHƯA KÝ, CHƯA CÓ GIÁ TRỊ", st["center_bold"])]
    table = Table([[code, right]], colWidths=[width * 0.4, width * 0.6])
    table.setStyle(PLAIN)
    return table


def slip_story(slip: dict, station: StationHeader, width: float, st: dict) -> list[Flowable]:
    """The flowables of one slip (before they are shrunk to fit the page)."""
    person, exam = slip["person"], slip["exam"]
    form = ex.FORM_LABELS.get(exam.get("form"), "")
    story: list[Flowable] = [
        admin_header(station, width, st),
        Spacer(1, 2 * mm),
        para("PHIẾU KẾT QUẢ KHÁM SỨC KHỎE", st["title"]),
        para(f"Ngày khám: {dmy(exam['exam_date'])}" + (f" – Mẫu {form}" if form else ""), st["center"]),
        Spacer(1, 2 * mm),
    ]
    who = [
        ("Họ và tên", ex.person_name(person)),
        ("Ngày sinh", birth(ex.person_dob(person), person.get("birth_year"))),
        ("Giới", sex_label(person.get("sex"))),
        ("Số định danh", person.get("personal_id") or ""),
        ("Số thẻ BHYT", person.get("insurance_no") or ""),
        ("Địa chỉ", ex.person_address(person)),
    ]
    story.append(_pairs([(k, v) for k, v in who if v], width, st))
    vitals = ex.vitals(exam)
    if vitals:
        story += [_section("I. Chỉ số đo", st), _pairs(vitals, width, st)]
    found = ex.findings(exam, slip.get("labels"))
    if found:
        story += [_section("II. Khám lâm sàng", st), _pairs(found, width, st, columns=1)]
    result: list[Flowable] = [_section("III. Kết luận", st)]
    cls = ex.health_class(exam)
    if cls:
        result.append(Paragraph(f"Phân loại sức khỏe: <b>{markup(cls)}</b>", st["body"]))
    diagnoses = ex.diagnoses(exam)
    if diagnoses:
        result += [para("Chẩn đoán:", st["body"]), *_lines(diagnoses, st)]
    if exam.get("conclusion"):
        result.append(Paragraph(f"Kết luận: {markup(exam['conclusion'])}", st["body"]))
    if exam.get("advice"):
        result.append(Paragraph(f"Lời khuyên: {markup(exam['advice'])}", st["body"]))
    follow = ex.followups(exam)
    if follow:
        result += [para("Hẹn theo dõi:", st["body"]), *_lines(follow, st)]
    refer = ex.referrals(exam)
    if refer:
        result += [para("Chuyển tuyến:", st["body"]), *_lines(refer, st)]
    story += result + [Spacer(1, 3 * mm), _signature(exam, station, slip.get("verify_qr") or "", width, st)]
    return story


def result_slips_pdf(path: PdfTarget, slips: list[dict], station: Any, *, journal: Path | None = None) -> int:
    """Write the slips (``{"person", "exam", "verify_qr"}`` each) to *path*, one A5 page per slip (a long slip is
    shrunk to fit, never split); returns the number of pages."""
    header = StationHeader.of(station)
    st = styles(8.5)
    width = A5[0] - MARGINS[0] - MARGINS[1] - 2 * FRAME_PADDING
    height = A5[1] - MARGINS[2] - MARGINS[3] - 2 * FRAME_PADDING - 1
    story: list[Flowable] = []
    for i, slip in enumerate(slips):
        if i:
            story.append(PageBreak())
        story.append(KeepInFrame(width, height, slip_story(slip, header, width, st), mode="shrink"))
    title = "Phiếu kết quả khám sức khỏe"
    if len(slips) == 1:
        title += f" – {ex.person_name(slips[0]['person'])}"
    footer = footer_drawer(A5[0], MARGINS[0], numbered=False)
    return write_pdf(
        path,
        lambda out: build(out, story, pagesize=A5, margins=MARGINS, title=title, footer=footer),
        journal=journal,
    )
