"""Result slips (A5, one page each, verify QR) and the referral slip, built from exam documents of the exams
contract that the tests construct, read back with pdftotext and the QR decoded by zxing-cpp."""

from __future__ import annotations

import copy
import subprocess
import unicodedata
from pathlib import Path

import pytest
import zxingcpp
from test_printing_schedule import decode, nfd, pdf_pages, pdftotext

from ksk_desktop.clinical.assessment import classify
from ksk_desktop.printing import referral_slip_pdf, result_slips_pdf

STATION = {"name": "Trạm Y tế xã Kiến Thụy", "commune_code": "11680", "commune_name": "Xã Kiến Thụy"}
VERIFY = "KSK-VERIFY:0b7d3c52-52f3-4a49-9a7e-0d7f3f0d2b11:v1:ZmFrZS1zaWduYXR1cmU"


def person(name: str = "Nguyễn Thị Hường") -> dict:
    return {
        "id": "7c1e5a2b-8d3f-4b6a-9c0e-1f2a3b4c5d6e",
        "personal_id": "031160001234",
        "old_id": None,
        "name": nfd(name),
        "dob": "1960-03-05",
        "birth_year": 1960,
        "sex": "F",
        "hamlet": "Thôn Đông",
        "current_address": "Xã Kiến Thụy, Hải Phòng",
        "phone": "0912345678",
        "insurance_no": "GD4313120012345",
        "groups": ["a"],
        "flags": ["elderly"],
    }


def exam(**changes: object) -> dict:
    values = {
        "height_cm": 155,
        "weight_kg": 62.5,
        "systolic": 150,
        "diastolic": 95,
        "pulse": 80,
        "vision_right_uncorrected": 8,
        "vision_left_uncorrected": 7,
        "glucose_fasting_mmol_l": 5.6,
        "tuan_hoan.nhip_tim": nfd("Nhịp tim đều, không có tiếng thổi"),
        "bung.gan_to": False,
    }
    measured = {k: v for k, v in values.items() if "." not in k}
    doc = {
        "id": "0b7d3c52-52f3-4a49-9a7e-0d7f3f0d2b11",
        "version": 1,
        "person_id": "7c1e5a2b-8d3f-4b6a-9c0e-1f2a3b4c5d6e",
        "appointment_id": None,
        "form": "elderly",
        "form_version": 1,
        "exam_date": "2026-11-20",
        "values": values,
        "confirmed": [],
        "assessment": classify(
            {"sex": "F", "birth_date": "1960-03-05", "exam_date": "2026-11-20", **measured}
        ),
        "health_class": 3,
        "health_class_reason": None,
        "diagnoses": [{"code": "I10", "name": "Bệnh lý tăng huyết áp vô căn (nguyên phát)", "primary": True}],
        "conclusion": nfd("Tăng huyết áp độ 1, thừa cân."),
        "advice": "Ăn nhạt, giảm cân.\nTái khám sau một tháng.",
        "referrals": [
            {
                "id": "5e0f8a6c-1111-4222-8333-944455556666",
                "destination": "Bệnh viện Đa khoa Kiến Thụy",
                "reason": "Đánh giá tổn thương cơ quan đích",
                "urgency": "soon",
            }
        ],
        "followups": [
            {"id": "f-1", "kind": "hypertension", "due_date": "2026-12-20", "note": "Đo lại huyết áp"}
        ],
        "status": "signed",
        "amends_version": None,
        "amendment_reason": None,
        "signed_by": "bacsi",
        "signer_name": "BS. Đặng Văn Minh",
        "signed_at": "2026-11-20T17:30:00Z",
        "signer_key_id": "ab12",
        "signature": "c2lnbmF0dXJl",
    }
    doc.update(changes)
    return doc


def slip(**changes: object) -> dict:
    return {
        "person": person(),
        "exam": exam(**changes),
        "verify_qr": VERIFY,
        "labels": {"tuan_hoan.nhip_tim": "Tuần hoàn", "bung.gan_to": "Gan to"},
    }


def test_result_slip_reads_back_with_vietnamese_intact(tmp_path):
    out = tmp_path / "phieu.pdf"
    assert result_slips_pdf(out, [slip()], STATION) == 1 == pdf_pages(out)
    info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
    assert "419.528 x 595.276 pts" in info  # A5
    txt = pdftotext(out)
    for words in (
        "PHIẾU KẾT QUẢ KHÁM SỨC KHỎE",
        "Ngày khám: 20/11/2026",
        "Nguyễn Thị Hường",
        "05/03/1960",
        "Nữ",
        "Chiều cao: 155 cm",
        "Cân nặng: 62,5 kg",
        "150/95 mmHg",
        "Tăng huyết áp độ 1",
        "BMI: 26",
        "Mạch: 80 lần/phút",
        "8/10",
        "5,6 mmol/L",
        "Tuần hoàn: Nhịp tim đều, không có tiếng thổi",
        "Gan to: Không",
        "Loại III – Trung bình",
        "I10 – Bệnh lý tăng huyết áp vô căn",
        "Tăng huyết áp độ 1, thừa cân.",
        "Tái khám sau một tháng.",
        "hẹn ngày 20/12/2026",
        "Bệnh viện Đa khoa Kiến Thụy",
        "BS. Đặng Văn Minh",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Kiến Thụy, ngày 21 tháng 11 năm 2026",
    ):  # signed 17:30 UTC = 00:30 the next day in Hải Phòng
        assert words in " ".join(txt.split()), words
    assert unicodedata.is_normalized("NFC", txt) and "BẢN NHÁP" not in txt
    assert decode(out, tmp_path, zxingcpp.BarcodeFormat.QRCode) == [[VERIFY]]


