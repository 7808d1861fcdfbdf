"""``ksk station moh-settings``, ``ksk exam export-1551`` and ``ksk catalog``, in real child processes on a real
station: an exam that cannot make a valid file writes nothing and names the missing fields on one line."""

from __future__ import annotations

import json
from datetime import date

import pytest
from exam_support import DOCTOR, ENT, EYES, INTERNAL, OTHER, STAFF_PASSWORD, add_identified_person, add_staff

from conftest import ADMIN, ADMIN_PASSWORD, run_ksk
from ksk_desktop.demo.seed import DEMO_GTIN
from ksk_desktop.moh1551 import khamsuckhoe


@pytest.fixture
def signed(station, admin_session, tmp_path):
    paths, _ = station
    add_staff(admin_session)
    pid = add_identified_person(admin_session, "Nguyễn Văn An", "031080012345", date(1980, 5, 17))
    admin_session.close()
    data = {
        "person_id": pid,
        "form": "adult",
        "exam_date": "2026-11-20",
        "values": {
            "height_cm": 165,
            "weight_kg": 60.5,
            "pulse": 78,
            "systolic": 150,
            "diastolic": 95,
            "admin.ethnicity_code": "Kinh",
            "glucose_fasting_mmol_l": 6.1,
            "conclusion.next_visit": "20/11/2027",
            **EYES,
            **ENT,
            **{**INTERNAL, "internal.circulation_class": 4},
            **{k: v for part in OTHER.values() for k, v in part.items()},
        },
        "diagnoses": ["I10"],
        "conclusion": "Tăng huyết áp độ 1",
        "advice": "Giảm muối",
    }
    path = tmp_path / "exam.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = run_ksk("--user", DOCTOR, "exam", "import", str(path), data_dir=paths.root, password=STAFF_PASSWORD)
    assert out.returncode == 0, out.stderr
    exam_id = out.stdout.strip()
    out = run_ksk("--user", DOCTOR, "exam", "sign", exam_id, data_dir=paths.root, password=STAFF_PASSWORD)
    assert out.returncode == 0, out.stderr
    return {"dir": paths.root, "exam": exam_id, "tmp": tmp_path}


def as_doctor(c, *args: str):
    return run_ksk("--user", DOCTOR, *args, data_dir=c["dir"], password=STAFF_PASSWORD)


def as_admin(c, *args: str, stdin: str | None = None):
    return run_ksk("--user", ADMIN, *args, data_dir=c["dir"], password=ADMIN_PASSWORD, stdin=stdin)


def test_export_refuses_without_facility_codes_then_writes_a_valid_file(signed) -> None:
    target = signed["tmp"] / "ksk.xml"
    out = as_doctor(signed, "exam", "export-1551", signed["exam"], "-o", str(target))
    assert out.returncode != 0 and not target.exists()
    line = out.stderr.strip()
    assert "\n" not in line and "thiếu MACSKCB, MA_CSKCB, MA_GTIN_CSKCB" in line

    out = as_admin(
        signed,
        "station",
        "moh-settings",
        "--ma-cskcb",
        "31006",
        "--gtin",
        DEMO_GTIN,
        "--account",
        "tyt.kienthuy",
        "--moh-password-stdin",
        "--json",
        stdin="Mat-khau-lien-thong\n",
    )
    assert out.returncode == 0, out.stderr
    shown = json.loads(out.stdout)
    assert shown["ma_cskcb"] == "31006" and shown["account_password_set"] is True
    assert "Mat-khau-lien-thong" not in out.stdout + out.stderr

    out = as_doctor(signed, "exam", "export-1551", signed["exam"], "-o", str(target))
    assert out.returncode == 0, out.stderr
    data = target.read_bytes()
    assert khamsuckhoe.validate(data) == []
    [(ma_lk, parts)] = khamsuckhoe.parse_file(data).records
    assert parts["XML1"]["MA_DAN_TOC"] == "01" and parts["XML1"]["SO_CCCD"] == "031080012345"
    assert parts["XML11"] == [
        {
            "MA_DICH_VU": "S01",
            "MA_CHI_SO": "14771-0",
            "TEN_CHI_SO": "Glucose máu lúc đói (tĩnh mạch)",
            "GIA_TRI": "6.1",
            "DON_VI_DO": "mmol/L",
        }
    ]
    assert parts["XML8"]["VAN_DE_SUC_KHOE"] == "1" and parts["XML8"]["HEN_KHAM_LAN_SAU"] == "1"
    assert parts["XML12"] == {
        "KET_LUAN_BENH": "I10",
        "PHAN_LOAI_SK": "4",
        "CAC_VAN_DE_SUC_KHOE": "Tăng huyết áp độ 1",
    }

    as_json = signed["tmp"] / "ksk.json"
    out = as_doctor(signed, "exam", "export-1551", signed["exam"], "--json", "-o", str(as_json))
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    assert summary["format"] == "json" and summary["signed"] is False and summary["ma_lk"] == ma_lk
    assert khamsuckhoe.parse_file(as_json.read_bytes()).records == [(ma_lk, parts)]


def test_settings_refuse_a_wrong_gln_and_station_info_is_unchanged(signed) -> None:
    out = as_admin(signed, "station", "moh-settings", "--gtin", "8930000111686")
    assert out.returncode != 0 and "chữ số kiểm tra" in out.stderr
    out = as_admin(signed, "station", "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["code"]
    out = as_doctor(signed, "station", "moh-settings")
    assert out.returncode != 0  # only who may change settings sees them


def test_catalog_import_replaces_the_occupation_list(signed) -> None:
    src = signed["tmp"] / "nghe.csv"
    src.write_text(
        "Mã,Tên nghề nghiệp\n1,Nhà lãnh đạo\n02,Nhà chuyên môn bậc cao\nxx1,bỏ\n", encoding="utf-8"
    )
    out = as_admin(signed, "catalog", "import", "occupation", str(src), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == {"list": "occupation", "file": "nghe.csv", "imported": 2, "skipped": 1}
    listed = json.loads(run_ksk("catalog", "list", "occupation", "--json", data_dir=signed["dir"]).stdout)
    assert listed["entries"] == [
        {"code": "01", "name": "Nhà lãnh đạo"},
        {"code": "02", "name": "Nhà chuyên môn bậc cao"},
    ]
    ethnic = json.loads(run_ksk("catalog", "list", "ethnicity", "--json", data_dir=signed["dir"]).stdout)
    assert len(ethnic["entries"]) == 56 and ethnic["entries"][0] == {"code": "01", "name": "Kinh"}
