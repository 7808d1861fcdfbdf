"""Synthetic exam documents in the shared exam-document shape, for the FHIR tests and the benchmark.

They follow the contract the exams core signs (``ksk_desktop/exams/``) and carry a real Ed25519 signature by a
synthetic doctor's key of the station (one fixed key per station code): the hub accepts them once that key is
registered (:func:`doctor_key_item`, the station's ``doctor_key`` item) and forwards them once its
administrator approved it (:func:`approve_doctor_key`). A document changed after :func:`exam_document` must be
signed again with :func:`sign`.
"""

from __future__ import annotations

import base64
import hashlib
import uuid

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ksk_desktop.exams import document, key_registration
from ksk_desktop.security.signer import key_id_of, public_raw

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


STATION_CODE = "TYT-KT"
DOCTOR = {"username": "bacsi", "full_name": "BS. Trần Văn Minh", "licence_no": "000321/HP-CCHN"}


def doctor_private_key(station_code: str = STATION_CODE) -> Ed25519PrivateKey:
    """The synthetic doctor's key of *station_code* (derived from the code: the same in every run)."""
    return Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(f"ksk test doctor|{station_code}".encode()).digest()
    )


def doctor_key_id(station_code: str = STATION_CODE) -> str:
    return key_id_of(public_raw(doctor_private_key(station_code)))


def doctor_key_registration(station_code: str = STATION_CODE) -> dict:
    """The ``doctor_key`` payload the station sends for that key."""
    private = doctor_private_key(station_code)
    return key_registration.build(
        public_raw=public_raw(private),
        station_code=station_code,
        created_at="2026-11-01T00:00:00Z",
        sign=private.sign,
        **DOCTOR,
    )


def doctor_key_item(station_code: str = STATION_CODE) -> dict:
    """The registration as a push item (a fresh item id: a repeat is a no-op at the hub)."""
    payload = doctor_key_registration(station_code)
    return {
        "item_id": str(uuid.uuid4()),
        "kind": key_registration.KIND,
        "entity_id": payload["key_id"],
        "entity_version": 1,
        "payload": payload,
    }


def approve_doctor_key(store, station_code: str = STATION_CODE) -> dict:  # noqa: ANN001 - a HubStore
    """What the hub's administrator does (``ksk hub doctor-key approve``), possibly before the key arrives."""
    from sync.hub import doctor_keys

    with store.session(write=True) as s:
        return doctor_keys.approve(s, doctor_key_id(station_code), station_code, store.clock())


def sign(doc: dict, station_code: str = STATION_CODE) -> dict:
    """*doc* signed (again) by the station's synthetic doctor."""
    doc = dict(doc, signed_by=DOCTOR["username"], signer_name=DOCTOR["full_name"])
    doc["signer_key_id"], doc["signature"] = doctor_key_id(station_code), None
    doc["signature"] = base64.b64encode(
        doctor_private_key(station_code).sign(document.signed_bytes(doc))
    ).decode()
    return doc


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
    form_version: int = 1,
    exam_id: str | None = None,
    version: int = 1,
    diagnoses: list[dict] | None = None,
    referrals: list[dict] | None = None,
    values: dict | None = None,
    health_class: int | None = 2,
    exam_date: str = "2026-11-20",
    amends_version: int | None = None,
    station_code: str = STATION_CODE,
) -> dict:
    """A signed exam document (version 1, or an amendment when *version* > 1), signed by the synthetic doctor of
    *station_code*."""
    doc = {
        "id": exam_id or str(uuid.uuid4()),
        "version": version,
        "person_id": person_id,
        "appointment_id": None,
        "form": form,
        "form_version": form_version,
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
        "signed_at": "2026-11-20T03:15:00Z",
    }
    return sign(doc, station_code)


def hypertension() -> list[dict]:
    return [{"code": "I10", "name": "Bệnh lý tăng huyết áp vô căn (nguyên phát)", "primary": True}]


def referral(destination: str = "Trung tâm Y tế Kiến Thụy", urgency: str = "soon") -> dict:
    return {
        "id": str(uuid.uuid4()),
        "destination": destination,
        "reason": "Huyết áp cao, cần khám chuyên khoa",
        "urgency": urgency,
    }