def test_many_slips_one_page_each_even_when_long(tmp_path):
    long_advice = " ".join(["Duy trì chế độ ăn ít muối, nhiều rau xanh, tập thể dục đều đặn."] * 40)
    slips = [slip(), slip(advice=long_advice, status="draft", signed_at=None, signer_name=None), slip()]
    slips[2]["person"] = person("Lê Văn Đông")
    slips[2]["verify_qr"] = VERIFY.replace("v1", "v2")
    out = tmp_path / "nhieu.pdf"
    assert result_slips_pdf(out, slips, STATION) == 3 == pdf_pages(out)
    pages = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True
    ).stdout.split("\f")
    assert "Nguyễn Thị Hường" in pages[0] and "BẢN NHÁP" in pages[1] and "Lê Văn Đông" in pages[2]
    assert "BẢN NHÁP" not in pages[0] + pages[2]
    assert decode(out, tmp_path, zxingcpp.BarcodeFormat.QRCode) == [
        [VERIFY],
        [VERIFY],
        [VERIFY.replace("v1", "v2")],
    ]


def test_slip_with_only_the_required_keys(tmp_path):
    bare = exam(
        values={},
        assessment={},
        diagnoses=[],
        referrals=[],
        followups=[],
        health_class=None,
        conclusion="",
        advice="",
        status="draft",
        signed_at=None,
        signer_name=None,
    )
    out = tmp_path / "trong.pdf"
    assert (
        result_slips_pdf(out, [{"person": {"name": "Phạm Thu Hà"}, "exam": bare, "verify_qr": "x"}], STATION)
        == 1
    )
    assert "Phạm Thu Hà" in pdftotext(out)


def test_referral_slip(tmp_path):
    doc = exam()
    out = tmp_path / "chuyen-tuyen.pdf"
    assert (
        referral_slip_pdf(
            out, doc["referrals"][0], person(), doc, STATION, labels={"tuan_hoan.nhip_tim": "Tuần hoàn"}
        )
        == 1
    )
    txt = " ".join(pdftotext(out).split())
    for words in (
        "GIẤY CHUYỂN TUYẾN",
        "Kính gửi: Bệnh viện Đa khoa Kiến Thụy",
        "Số: 5E0F8A6C/GCT",
        "Họ và tên: Nguyễn Thị Hường",
        "Số thẻ BHYT: GD4313120012345",
        "Địa chỉ: Thôn Đông",
        "Lý do chuyển tuyến: Đánh giá tổn thương cơ quan đích",
        "Mức độ: Sớm",
        "Chẩn đoán: I10 – Bệnh lý tăng huyết áp vô căn (nguyên phát)",
        "Tuần hoàn: Nhịp tim đều",
        "TRƯỞNG TRẠM",
        "BS. Đặng Văn Minh",
        "Trang 1/1",
    ):
        assert words in txt, words


@pytest.mark.parametrize("urgency,label", [("urgent", "Khẩn cấp"), ("routine", "Thường quy")])
def test_referral_urgency_labels(tmp_path, urgency, label):
    doc = copy.deepcopy(exam())
    doc["referrals"][0]["urgency"] = urgency
    out: Path = tmp_path / "r.pdf"
    referral_slip_pdf(out, doc["referrals"][0], person(), doc, STATION)
    assert f"Mức độ: {label}" in pdftotext(out)


def test_findings_read_as_words_not_raw_values():
    from ksk_desktop.printing.exam_text import findings

    exam = {
        "values": {
            "eyes.class": 2,
            "internal.circulation_class": {"class": 1, "reason": "đã điều trị ổn định"},
            "history.smoking": True,
            "history.alcohol": False,
            "teeth.note": "Sâu răng 36",
            "height_cm": 160,
        }
    }
    labels = {"eyes.class": "Phân loại mắt"}
    got = dict(findings(exam, labels))
    assert got == {
        "Phân loại mắt": "Loại II",
        "Circulation class": "Loại I (đã điều trị ổn định)",
        "Smoking": "Có",
        "Alcohol": "Không",
        "Note": "Sâu răng 36",
    }


def test_address_names_the_hamlet_once():
    from ksk_desktop.printing.exam_text import person_address

    assert (
        person_address({"hamlet": "Thôn 3", "current_address": "Thôn 3, Xã Kiến Thụy"})
        == "Thôn 3, Xã Kiến Thụy"
    )
    assert (
        person_address({"hamlet": "Thôn 3", "current_address": "Thôn 30, Xã Kiến Thụy"})
        == "Thôn 3, Thôn 30, Xã Kiến Thụy"
    )
    assert person_address({"hamlet": "Thôn 3", "permanent_address": None}) == "Thôn 3"
