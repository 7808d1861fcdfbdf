"""Synthetic exam documents in the shared exam-document shape, for the FHIR tests and the benchmark.

They follow the contract the exams core signs (``ksk_desktop/exams/``); the signature here is a placeholder
because the FHIR side never verifies it (the hub forwards what the station signed).
"""

from __future__ import annotations

import uuid

STATION = {"name": "Trạm y tế xã Kiến Thụy", "commune_code": "11680", "commune_name": "Xã Kiến Thụy"}

_VALUES = {
    "adult": {
        "height_cm": 165,
        "weight_kg": 60.5,
        "systolic": 130,
        "diastolic": 85,
        "pulse": 78,
        "vision_right_uncorrected": 10,
        "vision_left_uncorrected": 9,
    },
    "child": {"height_cm": 128.5, "weight_kg": 26.0, "pulse": 92, "vision_right_uncorrected": 10},
    "elderly": {"height_cm": 152, "weight_kg": 49.0, "systolic": 165, "diastolic": 95, "pulse": 84},
}


def person(
    *,
    personal_id: str | None = "031088001234",
    name: str = "Nguyễn Thị Hồng Nhung",
    sex: str = "F",
    dob: str | None = "1988-05-17",
    person_id: str | None = None,
) -> dict:
    """A person dict as the station sends it (``ksk_desktop.people.persons`` payload shape)."""
    return {
        "id": person_id or str(uuid.uuid4()),
        "personal_id": personal_id,
        "old_id": None,
        "name": name,
        "dob": dob,
        "birth_year": int(dob[:4]) if dob else None,
        "sex": sex,
        "permanent_address": "Thôn Đông, xã Kiến Thụy, thành phố Hải Phòng",
        "current_address": "Thôn Đông, xã Kiến Thụy, thành phố Hải Phòng",
        "commune_code": "11680",
        "hamlet": "Thôn Đông",
        "phone": "0912345678",
        "insurance_no": None,
        "target_group": "a",
        "guardian_name": None,
        "guardian_phone": None,
        "version": 1,
        "flags": [],
    }


def exam_document(
    person_id: str,
    *,
    form: str = "adult",
    exam_id: str | None = None,
    version: int = 1,
    diagnoses: list[dict] | None = None,
    referrals: list[dict] | None = None,
    values: dict | None = None,
    health_class: int | None = 2,
    exam_date: str = "2026-11-20",
    amends_version: int | None = None,
) -> dict:
    """A signed exam document (version 1, or an amendment when *version* > 1)."""
    return {
        "id": exam_id or str(uuid.uuid4()),
        "version": version,
        "person_id": person_id,
        "appointment_id": None,
        "form": form,
        "form_version": 1,
        "exam_date": exam_date,
        "values": dict(_VALUES[form] if values is None else values),
        "confirmed": [],
        "assessment": {},
        "health_class": health_class,
        "health_class_reason": None,
        "diagnoses": list(diagnoses or []),
        "conclusion": "Đủ sức khỏe học tập, lao động.",
        "advice": "Ăn nhạt, tập thể dục đều đặn, đo lại huyết áp sau 1 tháng.",
        "referrals": list(referrals or []),
        "followups": [],
        "status": "signed",
        "amends_version": amends_version if version > 1 else None,
        "amendment_reason": "Sửa kết quả đo" if version > 1 else None,
        "signed_by": "bacsi",
        "signer_name": "BS. Trần Văn Minh",
        "signed_at": "2026-11-20T03:15:00Z",
        "signer_key_id": "ab" * 16,
        "signature": "c2lnbmF0dXJl",
    }


def hypertension() -> list[dict]:
    return [{"code": "I10", "name": "Bệnh lý tăng huyết áp vô căn (nguyên phát)", "primary": True}]


def referral(destination: str = "Trung tâm Y tế Kiến Thụy", urgency: str = "soon") -> dict:
    return {
        "id": str(uuid.uuid4()),
        "destination": destination,
        "reason": "Huyết áp cao, cần khám chuyên khoa",
        "urgency": urgency,
    }
