"""Exam records against a real SQLCipher station: drafts saved by section by different roles, version conflicts,
implausible values, missing required fields, sign-off, signatures, tampering, amendments, ICD-10, referrals and
follow-ups, outbox and audit."""

from __future__ import annotations

import base64
import json
from datetime import date

import pytest
from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from exam_support import (
    DOCTOR,
    DOCTOR2,
    EXAM_DATE,
    NURSE,
    STAFF_PASSWORD,
    add_person,
    add_staff,
    fill_adult,
    staff,
)
from sqlalchemy import select, text

from conftest import ADMIN_PASSWORD
from ksk_desktop.db.models import AuditEvent, ExamVersion, FollowUp, OutboxItem, Referral
from ksk_desktop.errors import InvalidInput, PermissionDenied, Remedy
from ksk_desktop.exams import amendments, followups, keys, plan, records, signing
from ksk_desktop.exams.errors import (
    ExamSigned,
    InvalidSignature,
    SigningBlocked,
    UnknownDiagnosis,
    VersionConflict,
)


@pytest.fixture
def clinic(station, admin_session):
    paths, _ = station
    add_staff(admin_session)
    pid = add_person(admin_session)
    doctor, doctor2, nurse = staff(paths, DOCTOR), staff(paths, DOCTOR2), staff(paths, NURSE)
    yield {
        "paths": paths,
        "admin": admin_session,
        "person": pid,
        "doctor": doctor,
        "doctor2": doctor2,
        "nurse": nurse,
    }
    for ctx in (doctor, doctor2, nurse):
        ctx.close()


def _draft(c) -> str:
    return records.open_draft(c["doctor"], c["person"], exam_date=EXAM_DATE).document["id"]


def _signed(c) -> dict:
    exam_id = _draft(c)
    fill_adult(c["doctor"], exam_id)
    return signing.sign(c["doctor"], exam_id, STAFF_PASSWORD)


def _audit(c, action: str) -> list[AuditEvent]:
    with c["admin"].read() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_open_draft_creates_once_with_form_by_age(clinic) -> None:
    first = records.open_draft(clinic["doctor"], clinic["person"], exam_date=EXAM_DATE)
    again = records.open_draft(clinic["doctor"], clinic["person"], exam_date=EXAM_DATE)
    doc = first.document
    assert again.document["id"] == doc["id"] and doc["form"] == "adult" and doc["status"] == "draft"
    assert doc["version"] == 1 and doc["values"] == {} and doc["exam_date"] == "2026-11-20"
    assert {m["key"] for m in first.missing_required} >= {"height_cm", "systolic", "eyes.class"}
    child = add_person(clinic["admin"], "Trần Bé Na", date(2016, 3, 1), "F")
    elder = add_person(clinic["admin"], "Phạm Văn Thọ", date(1950, 1, 1), "M")
    assert records.open_draft(clinic["doctor"], child, exam_date=EXAM_DATE).document["form"] == "child"
    assert records.open_draft(clinic["doctor"], elder, exam_date=EXAM_DATE).document["form"] == "elderly"


def test_nurse_saves_vitals_doctor_saves_specialties_without_conflict(clinic) -> None:
    exam_id = _draft(clinic)
    nurse_view = records.load(clinic["nurse"], exam_id)
    doctor_view = records.load(clinic["doctor"], exam_id)
    st = records.save_section(
        clinic["nurse"],
        exam_id,
        "physique",
        {"height_cm": 165, "weight_kg": 60.5},
        expected_version=nurse_view.section_versions.get("physique", 0),
    )
    assert "assessment" not in st.document  # the nurse has no HEALTH_READ: no classification shown
    assert st.document["values"] == {"height_cm": 165, "weight_kg": 60.5}
    # The doctor's stale view of another section still saves: sections are versioned separately.
    st = records.save_section(
        clinic["doctor"],
        exam_id,
        "eyes",
        {"vision_right_uncorrected": 8},
        expected_version=doctor_view.section_versions.get("eyes", 0),
    )
    assert st.document["values"]["height_cm"] == 165 and st.document["assessment"]["bmi"]["value"] == 22.2
    # Autosave of the same section again and again, then the nurse adds the pressure.
    st = records.save_section(
        clinic["nurse"],
        exam_id,
        "physique",
        {"pulse": 72, "systolic": 150, "diastolic": 95},
        expected_version=1,
    )
    assert st.section_versions == {"eyes": 1, "physique": 2}
    with pytest.raises(PermissionDenied):
        records.save_section(
            clinic["nurse"], exam_id, "eyes", {"vision_left_uncorrected": 9}, expected_version=1
        )
    with pytest.raises(PermissionDenied):
        records.get_exam(clinic["nurse"], exam_id)
    doc = records.get_exam(clinic["doctor"], exam_id)
    assert doc["assessment"]["blood_pressure"]["code"] == "tha_do_1"
    saves = [json.loads(e.details) for e in _audit(clinic, "exam.save")]
    assert {"section": "physique", "fields": ["pulse", "systolic", "diastolic"]}.items() <= saves[-1].items()
    assert all("150" not in e.details for e in _audit(clinic, "exam.save"))  # no health values in the trail


