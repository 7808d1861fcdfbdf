"""Printing a signed exam: the result slip (read back with pdftotext, its QR decoded and verified) and the
referral slip, through ``ksk print slip|referral``."""

from __future__ import annotations

import json
import subprocess

import pytest
import zxingcpp
from exam_support import DOCTOR, ENT, EYES, INTERNAL, OTHER, STAFF_PASSWORD, add_person, add_staff, staff
from PIL import Image

from conftest import run_ksk
from ksk_desktop.errors import InvalidInput
from ksk_desktop.exams import records, signing
from ksk_desktop.printing.exam_jobs import print_result_slip


def _text(pdf) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_result_slip_and_referral_slip(station, admin_session, tmp_path) -> None:
    paths, _ = station
    add_staff(admin_session)
    pid = add_person(admin_session, "Đỗ Thị Hồng", sex="F")
    admin_session.close()
    doctor = staff(paths, DOCTOR)
    try:
        values = {
            "height_cm": 152,
            "weight_kg": 50,
            "pulse": 76,
            "systolic": 185,
            "diastolic": 112,
            **EYES,
            **ENT,
            **{**INTERNAL, "internal.circulation_class": 4},
            "obgyn.class": 1,
            **{k: v for part in OTHER.values() for k, v in part.items()},
        }
        draft = records.import_exam(
            doctor,
            {
                "person_id": pid,
                "form": "adult",
                "exam_date": "2026-11-20",
                "values": values,
                "diagnoses": ["I10"],
                "conclusion": "THA độ 3",
            },
        )
        with pytest.raises(InvalidInput, match="chưa ký"):
            print_result_slip(doctor, draft["id"], tmp_path / "draft.pdf")
        from ksk_desktop.exams import plan

        suggested = plan.suggest_for(doctor, draft["id"])
        assert suggested["referrals"][0]["urgency"] == "urgent"
        plan.set_plan(doctor, draft["id"], suggested["referrals"], suggested["followups"], expected_version=0)
        doc = signing.sign(doctor, draft["id"], STAFF_PASSWORD)
    finally:
        doctor.close()

    slip = tmp_path / "slip.pdf"
    out = run_ksk(
        "--user",
        DOCTOR,
        "print",
        "slip",
        doc["id"],
        "-o",
        str(slip),
        "--json",
        data_dir=paths.root,
        password=STAFF_PASSWORD,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["pages"] == 1
    text = _text(slip)
    assert "Đỗ Thị Hồng" in text.replace("ĐỖ THỊ HỒNG", "Đỗ Thị Hồng") and "I10" in text
    subprocess.run(
        ["pdftoppm", "-r", "200", "-png", "-singlefile", str(slip), str(tmp_path / "slip")], check=True
    )
    codes = zxingcpp.read_barcodes(Image.open(tmp_path / "slip.png"))
    qr = next(c.text for c in codes if c.text.startswith("KSK1|"))
    assert qr == signing.verify_qr_text(doc)
    ok = run_ksk("--user", DOCTOR, "exam", "verify", qr, data_dir=paths.root, password=STAFF_PASSWORD)
    assert ok.returncode == 0 and "hợp lệ" in ok.stdout

    ref = tmp_path / "ref.pdf"
    out = run_ksk(
        "--user",
        DOCTOR,
        "print",
        "referral",
        doc["referrals"][0]["id"],
        "-o",
        str(ref),
        data_dir=paths.root,
        password=STAFF_PASSWORD,
    )
    assert out.returncode == 0, out.stderr
    text = _text(ref)
    assert "GIẤY CHUYỂN TUYẾN" in text and doc["referrals"][0]["destination"] in text
    missing = run_ksk(
        "--user",
        DOCTOR,
        "print",
        "referral",
        "nope",
        "-o",
        str(tmp_path / "x.pdf"),
        data_dir=paths.root,
        password=STAFF_PASSWORD,
    )
    assert missing.returncode == 8 and missing.stderr.startswith("Lỗi: ")
