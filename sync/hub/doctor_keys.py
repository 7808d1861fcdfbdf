"""Signing keys at the hub — doctors' (exams) and station heads' (reports), the module keeping its first name:
registered by a station's enrolled device, approved by the hub's administrator, checked against every exam,
amendment and report that station pushes.

Anyone holding a station's database file can change its rows, its outbox and its public keys; what they cannot
do is sign with a doctor's or the head's key, which only that user's password opens (``ksk_desktop.exams.keys``).
So the hub, not the station, is where a forged exam or report fails:

- **Registration** (a ``doctor_key`` item, ``ksk_desktop.exams.key_registration``): the key id is the hash of
  the public key, the payload's station is the device's own, the key's signature over the payload proves the
  station holds it, and it names the doctor (user name, full name, licence number). A key id is registered by
  one station only; the same registration again is a no-op.
- **Approval**: a new key is *pending* until the hub's administrator approves it (``ksk hub doctor-key
  approve``), having checked the doctor's name and licence number with the station — the one step a file
  holder cannot fake, since they can register keys of their own making. A key id read out by the doctor can
  be approved before it arrives.
- **Exams and amendments**: signed by a key registered from the pushing station, for the doctor named as
  signer, with a signature that verifies over the document; a legacy key (made before keys were wrapped, when
  every staff password could read it) only for the exam versions its registration listed. Anything else is
  rejected with a reason, never stored, never forwarded.
- **Roles**: a registration names the user's role (none: a doctor, as before roles were recorded; ``"head"``:
  the station head). Only a doctor's key signs exams; only a key whose role may submit reports (the head's)
  signs reports. The administrator approves the role with the key.
- **Reports** (``check_report``): signed by an *approved* key of the pushing station, for the user named as
  signer, registered as head, with a signature that verifies over ``ksk_desktop.reports.signature``; anything
  else is refused (a pending key too: a report is not held, the station sends it again once approved).
- **Pending keys**: an exam signed with a key that waits for approval is rejected when the doctor already has
  an approved key at that station (a replacement after a password reset — or a forgery: the administrator
  decides, and the station sends it again once approved); for a doctor new to the hub it is accepted but
  *held*: it reaches FHIR only once the key is approved.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from cryptography.exceptions import InvalidSignature
from sqlalchemy import DateTime, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from ksk_desktop.exams import document, key_registration
from ksk_desktop.reports import signature as report_signature
from ksk_desktop.security.roles import PERMISSIONS, ROLE_LABELS, Perm, Role
from ksk_desktop.security.signer import ALGORITHM, key_id_of, load_public
from sync.hub.items import ENTITY_ID_MAX, INT32_MAX, ItemRejected, fits, int_in_range
from sync.hub.models import FhirForward, HubBase, Item
from sync.hub.stations import HubStation
from sync.protocol import SHA256_HEX_RE

KEY_ID_LEN = 32
MAX_LEGACY_EXAMS = 20_000
HELD = "held"  # hub_fhir_forward.state of an exam whose signing key waits for approval


class DoctorKey(HubBase):
    """A doctor's public key as a station registered it (the registration payload kept as received)."""

    __tablename__ = "hub_doctor_key"
    key_id: Mapped[str] = mapped_column(String(KEY_ID_LEN), primary_key=True)
    station_code: Mapped[str] = mapped_column(String(20), index=True)
    device_id: Mapped[str] = mapped_column(String(36))
    username: Mapped[str] = mapped_column(String(40))
    full_name: Mapped[str] = mapped_column(String(200))
    licence_no: Mapped[str | None] = mapped_column(String(40))
    public_key: Mapped[str] = mapped_column(String(64))
    legacy_exams: Mapped[str | None] = mapped_column(Text)  # JSON list of "exam_id|version|sha256"; None: any
    payload: Mapped[str] = mapped_column(Text)
    registered_at: Mapped[datetime] = mapped_column(DateTime)