def test_stale_section_version_conflicts_and_writes_nothing(clinic) -> None:
    exam_id = _draft(clinic)
    records.save_section(clinic["nurse"], exam_id, "physique", {"height_cm": 165}, expected_version=0)
    with pytest.raises(VersionConflict, match="dieuduong"):
        records.save_section(clinic["doctor"], exam_id, "physique", {"height_cm": 170}, expected_version=0)
    assert records.get_exam(clinic["doctor"], exam_id)["values"]["height_cm"] == 165


def test_values_are_checked_against_the_form(clinic) -> None:
    exam_id = _draft(clinic)
    with pytest.raises(InvalidInput, match="Chiều cao"):
        records.save_section(clinic["nurse"], exam_id, "physique", {"height_cm": "cao"}, expected_version=0)
    with pytest.raises(InvalidInput, match="không thuộc phần"):
        records.save_section(clinic["doctor"], exam_id, "physique", {"eyes.class": 1}, expected_version=0)
    with pytest.raises(InvalidInput, match="không có trường"):
        records.save_section(clinic["doctor"], exam_id, "physique", {"shoe_size": 42}, expected_version=0)
    with pytest.raises(InvalidInput, match="loại sức khỏe"):
        records.save_section(clinic["doctor"], exam_id, "eyes", {"eyes.class": 7}, expected_version=0)
    st = records.save_section(clinic["doctor"], exam_id, "eyes", {"eyes.class": "II"}, expected_version=0)
    assert st.document["values"]["eyes.class"] == 2


def test_implausible_value_needs_confirmation_before_signing(clinic) -> None:
    exam_id = _draft(clinic)
    st = fill_adult(
        clinic["doctor"],
        exam_id,
        vitals={"height_cm": 112, "weight_kg": 30, "pulse": 72, "systolic": 120, "diastolic": 80},
    )
    assert [u["field"] for u in st.unconfirmed] == ["height_cm"] and not st.can_sign
    with pytest.raises(SigningBlocked) as exc:
        signing.sign(clinic["doctor"], exam_id, STAFF_PASSWORD)
    assert [u["field"] for u in exc.value.unconfirmed] == ["height_cm"]
    assert "height_cm" not in st.document["assessment"]["inputs"]  # unconfirmed: left out of the computation
    st = records.save_section(
        clinic["doctor"],
        exam_id,
        "physique",
        {},
        confirm=["height_cm"],
        expected_version=st.section_versions["physique"],
    )
    assert st.document["confirmed"] == ["height_cm"] and st.unconfirmed == [] and st.can_sign, st.errors
    doc = signing.sign(clinic["doctor"], exam_id, STAFF_PASSWORD)
    assert doc["confirmed"] == ["height_cm"] and doc["health_class"] == 5  # physique class V once confirmed


def test_missing_required_blocks_signing_with_the_list(clinic) -> None:
    exam_id = _draft(clinic)
    records.save_section(
        clinic["doctor"],
        exam_id,
        "physique",
        {"height_cm": 165, "weight_kg": 60, "pulse": 70, "systolic": 120, "diastolic": 80},
        expected_version=0,
    )
    with pytest.raises(SigningBlocked) as exc:
        signing.sign(clinic["doctor"], exam_id, STAFF_PASSWORD)
    missing = {m["key"] for m in exc.value.missing}
    assert {
        "vision_right_uncorrected",
        "whisper_left_m",
        "eyes.class",
        "internal.circulation_class",
    } <= missing
    assert "obgyn.class" not in missing  # the obstetric section applies to women only
    assert "Thị lực mắt phải không kính" in exc.value.message
    assert records.get_exam(clinic["doctor"], exam_id)["status"] == "draft"


