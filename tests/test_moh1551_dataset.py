"""The QĐ 1551 data set: every demo exam builds a KHAMSUCKHOE file (XML and JSON) that parses back to the same
values and passes the schema; the validator names what is wrong; the codes (MA_LK, forms, DOI_TUONG)."""

from __future__ import annotations

import base64
import re
from datetime import date

import pytest

from ksk_desktop.demo.seed import DEMO_GTIN, DEMO_MA_CSKCB, DEMO_SECRET, create_demo
from ksk_desktop.errors import InvalidInput
from ksk_desktop.exams import records
from ksk_desktop.moh1551 import codes, khamsuckhoe, schema
from ksk_desktop.moh1551 import settings as moh_settings
from ksk_desktop.station.lifecycle import login


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from ksk_desktop.station.paths import StationPaths

    paths = StationPaths(tmp_path_factory.mktemp("moh1551") / "station")
    create_demo(paths, 600, seed=7)
    return paths


def _signed(ctx) -> list[dict]:
    return [r for r in records.list_exams(ctx) if r["status"] == "signed"]


def test_every_demo_exam_round_trips_and_validates(demo) -> None:
    ctx = login(demo, "bacsi", DEMO_SECRET)
    try:
        rows = _signed(ctx)
        assert len(rows) > 20
        types = set()
        with ctx.read() as s:
            for r in rows:
                record = khamsuckhoe.record_of(s, r["id"])
                types.add(record.record_type)
                assert record.problems() == []
                for fmt in ("xml", "json"):
                    data = khamsuckhoe.build_file(s, r["id"], fmt=fmt)
                    assert khamsuckhoe.validate(data) == [], (fmt, r["id"])
                    parsed = khamsuckhoe.parse_file(data)
                    assert parsed.ma_cskcb == DEMO_MA_CSKCB and parsed.count == "1"
                    assert parsed.records == [(record.ma_lk, record.parts)]
                    assert parsed.signatures == {"CKS_NGUOI_KET_LUAN": False, "CKS_BENH_VIEN": False}
                visit = record.parts["XML2"]
                assert visit["MA_GTIN_CSKCB"] == DEMO_GTIN and codes.exam_id_of(visit["MA_LK"]) == r["id"]
                assert record.parts["XML12"]["PHAN_LOAI_SK"] == str(r["health_class"])
                assert visit["NGAY_VAO"].startswith(r["exam_date"].replace("-", ""))
        assert {"Adult", "ChildUnder"} <= types
    finally:
        ctx.close()


