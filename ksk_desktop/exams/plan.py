"""The exam's plan: referrals and follow-up items. The core suggests them from the assessment's flags and the
screening thresholds (vietnam.md §2.4); the doctor confirms or edits them into the draft; signing records them."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from ksk_desktop.clock import utcnow
from ksk_desktop.errors import InvalidInput
from ksk_desktop.exams import document
from ksk_desktop.exams.errors import VersionConflict
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ksk_desktop.text import nfc

if TYPE_CHECKING:
    from ksk_desktop.exams.records import ExamState

URGENCIES = ("routine", "soon", "urgent")
URGENCY_LABELS = {"routine": "Thông thường", "soon": "Sớm (trong tuần)", "urgent": "Khẩn"}
FOLLOWUP_KINDS = {
    "hypertension": "Quản lý tăng huyết áp tại trạm",
    "diabetes": "Quản lý đái tháo đường tại trạm",
    "prediabetes": "Theo dõi đường huyết",
    "weight": "Tư vấn dinh dưỡng, cân nặng",
    "child_growth": "Theo dõi tăng trưởng, dinh dưỡng trẻ em",
    "vision": "Theo dõi thị lực",
    "scoliosis": "Theo dõi cong vẹo cột sống",
    "other": "Theo dõi khác",
}
DEFAULT_DESTINATION = "Trung tâm Y tế khu vực"
PLAN_SECTION = "plan"  # its own entry in section_versions, for the optimistic check


def _referral(destination: str, reason: str, urgency: str) -> dict:
    return {"id": str(uuid.uuid4()), "destination": destination, "reason": reason, "urgency": urgency}


def _followup(kind: str, due: date, note: str) -> dict:
    return {"id": str(uuid.uuid4()), "kind": kind, "due_date": due.isoformat(), "note": note}


def suggest(doc: dict) -> dict[str, list[dict]]:
    """Referrals and follow-ups the assessment calls for (new ids; nothing is saved)."""
    a = doc.get("assessment") or {}
    exam_day = date.fromisoformat(doc["exam_date"])
    flags = {f["code"]: f for f in a.get("flags") or []}
    referrals: list[dict] = []
    followups: list[dict] = []
    bp = a.get("blood_pressure") or {}
    if "tang_huyet_ap" in flags or "tha_tam_thu_don_doc" in flags:
        grade = bp.get("code")
        if grade == "tha_do_3":
            referrals.append(
                _referral(
                    DEFAULT_DESTINATION,
                    f"{bp.get('label')} ({bp.get('systolic')}/"
                    f"{bp.get('diastolic')} mmHg): khám và điều trị ngay",
                    "urgent",
                )
            )
        elif grade == "tha_do_2":
            referrals.append(
                _referral(DEFAULT_DESTINATION, f"{bp.get('label')}: khám chuyên khoa tim mạch", "soon")
            )
        followups.append(
            _followup(
                "hypertension",
                exam_day + timedelta(days=30),
                f"{bp.get('label') or 'Tăng huyết áp'}: đo lại huyết áp, lập hồ sơ quản lý",
            )
        )
    elif "tien_tang_huyet_ap" in flags:
        followups.append(
            _followup("hypertension", exam_day + timedelta(days=180), "Tiền tăng huyết áp: đo lại")
        )
    glucose_high = "duong_huyet_cao" in flags
    values = doc.get("values") or {}
    capillary = values.get("elderly.capillary_glucose_mmol_l")
    if capillary is not None:
        fasting = values.get("elderly.capillary_glucose_fasting")
        cut = 7.0 if fasting else 11.1
        glucose_high = glucose_high or capillary >= cut
    if glucose_high:
        referrals.append(
            _referral(
                DEFAULT_DESTINATION,
                "Đường huyết cao khi sàng lọc: xét nghiệm khẳng định đái tháo đường (QĐ 5481/QĐ-BYT)",
                "soon",
            )
        )
        followups.append(
            _followup(
                "diabetes",
                exam_day + timedelta(days=30),
                "Nghi đái tháo đường: theo dõi, quản lý tại trạm khi đã khẳng định",
            )
        )
    if {"beo_phi", "thua_can", "nhe_can"} & set(flags) and a.get("growth") is None:
        label = next(flags[c]["label"] for c in ("beo_phi", "thua_can", "nhe_can") if c in flags)
        followups.append(
            _followup("weight", exam_day + timedelta(days=90), f"{label}: tư vấn dinh dưỡng, vận động")
        )
    child = [
        flags[c]["label"] for c in ("thap_coi", "gay_com", "nhe_can", "thua_can", "beo_phi") if c in flags
    ]
    if a.get("growth") is not None and child:
        followups.append(_followup("child_growth", exam_day + timedelta(days=90), ", ".join(child)))
    for ix in (a.get("qd1613") or {}).get("indices") or []:
        if ix["code"] == "M" and (ix.get("class") or 0) >= 4:
            referrals.append(
                _referral(
                    "Bệnh viện Mắt Hải Phòng",
                    f"Thị lực kém (mắt loại {ix['roman']}): khám mắt, đo khúc xạ",
                    "routine",
                )
            )
    if values.get("spine.scoliosis"):
        followups.append(
            _followup(
                "scoliosis",
                exam_day + timedelta(days=180),
                "Cong vẹo cột sống: theo dõi, hướng dẫn tư thế ngồi học",
            )
        )
    return {"referrals": referrals, "followups": followups}


def _check_referral(raw: Any) -> dict:
    if not isinstance(raw, dict):
        raise InvalidInput("Mỗi giấy chuyển phải là {destination, reason, urgency}.")
    destination, reason = (
        nfc(str(raw.get("destination") or "")).strip(),
        nfc(str(raw.get("reason") or "")).strip(),
    )
    urgency = raw.get("urgency") or "routine"
    if not destination or not reason:
        raise InvalidInput("Giấy chuyển cần nơi chuyển đến (destination) và lý do (reason).")
    if urgency not in URGENCIES:
        raise InvalidInput(f"Mức khẩn phải là routine, soon hoặc urgent, không phải {urgency!r}.")
    return {
        "id": str(raw.get("id") or uuid.uuid4()),
        "destination": destination[:300],
        "reason": reason,
        "urgency": urgency,
    }


def _check_followup(raw: Any) -> dict:
    if not isinstance(raw, dict):
        raise InvalidInput("Mỗi mục theo dõi phải là {kind, due_date, note}.")
    kind = raw.get("kind")
    if kind not in FOLLOWUP_KINDS:
        raise InvalidInput(f"Loại theo dõi {kind!r} không hợp lệ: chọn trong {', '.join(FOLLOWUP_KINDS)}.")
    try:
        due = date.fromisoformat(str(raw.get("due_date")))
    except ValueError:
        raise InvalidInput(
            f"Hạn theo dõi phải có dạng YYYY-MM-DD, không phải {raw.get('due_date')!r}."
        ) from None
    return {
        "id": str(raw.get("id") or uuid.uuid4()),
        "kind": kind,
        "due_date": due.isoformat(),
        "note": nfc(str(raw.get("note") or "")).strip(),
    }


def apply_plan(doc: dict, referrals: list, followups: list) -> None:
    """Check and put the plan into *doc* (replacing the previous one)."""
    if not isinstance(referrals, list) or not isinstance(followups, list):
        raise InvalidInput("referrals và followups phải là danh sách.")
    doc["referrals"] = [_check_referral(r) for r in referrals]
    doc["followups"] = [_check_followup(f) for f in followups]


def set_plan(
    ctx: StationSession, exam_id: str, referrals: list, followups: list, *, expected_version: int | None
) -> ExamState:
    """The doctor confirms the draft's referrals and follow-ups (e.g. the suggestions, edited). Returns the state."""
    from ksk_desktop.exams.records import editable_draft, person_of, state

    ctx.require(Perm.EXAM_WRITE)
    with ctx.write() as s:
        row = editable_draft(s, exam_id)
        versions = json.loads(row.section_versions)
        current = versions.get(PLAN_SECTION, 0)
        if expected_version is not None and expected_version != current:
            raise VersionConflict(
                f"Chuyển tuyến và theo dõi vừa được {row.updated_by} lưu: tải lại phiếu rồi nhập lại."
            )
        doc = document.loads(row.document)
        apply_plan(doc, referrals, followups)
        versions[PLAN_SECTION] = current + 1
        row.section_versions = json.dumps(versions, sort_keys=True)
        row.edit_seq += 1
        row.document = document.dumps(doc)
        row.updated_by, row.updated_at = ctx.user.username, utcnow()
        ctx.audit(
            s,
            "exam.save",
            "exam",
            exam_id,
            {
                "version": row.version,
                "section": PLAN_SECTION,
                "referrals": len(doc["referrals"]),
                "followups": len(doc["followups"]),
            },
        )
        return state(ctx, row, doc, person_of(s, row.person_id))


def suggest_for(ctx: StationSession, exam_id: str) -> dict[str, list[dict]]:
    """Suggestions for the newest version of an exam (the doctor confirms them with :func:`set_plan`)."""
    from ksk_desktop.exams.records import latest

    ctx.require(Perm.HEALTH_READ)
    with ctx.write() as s:
        row = latest(s, exam_id)
        ctx.audit(s, "exam.read", "exam", exam_id, {"version": row.version, "suggest": True})
        return suggest(document.loads(row.document))