def test_only_doctors_sign(clinic) -> None:
    exam_id = _draft(clinic)
    fill_adult(clinic["doctor"], exam_id)
    with pytest.raises(PermissionDenied):
        signing.sign(clinic["nurse"], exam_id, STAFF_PASSWORD)
    with pytest.raises(PermissionDenied):
        signing.sign(clinic["admin"], exam_id, ADMIN_PASSWORD)
    doc = signing.sign(clinic["doctor2"], exam_id, STAFF_PASSWORD)
    assert doc["signed_by"] == DOCTOR2 and doc["signer_name"] == "BS. Lê Thị Thu"


def test_signed_exam_verifies_is_immutable_and_queued(clinic) -> None:
    doc = _signed(clinic)
    assert doc["status"] == "signed" and doc["health_class"] == 1 and doc["signature"]
    assert doc["assessment"]["qd1613"]["suggested"]["class"] == 1
    assert signing.verify(clinic["doctor"], doc["id"])["valid"]
    # Independently of the station: the exported public key checks the signature over the canonical JSON.
    exported = {k["key_id"]: k for k in keys.public_keys(clinic["doctor"])}[doc["signer_key_id"]]
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(exported["public_key"]))
    body = json.dumps(
        {k: v for k, v in doc.items() if k != "signature"},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    ).encode()
    public.verify(base64.b64decode(doc["signature"]), body)
    with pytest.raises(CryptoInvalidSignature):
        public.verify(
            base64.b64decode(doc["signature"]), body.replace(b'"health_class":1', b'"health_class":2')
        )
    qr = signing.verify_qr_text(doc)
    assert qr.startswith(f"KSK1|{doc['id']}|1|{doc['signer_key_id']}|") and "165" not in qr
    assert signing.verify_qr(clinic["nurse"], qr)["valid"]
    with pytest.raises(ExamSigned):
        records.save_section(clinic["doctor"], doc["id"], "physique", {"weight_kg": 70}, expected_version=1)
    with pytest.raises(ExamSigned):
        signing.sign(clinic["doctor"], doc["id"], STAFF_PASSWORD)
    with clinic["admin"].read() as s:
        items = list(s.scalars(select(OutboxItem).where(OutboxItem.kind == "exam")))
    assert len(items) == 1 and json.loads(items[0].payload) == doc and items[0].entity_version == 1
    assert len(_audit(clinic, "exam.sign")) == 1
    assert keys.public_keys(clinic["nurse"])[0]["key_id"] == doc["signer_key_id"]


def test_database_trigger_refuses_changes_and_tampering_is_detected(clinic) -> None:
    doc = _signed(clinic)
    db = clinic["doctor"].db
    with pytest.raises(Exception, match="immutable"), db.write() as s:
        s.execute(text("UPDATE exam_version SET health_class = 5 WHERE exam_id = :i"), {"i": doc["id"]})
    with pytest.raises(Exception, match="cannot be deleted"), db.write() as s:
        s.execute(text("DELETE FROM exam_version WHERE exam_id = :i"), {"i": doc["id"]})
    # Someone with the key drops the trigger and rewrites the stored document: the signature no longer matches.
    qr = signing.verify_qr_text(doc)
    forged = dict(doc, health_class=5)
    with db.write() as s:
        s.execute(text("DROP TRIGGER exam_version_signed_no_update"))
        s.execute(
            text("UPDATE exam_version SET document = :d, health_class = 5 WHERE exam_id = :i"),
            {"d": json.dumps(forged), "i": doc["id"]},
        )
    result = signing.verify(clinic["doctor"], doc["id"])
    assert not result["valid"] and "thay đổi" in result["reason"]
    with pytest.raises(InvalidSignature, match="Không hợp lệ"):
        signing.verify_qr(clinic["doctor"], qr)
    with pytest.raises(InvalidSignature):
        signing.verify_qr(clinic["doctor"], qr.replace("|1|", "|2|"))
    with pytest.raises(InvalidSignature):
        signing.verify_qr(clinic["doctor"], "KSK1|bad")