def test_the_xml_carries_each_part_in_base64_and_the_signature_slots(demo) -> None:
    ctx = login(demo, "bacsi", DEMO_SECRET)
    try:
        adult = next(r for r in _signed(ctx) if r["form"] in ("adult", "elderly"))
        with ctx.read() as s:
            data = khamsuckhoe.build_file(s, adult["id"])
    finally:
        ctx.close()
    text = data.decode("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n<KHAMSUCKHOE><THONGTINDONVI><MACSKCB>')
    assert text.endswith("<CHUKYDONVI><CKS_NGUOI_KET_LUAN /><CKS_BENH_VIEN /></CHUKYDONVI></KHAMSUCKHOE>")
    assert re.search(r'<HOSO Id="KSK[0-9A-F]{32}"><FILEHOSO><LOAIHOSO>XML1</LOAIHOSO><NOIDUNGFILE>', text)
    parts = re.findall(r"<LOAIHOSO>(XML\d+)</LOAIHOSO><NOIDUNGFILE>([^<]+)</NOIDUNGFILE>", text)
    assert [p for p, _ in parts][:3] == ["XML1", "XML2", "XML7"] and "XML12" in dict(parts)
    history = base64.b64decode(dict(parts)["XML9"]).decode("utf-8")
    assert history.startswith("<?xml") and "<TIEN_SU_BENH_TAT><TSGD_MAC_BENH>0</TSGD_MAC_BENH>" in history


def _tamper(data: bytes, part: str, old: str, new: str) -> bytes:
    def swap(m: re.Match) -> str:
        inner = base64.b64decode(m.group(2)).decode("utf-8")
        assert old in inner
        return m.group(1) + base64.b64encode(inner.replace(old, new).encode()).decode() + "</NOIDUNGFILE>"

    text = data.decode("utf-8")
    pattern = rf"(<LOAIHOSO>{part}</LOAIHOSO><NOIDUNGFILE>)([^<]+)</NOIDUNGFILE>"
    return re.sub(pattern, swap, text).encode("utf-8")


def test_validator_names_missing_long_and_wrong_fields(demo) -> None:
    ctx = login(demo, "bacsi", DEMO_SECRET)
    try:
        adult = next(r for r in _signed(ctx) if r["form"] in ("adult", "elderly"))
        with ctx.read() as s:
            good = khamsuckhoe.build_file(s, adult["id"])
    finally:
        ctx.close()
    cccd = re.search(
        r"<SO_CCCD>(\d+)</SO_CCCD>",
        base64.b64decode(
            re.search(r"<LOAIHOSO>XML1</LOAIHOSO><NOIDUNGFILE>([^<]+)<", good.decode()).group(1)
        ).decode(),
    ).group(1)
    bad = _tamper(good, "XML1", f"<SO_CCCD>{cccd}</SO_CCCD>", "")
    problems = khamsuckhoe.validate(bad)
    assert [(p.part, p.field, p.missing) for p in problems] == [("XML1", "SO_CCCD", True)]
    assert "Số định danh cá nhân (CCCD)" in problems[0].message
    assert khamsuckhoe.problems_line(problems).endswith("thiếu SO_CCCD.")

    bad = _tamper(good, "XML2", "<NGUON_CHI_TRA>", "<NGUON_CHI_TRA>7")
    assert {(p.field, p.missing) for p in khamsuckhoe.validate(bad)} >= {("NGUON_CHI_TRA", False)}
    bad = _tamper(good, "XML1", "<HO_TEN>", "<HO_TEN>" + "A" * 300)
    [p] = khamsuckhoe.validate(bad)
    assert p.field == "HO_TEN" and "tối đa 255" in p.message
    bad = good.replace(b"<SOLUONGHOSO>1<", b"<SOLUONGHOSO>2<")
    assert [p.field for p in khamsuckhoe.validate(bad)] == ["SOLUONGHOSO"]
    assert khamsuckhoe.validate(b"<!DOCTYPE x [<!ENTITY a 'b'>]><KHAMSUCKHOE/>")[0].field is None
    assert khamsuckhoe.validate(b"{not json")[0].message.startswith("Tệp JSON")


def test_schema_lengths_follow_the_public_length_table() -> None:
    by_name = {(f.part, f.name): f for f in schema.FIELDS}
    assert by_name[("XML2", "MA_CSKCB")].max_len == 5 and by_name[("XML2", "MA_GTIN_CSKCB")].max_len == 13
    assert by_name[("XML1", "MA_DAN_TOC")].max_len == 2 and by_name[("XML1", "MA_NGHE_NGHIEP")].max_len == 2
    assert by_name[("XML2", "NGUON_CHI_TRA")].max_len == 1 and by_name[("XML2", "MA_LK")].max_len == 100
    assert by_name[("XML2", "DOI_TUONG")].required == schema.ALL
    assert by_name[("XML12", "PHAN_LOAI_SK")].required == schema.ALL


def test_ma_lk_is_stable_unique_and_reads_back() -> None:
    from ksk_desktop.ids import new_ids

    ids = new_ids(1000)
    lks = {codes.ma_lk(i) for i in ids}
    assert len(lks) == 1000 and all(re.fullmatch(r"KSK[0-9A-F]{32}", c) for c in lks)
    assert codes.ma_lk(ids[0]) == codes.ma_lk(ids[0]) and codes.exam_id_of(codes.ma_lk(ids[0])) == ids[0]
    assert codes.exam_id_of("KSKxyz") is None


@pytest.mark.parametrize(
    ("birth", "values", "group", "expected"),
    [
        (date(1980, 1, 1), {}, None, (2, "Adult")),
        (date(2012, 1, 1), {}, None, (1, "Minor")),
        (date(2012, 1, 1), {"admin.class_name": "8A"}, "b", (16, "Minor")),
        (date(2017, 1, 1), {"admin.class_name": "Lớp 3"}, "b", (15, "Minor")),
        (date(2009, 1, 1), {"admin.class_name": "11A2"}, "b", (17, "Minor")),
        (date(2022, 1, 1), {}, "b", (14, "ChildUnder")),
        (date(2023, 6, 1), {}, None, (13, "ChildUnder")),
        (date(2026, 10, 1), {}, None, (6, "ChildUnder")),
        (date(2025, 12, 10), {}, None, (10, "ChildUnder")),  # 11 months
        (date(2025, 10, 10), {}, None, (11, "ChildUnder")),  # 13 months
    ],
)
def test_ministry_form_by_age_band_and_grade(birth, values, group, expected) -> None:
    assert codes.ministry_form(date(2026, 11, 20), birth, None, values, group) == expected


def test_doi_tuong_maps_groups_and_priority_flags() -> None:
    on = date(2026, 11, 20)
    assert codes.subjects(on, None, [], date(1950, 1, 1), None, "11680") == ["1"]
    assert codes.subjects(on, None, ["disabled", "poor"], date(1980, 1, 1), None, "11680") == ["2", "3"]
    assert codes.subjects(on, "c", ["chronic"], date(1980, 1, 1), None, "11680") == ["5", "13"]
    assert codes.subjects(on, "b", [], date(2015, 1, 1), None, "11680") == ["10"]
    assert codes.subjects(on, None, [], date(1990, 1, 1), None, "11680") == ["14"]
    assert codes.funding_code("employer") == "4" and codes.funding_code("central_budget") == "1"


def test_settings_check_codes_and_keep_the_password_out_of_sight(admin_session) -> None:
    with pytest.raises(InvalidInput, match="chữ số kiểm tra"):
        moh_settings.update(admin_session, ma_gtin_cskcb="8930000111686")
    with pytest.raises(InvalidInput, match="5 chữ số"):
        moh_settings.update(admin_session, ma_cskcb="3100")
    got = moh_settings.update(
        admin_session,
        ma_cskcb="31006",
        ma_gtin_cskcb=DEMO_GTIN,
        account_user="tyt.kienthuy",
        account_password="Bi-mat-2026",
    )
    assert got.to_json() == {
        "ma_cskcb": "31006",
        "ma_gtin_cskcb": DEMO_GTIN,
        "province_code": "31",
        "account_user": "tyt.kienthuy",
        "account_password_set": True,
        "complete": True,
    }
    from sqlalchemy import select

    from ksk_desktop.db.models import AuditEvent

    with admin_session.read() as s:
        assert moh_settings.account_password(s) == "Bi-mat-2026"
        details = " ".join(str(e.details) for e in s.scalars(select(AuditEvent)))
    assert "Bi-mat-2026" not in details and "password_changed" in details


def test_an_exam_on_form_version_1_keeps_it_signs_prints_and_exports(
    station, admin_session, tmp_path
) -> None:
    """Old exams keep their form version: a version-1 draft still validates, signs, prints and makes a valid
    file (its conclusion block, which version 1 lacks, is derived)."""
    from exam_support import (
        DOCTOR,
        ENT,
        EYES,
        INTERNAL,
        OTHER,
        STAFF_PASSWORD,
        add_identified_person,
        add_staff,
        staff,
    )

    from ksk_desktop.exams import signing
    from ksk_desktop.moh1551.export import export
    from ksk_desktop.printing.exam_jobs import result_slip_document

    paths, _ = station
    add_staff(admin_session)
    moh_settings.update(admin_session, ma_cskcb="31006", ma_gtin_cskcb=DEMO_GTIN)
    pid = add_identified_person(admin_session, "Lê Thị Bình", "031185012345", date(1985, 3, 2), "F")
    doctor = staff(paths, DOCTOR)
    try:
        values = {
            "height_cm": 156,
            "weight_kg": 50,
            "pulse": 72,
            "systolic": 118,
            "diastolic": 76,
            **EYES,
            **ENT,
            **INTERNAL,
            "obgyn.class": 1,
            **{k: v for part in OTHER.values() for k, v in part.items()},
        }
        doc = records.import_exam(
            doctor,
            {
                "person_id": pid,
                "form": "adult",
                "form_version": 1,
                "exam_date": "2026-11-20",
                "values": values,
            },
        )
        assert doc["form_version"] == 1
        signed = signing.sign(doctor, doc["id"], STAFF_PASSWORD)
        assert signed["form_version"] == 1 and signing.verify(doctor, doc["id"])["valid"]
        assert records.load(doctor, doc["id"]).document["form_version"] == 1
        assert result_slip_document(doctor, doc["id"]).pages == 1
        summary = export(doctor, doc["id"], tmp_path / "v1.xml")
        assert (
            summary["type"] == "Adult"
            and "chưa ghi dân tộc: MA_DAN_TOC ghi 56 (không xác định)" in summary["warnings"]
        )
        [(_, parts)] = khamsuckhoe.parse_file((tmp_path / "v1.xml").read_bytes()).records
        assert parts["XML8"]["BINH_THUONG"] == "1" and parts["XML12"]["KET_LUAN_BENH"] == "Z00.0"
        assert "XML11" not in parts and parts["XML1"]["GIOI_TINH"] == "2"
        new = records.open_draft(doctor, pid, exam_date=date(2026, 11, 21))
        assert new.document["form_version"] == 2  # a new exam takes the newest version
    finally:
        doctor.close()


def test_coded_fields_take_the_code_or_the_name() -> None:
    from ksk_desktop.exams.forms import load_form
    from ksk_desktop.exams.validation import coerce

    f = load_form("adult").field("admin.ethnicity_code")
    assert coerce(f, "kinh") == "01" and coerce(f, "1") == "01" and coerce(f, "08 - HMông") == "08"
    with pytest.raises(InvalidInput, match="Dân tộc"):
        coerce(f, "99")
    assert load_form("adult", 1).field("admin.ethnicity_code").catalog is None  # version 1 is unchanged