class DoctorKeyApproval(HubBase):
    """The hub administrator's approval of one key for one station (possibly before the key arrives)."""

    __tablename__ = "hub_doctor_key_approval"
    key_id: Mapped[str] = mapped_column(String(KEY_ID_LEN), primary_key=True)
    station_code: Mapped[str] = mapped_column(String(20))
    approved_at: Mapped[datetime] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(String(200))


def _canonical(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _bad(detail: str) -> ItemRejected:
    return ItemRejected("bad_doctor_key", f"Đăng ký khóa ký không hợp lệ: {detail}.")


def role_of(key: DoctorKey) -> str:
    """The role the key was registered with (none in the payload: a doctor, as before roles were recorded)."""
    return str(json.loads(key.payload).get("role") or Role.DOCTOR.value)


def may(role: str, perm: Perm) -> bool:
    """Whether a key registered with *role* may sign what *perm* allows."""
    try:
        return perm in PERMISSIONS[Role(role)]
    except ValueError:
        return False


def _role_label(role: str) -> str:
    try:
        return ROLE_LABELS[Role(role)].lower()
    except ValueError:
        return role


def _public_raw(text: object) -> bytes | None:
    if not isinstance(text, str) or len(text) > 64:
        return None
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == 32 else None


def _legacy_entries(value: object) -> list[str] | None:
    """The legacy list as ``"exam_id|version|sha256"`` strings; None when *value* is None."""
    if value is None:
        return None
    if not isinstance(value, list) or not value or len(value) > MAX_LEGACY_EXAMS:
        raise _bad("danh sách phiếu của khóa cũ không hợp lệ")
    out = []
    for e in value:
        if not (
            isinstance(e, dict)
            and fits(e.get("exam_id"), ENTITY_ID_MAX)
            and int_in_range(e.get("version"), INT32_MAX)
            and isinstance(e.get("signature_sha256"), str)
            and SHA256_HEX_RE.match(e["signature_sha256"])
        ):
            raise _bad("danh sách phiếu của khóa cũ không hợp lệ")
        out.append(f"{e['exam_id']}|{e['version']}|{e['signature_sha256']}")
    return out


def register(
    s: Session, station_code: str, device_id: str, entity_id: str, payload: dict, now: datetime
) -> dict:
    """Apply a ``doctor_key`` item from a device of *station_code*; the answer's extra fields (a warning while the
    key waits for approval)."""
    key_id = payload.get("key_id")
    if payload.get("format") != key_registration.FORMAT or payload.get("algorithm") != ALGORITHM:
        raise _bad("định dạng hoặc thuật toán không được hỗ trợ")
    raw = _public_raw(payload.get("public_key"))
    if raw is None or key_id != entity_id or key_id_of(raw) != key_id:
        raise _bad("mã khóa không khớp với khóa công khai")
    if payload.get("station_code") != station_code:
        raise _bad("khóa được đăng ký cho một trạm khác với trạm của thiết bị")
    legacy = _legacy_entries(payload.get("legacy_exams"))
    licence = payload.get("licence_no")
    role = payload.get("role", Role.DOCTOR.value)
    if role not in (Role.DOCTOR.value, Role.HEAD.value) or (role != Role.DOCTOR.value and legacy is not None):
        raise _bad("vai trò của người ký không được hỗ trợ")
    if not (
        fits(payload.get("username"), 40)
        and fits(payload.get("full_name"), 200)
        and fits(payload.get("created_at"), 40)
        and (fits(licence, 40) or (licence is None and (legacy is not None or role != Role.DOCTOR.value)))
    ):
        raise _bad("thiếu tên đăng nhập, họ tên hoặc số chứng chỉ hành nghề của bác sĩ")
    if not key_registration.proof_holds(payload, raw):
        raise _bad("chữ ký chứng minh sở hữu khóa không đúng")
    existing = s.get(DoctorKey, key_id)
    if existing is not None:
        if existing.station_code != station_code:
            raise ItemRejected("doctor_key_other_station", "Khóa ký này đã được một trạm khác đăng ký.")
        if existing.payload != _canonical(payload):
            raise ItemRejected("doctor_key_conflict", "Khóa ký này đã được đăng ký với thông tin khác.")
    else:
        s.add(
            DoctorKey(
                key_id=key_id,
                station_code=station_code,
                device_id=device_id,
                username=payload["username"],
                full_name=payload["full_name"],
                licence_no=licence,
                public_key=payload["public_key"],
                legacy_exams=None if legacy is None else json.dumps(legacy),
                payload=_canonical(payload),
                registered_at=now,
            )
        )
    if approved(s, key_id, station_code):
        return {}
    if role != Role.DOCTOR.value:
        return {
            "warning": f"Khóa ký của {_role_label(role)} {payload['full_name']} (mã khóa {key_id}) đã đăng ký "
            "và đang chờ quản trị máy chủ xác nhận; báo cáo ký bằng khóa này chỉ được nhận sau khi khóa được "
            "xác nhận."
        }
    return {
        "warning": f"Khóa ký của bác sĩ {payload['full_name']} (mã khóa {key_id}) đã đăng ký và đang chờ quản "
        "trị máy chủ xác nhận; phiếu khám ký bằng khóa này được nhận nhưng chỉ chuyển lên hồ sơ sức khỏe "
        "sau khi khóa được xác nhận."
    }


def doctor_of(s: Session, key_id: object) -> dict | None:
    """The doctor a key was registered for (``full_name``, ``licence_no``), for the FHIR Practitioner; None for an
    unknown key."""
    if not isinstance(key_id, str):
        return None
    key = s.get(DoctorKey, key_id)
    return None if key is None else {"full_name": key.full_name, "licence_no": key.licence_no}


def approved(s: Session, key_id: object, station_code: str) -> bool:
    return (
        isinstance(key_id, str)
        and s.scalar(
            select(DoctorKeyApproval.key_id).where(
                DoctorKeyApproval.key_id == key_id, DoctorKeyApproval.station_code == station_code
            )
        )
        is not None
    )


def check_exam(s: Session, station_code: str, exam: dict) -> dict:
    """Raise ItemRejected unless *exam* (a signed exam or amendment from a device of *station_code*) carries a
    valid signature by a key that station registered for the doctor who signed it. The answer's extra fields:
    a warning when the key still waits for approval (the exam is then held, not forwarded)."""
    key_id, signature = exam.get("signer_key_id"), exam.get("signature")
    if not fits(key_id, KEY_ID_LEN) or not isinstance(signature, str) or not fits(exam.get("signed_by"), 40):
        raise ItemRejected("unsigned_exam", "Phiếu khám thiếu chữ ký hoặc mã khóa ký của bác sĩ: không nhận.")
    key = s.get(DoctorKey, key_id)
    if key is None:
        raise ItemRejected(
            "unknown_signer_key",
            f"Phiếu khám ký bằng khóa {key_id} chưa được đăng ký ở máy chủ: không nhận, không chuyển lên hồ sơ "
            "sức khỏe.",
        )
    if key.station_code != station_code:
        raise ItemRejected(
            "foreign_signer_key", "Phiếu khám ký bằng khóa do một trạm khác đăng ký: không nhận."
        )
    if exam["signed_by"] != key.username:
        raise ItemRejected(
            "signer_mismatch", "Người ký ghi trên phiếu khám không phải bác sĩ sở hữu khóa ký: không nhận."
        )
    if not may(role_of(key), Perm.EXAM_SIGN):
        raise ItemRejected(
            "signer_role", "Phiếu khám ký bằng khóa không phải của bác sĩ (khóa của trưởng trạm): không nhận."
        )
    try:
        sig = base64.b64decode(signature, validate=True)
        load_public(base64.b64decode(key.public_key)).verify(sig, document.signed_bytes(exam))
    except (InvalidSignature, binascii.Error, ValueError):
        raise ItemRejected(
            "bad_signature",
            "Chữ ký của bác sĩ không khớp với nội dung phiếu khám (phiếu đã bị sửa sau khi ký): không nhận.",
        ) from None
    if key.legacy_exams is not None:
        entry = key_registration.exam_entry(str(exam.get("id")), int(exam.get("version") or 0), signature)
        if f"{entry['exam_id']}|{entry['version']}|{entry['signature_sha256']}" not in json.loads(
            key.legacy_exams
        ):
            raise ItemRejected(
                "legacy_key_not_allowed",
                "Phiếu khám ký bằng khóa cũ của bác sĩ (từ trước khi khóa ký được bảo vệ bằng mật khẩu) nhưng "
                "không nằm trong danh sách phiếu khóa đó đã ký: không nhận.",
            )
    if approved(s, key_id, station_code):
        return {}
    if key.legacy_exams is None and _replaces_an_approved_key(s, key):
        raise ItemRejected(
            "signer_key_pending",
            f"Phiếu khám ký bằng khóa mới của bác sĩ (mã khóa {key_id}) trong khi bác sĩ đã có "
            "khóa ký được xác nhận: khóa mới phải được quản trị máy chủ xác nhận trước (sau khi đặt lại mật khẩu); "
            "khi đã xác nhận, hãy gửi lại phiếu này. Nếu bác sĩ không hề đặt lại mật khẩu, hãy báo ngay cho quản "
            "trị: có thể có người giả chữ ký.",
        )
    return {
        "warning": "Phiếu khám được nhận nhưng chưa chuyển lên hồ sơ sức khỏe: khóa ký của bác sĩ đang chờ quản "
        "trị máy chủ xác nhận."
    }


def check_report(s: Session, station_code: str, report: dict) -> DoctorKey:
    """Raise ItemRejected unless *report* (a ``report`` item from a device of *station_code*) carries a signature
    that verifies under an approved key this station registered for the user named as signer, with a role that
    submits reports. Returns the key."""
    key_id, sig = report.get("signer_key_id"), report.get("signature")
    if not fits(key_id, KEY_ID_LEN) or not isinstance(sig, str) or not sig:
        raise ItemRejected(
            "unsigned_report",
            "Báo cáo chưa được trưởng trạm ký bằng khóa ký (bản nộp trước khi báo cáo được ký): không nhận. "
            "Trưởng trạm hãy nộp lại bản điều chỉnh để ký.",
        )
    key = s.get(DoctorKey, key_id)
    if key is None:
        raise ItemRejected(
            "unknown_signer_key", f"Báo cáo ký bằng khóa {key_id} chưa được đăng ký ở máy chủ: không nhận."
        )
    if key.station_code != station_code:
        raise ItemRejected("foreign_signer_key", "Báo cáo ký bằng khóa do một trạm khác đăng ký: không nhận.")
    if report.get("signed_by") != key.username:
        raise ItemRejected(
            "signer_mismatch", "Người ký ghi trên báo cáo không phải người sở hữu khóa ký: không nhận."
        )
    if not may(role_of(key), Perm.REPORT_SUBMIT):
        raise ItemRejected(
            "signer_not_head",
            f"Báo cáo ký bằng khóa của {_role_label(role_of(key))}, không phải trưởng trạm: không nhận.",
        )
    if not report_signature.verifies(report, key.public_key):
        raise ItemRejected(
            "bad_signature",
            "Chữ ký của trưởng trạm không khớp với nội dung báo cáo (báo cáo đã bị sửa sau khi ký): không nhận.",
        )
    if not approved(s, key_id, station_code):
        raise ItemRejected(
            "signer_key_pending",
            f"Báo cáo ký bằng khóa của trưởng trạm (mã khóa {key_id}) chưa được quản trị máy chủ xác nhận: "
            "chưa nhận. Khi khóa đã được xác nhận, hãy gửi lại báo cáo ở trang Đồng bộ.",
        )
    return key


def _replaces_an_approved_key(s: Session, key: DoctorKey) -> bool:
    """Whether the station already has an approved key for the same doctor (user name or licence number)."""
    same_doctor = DoctorKey.username == key.username
    if key.licence_no:
        same_doctor = same_doctor | (DoctorKey.licence_no == key.licence_no)
    return (
        s.scalar(
            select(DoctorKey.key_id)
            .join(DoctorKeyApproval, DoctorKeyApproval.key_id == DoctorKey.key_id)
            .where(
                DoctorKey.station_code == key.station_code,
                DoctorKeyApproval.station_code == key.station_code,
                DoctorKey.key_id != key.key_id,
                same_doctor,
            )
            .limit(1)
        )
        is not None
    )


def forward_state(s: Session, station_code: str, exam: dict) -> str:
    """The FHIR queue state of a newly accepted exam: pending, or held while its key waits for approval."""
    return "pending" if approved(s, exam.get("signer_key_id"), station_code) else HELD


def approve(
    s: Session, key_id: str, station_code: str | None, now: datetime, note: str | None = None
) -> dict:
    """Approve *key_id* (for *station_code*, required when the key has not arrived yet) and release the exams held
    for it. Raises ValueError with a Vietnamese reason."""
    key = s.get(DoctorKey, key_id)
    if key is not None:
        if station_code and station_code != key.station_code:
            raise ValueError(
                f"Khóa {key_id} do trạm {key.station_code} đăng ký, không phải trạm {station_code}."
            )
        station_code = key.station_code
    elif not station_code:
        raise ValueError(f"Khóa {key_id} chưa được đăng ký: ghi rõ mã trạm để xác nhận trước.")
    elif len(key_id) != KEY_ID_LEN or any(c not in "0123456789abcdef" for c in key_id):
        raise ValueError("Mã khóa gồm 32 ký tự hệ mười sáu (0-9, a-f).")
    elif s.get(HubStation, station_code) is None:  # only a station of the hub's registry registers keys
        raise ValueError(f"Trạm {station_code} chưa được đăng ký ở máy chủ.")
    if s.get(DoctorKeyApproval, key_id) is None:
        s.add(DoctorKeyApproval(key_id=key_id, station_code=station_code, approved_at=now, note=note))
    held = s.execute(
        select(FhirForward.id, Item.payload)
        .join(Item, Item.seq == FhirForward.item_seq)
        .where(FhirForward.state == HELD, Item.station_code == station_code)
    ).all()
    released = [
        fid for fid, payload in held if payload and json.loads(payload).get("signer_key_id") == key_id
    ]
    if released:
        s.execute(
            update(FhirForward)
            .where(FhirForward.id.in_(released))
            .values(state="pending", next_attempt_at=now, last_error=None)
        )
    return {"key_id": key_id, "station_code": station_code, "approved": True, "released": len(released)}


def list_keys(s: Session, station_code: str | None = None, *, pending: bool = False) -> list[dict]:
    """Registered keys (newest last) with their approval: what the hub administrator reviews."""
    q = select(DoctorKey, DoctorKeyApproval.approved_at).outerjoin(
        DoctorKeyApproval, DoctorKeyApproval.key_id == DoctorKey.key_id
    )
    if station_code:
        q = q.where(DoctorKey.station_code == station_code)
    rows = s.execute(q.order_by(DoctorKey.registered_at, DoctorKey.key_id)).all()
    return [
        {
            "key_id": k.key_id,
            "station_code": k.station_code,
            "username": k.username,
            "full_name": k.full_name,
            "licence_no": k.licence_no,
            "role": role_of(k),
            "legacy_exams": len(json.loads(k.legacy_exams)) if k.legacy_exams is not None else None,
            "registered_at": k.registered_at.isoformat(),
            "approved_at": approved_at.isoformat() if approved_at else None,
        }
        for k, approved_at in rows
        if not (pending and approved_at)
    ]