def test_amendment_chain(clinic) -> None:
    doc = _signed(clinic)
    with pytest.raises(InvalidInput, match="lý do"):
        amendments.amend(clinic["doctor"], doc["id"], " ", {"weight_kg": 62}, password=STAFF_PASSWORD)
    with pytest.raises(PermissionDenied):
        amendments.amend(
            clinic["nurse"], doc["id"], "Sai cân nặng", {"weight_kg": 62}, password=STAFF_PASSWORD
        )
    v2 = amendments.amend(
        clinic["doctor2"], doc["id"], "Cân lại: 62 kg", {"weight_kg": 62}, password=STAFF_PASSWORD
    )
    v3 = amendments.amend(
        clinic["doctor"],
        doc["id"],
        "Thêm chẩn đoán",
        {"diagnoses": ["I10"], "conclusion": "Theo dõi huyết áp"},
        password=STAFF_PASSWORD,
    )
    assert (v2["version"], v2["amends_version"], v2["signed_by"]) == (2, 1, DOCTOR2)
    assert (v3["version"], v3["amends_version"], v3["values"]["weight_kg"]) == (3, 2, 62)
    assert v3["diagnoses"] == [{"code": "I10", "name": "Tăng huyết áp vô căn (nguyên phát)", "primary": True}]
    for version in (1, 2, 3):
        assert signing.verify(clinic["doctor"], doc["id"], version)["valid"]
    assert records.get_exam(clinic["doctor"], doc["id"], 1)["values"]["weight_kg"] == 60.5
    assert records.list_exams(clinic["doctor"])[0]["version"] == 3
    with clinic["admin"].read() as s:
        kinds = [i.kind for i in s.scalars(select(OutboxItem).where(OutboxItem.entity_id == doc["id"]))]
        assert s.scalar(select(ExamVersion.status).where(ExamVersion.version == 1)) == "signed"
    assert kinds == ["exam", "amendment", "amendment"]
    assert [json.loads(e.details)["amends_version"] for e in _audit(clinic, "exam.amend")] == [1, 2]
    with pytest.raises(InvalidInput, match="không thay đổi"):
        amendments.amend(clinic["doctor"], doc["id"], "Không đổi", {"weight_kg": 62}, password=STAFF_PASSWORD)


def test_unknown_icd10_code_is_refused_by_name(clinic) -> None:
    exam_id = _draft(clinic)
    with pytest.raises(UnknownDiagnosis, match="X99.9"):
        records.save_section(
            clinic["doctor"], exam_id, "conclusion", {"diagnoses": ["I10", "X99.9"]}, expected_version=0
        )
    st = records.save_section(
        clinic["doctor"],
        exam_id,
        "conclusion",
        {"diagnoses": ["e11", {"code": "I10", "primary": True}]},
        expected_version=0,
    )
    assert [(d["code"], d["primary"]) for d in st.document["diagnoses"]] == [("E11", False), ("I10", True)]
    with pytest.raises(UnknownDiagnosis, match="Q99.99"):
        records.save_section(
            clinic["doctor"],
            exam_id,
            "history",
            {"history.treatment_codes": "I10; Q99.99"},
            expected_version=0,
        )


def test_index_class_better_than_measured_needs_a_reason(clinic) -> None:
    exam_id = _draft(clinic)
    st = fill_adult(
        clinic["doctor"],
        exam_id,
        vitals={"height_cm": 165, "weight_kg": 60, "pulse": 72, "systolic": 170, "diastolic": 85},
    )
    assert not st.can_sign and st.errors == [
        "Tuần hoàn: bác sĩ xếp loại I nhưng số đo cho loại IV — ghi lý do."  # 170/85 mmHg
    ]
    assert st.open_indices == []  # every index is classed: only the reason is missing
    st = records.save_section(
        clinic["doctor"],
        exam_id,
        "internal",
        {"internal.circulation_class": {"class": 2, "reason": "Hồi hộp khi đo, đo lại 130/80"}},
        expected_version=st.section_versions["internal"],
    )
    assert st.can_sign, st.errors
    th = next(i for i in st.document["assessment"]["qd1613"]["indices"] if i["code"] == "TH")
    assert th["class"] == 2 and th["reason"].startswith("Hồi hộp")


def test_doctor_override_needs_a_reason(clinic) -> None:
    exam_id = _draft(clinic)
    st = fill_adult(clinic["doctor"], exam_id)
    st = records.save_section(
        clinic["doctor"], exam_id, "conclusion", {"conclusion.health_class": 3}, expected_version=0
    )
    assert not st.can_sign and any("lý do" in e for e in st.errors)
    st = records.save_section(
        clinic["doctor"],
        exam_id,
        "conclusion",
        {"health_class_reason": "Thiếu máu mạn tính"},
        expected_version=1,
    )
    assert st.can_sign and st.document["health_class"] == 3
    assert st.document["assessment"]["qd1613"]["final"]["source"] == "override"


def test_suggested_referral_and_followups_are_recorded_on_signing(clinic) -> None:
    exam_id = _draft(clinic)
    fill_adult(
        clinic["doctor"],
        exam_id,
        vitals={"height_cm": 160, "weight_kg": 72, "pulse": 80, "systolic": 165, "diastolic": 100},
    )
    records.save_section(
        clinic["doctor"], exam_id, "paraclinical", {"glucose_fasting_mmol_l": 8.2}, expected_version=0
    )
    records.save_section(
        clinic["doctor"],
        exam_id,
        "internal",
        {"internal.circulation_class": 4, "internal.endocrine_class": 4},
        expected_version=1,
    )
    suggested = plan.suggest_for(clinic["doctor"], exam_id)
    assert {f["kind"] for f in suggested["followups"]} == {"hypertension", "diabetes", "weight"}
    assert [r["urgency"] for r in suggested["referrals"]] == ["soon", "soon"]
    with pytest.raises(InvalidInput, match="Mức khẩn"):
        plan.set_plan(
            clinic["doctor"],
            exam_id,
            [dict(suggested["referrals"][0], urgency="now")],
            [],
            expected_version=0,
        )
    st = plan.set_plan(
        clinic["doctor"], exam_id, suggested["referrals"][:1], suggested["followups"][:2], expected_version=0
    )
    assert st.section_versions["plan"] == 1
    with pytest.raises(VersionConflict):
        plan.set_plan(clinic["doctor"], exam_id, [], [], expected_version=0)
    doc = signing.sign(clinic["doctor"], exam_id, STAFF_PASSWORD)
    assert doc["health_class"] >= 3 and len(doc["referrals"]) == 1
    with clinic["admin"].read() as s:
        assert [r.id for r in s.scalars(select(Referral))] == [doc["referrals"][0]["id"]]
        assert (
            s.scalar(select(OutboxItem.kind).where(OutboxItem.entity_id == doc["referrals"][0]["id"]))
            == "referral"
        )
        assert len(list(s.scalars(select(FollowUp)))) == 2
    due = followups.list_followups(clinic["doctor"], due_before=date(2026, 12, 31))
    assert [f["kind"] for f in due] == [f["kind"] for f in doc["followups"]]
    assert due[0]["full_name"] == "Nguyễn Văn An"
    done = followups.mark_done(clinic["doctor"], due[0]["id"])
    assert done["status"] == "done" and done["done_by"] == DOCTOR
    assert len(followups.list_followups(clinic["doctor"], status="open")) == 1
    assert len(followups.list_followups(clinic["doctor"], status="done")) == 1


def test_import_checks_like_typing_and_list_filters(clinic) -> None:
    data = {
        "person_id": clinic["person"],
        "form": "adult",
        "exam_date": "2026-11-21",
        "values": {"height_cm": 170, "weight_kg": 65, "pulse": 70, "systolic": 118, "diastolic": 76},
        "diagnoses": ["K29"],
        "conclusion": "Viêm dạ dày",
        "health_class": 2,
        "health_class_reason": "Đau dạ dày",
    }
    doc = records.import_exam(clinic["doctor"], data)
    assert doc["status"] == "draft" and doc["diagnoses"][0]["code"] == "K29" and doc["health_class"] == 2
    with pytest.raises(InvalidInput):
        records.import_exam(clinic["doctor"], {**data, "values": {"height_cm": -3}})
    with pytest.raises(PermissionDenied):
        records.import_exam(clinic["nurse"], data)
    _signed(clinic)
    assert [r["status"] for r in records.list_exams(clinic["doctor"])] == ["draft", "signed"]
    assert len(records.list_exams(clinic["doctor"], status="signed")) == 1
    assert len(records.list_exams(clinic["doctor"], exam_date=date(2026, 11, 21))) == 1
    assert records.list_exams(clinic["doctor"], person_id="nobody") == []


def test_a_code_of_the_stations_imported_icd_list_is_accepted(clinic, tmp_path) -> None:
    from ksk_desktop.catalogs.icd10_import import import_icd_list

    exam_id = _draft(clinic)
    with pytest.raises(UnknownDiagnosis, match="nhập danh mục đầy đủ") as err:  # how to get the MoH list
        records.save_section(
            clinic["doctor"], exam_id, "conclusion", {"diagnoses": ["A00.0"]}, expected_version=0
        )
    assert (
        err.value.remedy is Remedy.IMPORT_ICD10 and "ksk" not in err.value.message
    )  # the CLI adds its command
    listing = tmp_path / "dmicdme.csv"
    listing.write_text(
        'MA_ICD,TEN_ICD\nA00.0,"Bệnh tả do Vibrio cholerae 01, typ sinh học cholerae"\n', encoding="utf-8"
    )
    import_icd_list(clinic["admin"], listing)
    st = records.save_section(
        clinic["doctor"], exam_id, "conclusion", {"diagnoses": ["a00.0"]}, expected_version=0
    )
    assert st.document["diagnoses"][0]["name"].startswith("Bệnh tả do Vibrio")


def test_what_blocks_signing_is_said_in_clinical_words(clinic) -> None:
    """No internal keys, no English, no "(reason)": the index by its name, the classes, what to do — one line
    that the command line prints as it is."""
    exam_id = _draft(clinic)
    st = fill_adult(
        clinic["doctor"],
        exam_id,
        vitals={"height_cm": 112, "weight_kg": 30, "pulse": 72, "systolic": 120, "diastolic": 80},
    )
    st = records.save_section(
        clinic["doctor"],
        exam_id,
        "eyes",
        {"vision_right_uncorrected": 6, "vision_left_uncorrected": 6, "eyes.class": 1},  # measured: class IV
        expected_version=st.section_versions["eyes"],
    )
    assert st.errors == ["Mắt: bác sĩ xếp loại I nhưng số đo cho loại IV — ghi lý do."]
    with pytest.raises(SigningBlocked) as exc:
        signing.sign(clinic["doctor"], exam_id, STAFF_PASSWORD)
    message = exc.value.message
    assert message == (
        "Chưa ký được phiếu khám: cần xác nhận giá trị bất thường: Chiều cao 112; "
        "Mắt: bác sĩ xếp loại I nhưng số đo cho loại IV — ghi lý do."
    )
    assert exc.value.errors == st.errors and [u["label"] for u in exc.value.unconfirmed] == ["Chiều cao"]
    for internal in ("height_cm", "eyes.class", "reason", "Chỉ số M", ".;"):
        assert internal not in message

    st = records.save_section(
        clinic["doctor"],
        exam_id,
        "eyes",
        {"eyes.class": {"class": 1, "reason": "Đo lại bằng bảng khác: 10/10"}},
        confirm=["height_cm"],
        expected_version=st.section_versions["eyes"],
    )
    assert st.errors == [] and st.unconfirmed == []
    st = records.save_section(
        clinic["doctor"],
        exam_id,
        "conclusion",
        {"conclusion.health_class": 2},
        expected_version=st.section_versions.get("conclusion", 0),
    )
    assert st.errors == ["Phân loại sức khỏe: bác sĩ chọn loại II nhưng các chỉ số cho loại V — ghi lý do."]


def test_an_unfinished_form_has_no_class_yet(clinic) -> None:
    exam_id = _draft(clinic)
    st = records.save_section(
        clinic["doctor"],
        exam_id,
        "physique",
        {"height_cm": 112, "weight_kg": 30, "pulse": 72, "systolic": 120, "diastolic": 80},
        confirm=["height_cm"],
        expected_version=0,
    )
    suggested = st.document["assessment"]["qd1613"]["suggested"]
    assert suggested["class"] == 5 and not suggested["complete"]  # the one index measured is class V …
    assert st.document["health_class"] is None  # … but the person's class is not known yet
    assert (
        st.open_indices[:3] == ["Mắt", "Tai mũi họng", "Răng hàm mặt"]
        and "Thể lực chung" not in st.open_indices
    )
    assert len(st.open_indices) == 12  # all but Thể lực chung, which height and weight settle
    with clinic["doctor"].read() as s:
        assert s.get(ExamVersion, (exam_id, 1)).health_class is None
    st = fill_adult(clinic["doctor"], exam_id)  # every index classed (and a height of 165 cm this time)
    assert st.open_indices == [] and st.document["health_class"] == 1 and st.can_sign
