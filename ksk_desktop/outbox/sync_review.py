"""What a person sees and decides about sync on the "Đồng bộ" page: outbox counts by kind and state, the items
the hub rejected with its reason in Vietnamese and the record they concern, and dismissing one for good.

Naming the person behind a rejected item reads their record: only for users who may read people, and audited.
A dismissed item (``state = "dismissed"``) is never sent; the reason and who decided are in the audit trail.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ksk_desktop.dates import show_moment
from ksk_desktop.db.models import OutboxItem, Person
from ksk_desktop.errors import InvalidInput
from ksk_desktop.outbox import sync_state
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession
from ksk_desktop.text import nfc

DISMISSED = "dismissed"
STATES = ("pending", "in_flight", "parked", "sent", DISMISSED, sync_state.ELSEWHERE)

KIND_LABELS = {
    "person": "Hồ sơ người dân",
    "person_merge": "Gộp hồ sơ",
    "consent": "Đồng ý",
    "appointment": "Lịch hẹn",
    "exam": "Phiếu khám",
    "amendment": "Phiếu khám sửa đổi",
    "referral": "Chuyển tuyến",
    "audit_head": "Nhật ký kiểm tra",
    "doctor_key": "Khóa ký (bác sĩ, trưởng trạm)",
    "report": "Báo cáo đã nộp",
    "campaign": "Đợt khám",
    "site": "Điểm khám",
    "exam_day": "Ngày khám",
    "moh_push": "Hồ sơ gửi Bộ Y tế (QĐ 1551)",
    "followup": "Theo dõi sau khám",
}

# Reason codes the worker itself writes before the hub's text (sync_state / worker): said in Vietnamese.
_LOCAL_CODES = {
    "format": "Máy chủ không đọc được mục này",
    "local": "Lỗi tại trạm",
    "rejected": "Máy chủ từ chối",
    "known_elsewhere": "Đã có hồ sơ ở trạm khác",
}


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def explain(reason: str | None) -> str:
    """The stored ``"code: text"`` as a sentence for a person: the hub's Vietnamese text, or a label for our codes."""
    if not reason:
        return "Máy chủ từ chối (không nêu lý do)."
    code, sep, text = reason.partition(": ")
    if not sep:
        return reason
    if code in _LOCAL_CODES:
        return f"{_LOCAL_CODES[code]}: {text}" if text else _LOCAL_CODES[code]
    return text or code


def counts_by_kind(ctx: StationSession) -> dict[str, dict[str, int]]:
    """``{kind: {state: n}}`` over the whole outbox (counts only: no personal data)."""
    with ctx.read() as s:
        rows = s.execute(
            select(OutboxItem.kind, OutboxItem.state, func.count()).group_by(
                OutboxItem.kind, OutboxItem.state
            )
        ).all()
    out: dict[str, dict[str, int]] = {}
    for kind, state, n in rows:
        out.setdefault(kind, dict.fromkeys(STATES, 0))[state] = n
    return out


def review_parked(ctx: StationSession, limit: int = 1000) -> list[dict]:
    """Parked items oldest first, each with ``kind_label``, ``when`` (local dd/mm/yyyy HH:MM), ``reason_text`` and
    ``entity_label`` (the person's name if this user may read people — an audited read — else the record id)."""
    rows = sync_state.parked(ctx, limit)
    person_ids = sorted({r["entity_id"] for r in rows if r["kind"] == "person"})
    names: dict[str, str] = {}
    if person_ids and ctx.can(Perm.PERSON_READ):
        with ctx.write() as s:
            names = read_names(ctx, s, person_ids, "sync.parked.read")
    out = []
    for r in rows:
        out.append(
            r
            | {
                "kind_label": kind_label(r["kind"]),
                "when": show_moment(r["created_at"]) or None,
                "reason_text": explain(r["reason"]),
                "entity_label": names.get(r["entity_id"]) or r["entity_id"],
            }
        )
    return out


def read_names(ctx: StationSession, s: Session, person_ids: list[str], action: str) -> dict[str, str]:
    """The names of these people if this user may read people: an audited read (*action*), in *s*."""
    names: dict[str, str] = {}
    if not person_ids or not ctx.can(Perm.PERSON_READ):
        return names
    for i in range(0, len(person_ids), 500):
        names.update(
            s.execute(select(Person.id, Person.full_name).where(Person.id.in_(person_ids[i : i + 500]))).all()
        )
    if names:
        ctx.audit(s, action, "person", None, {"person_ids": sorted(names)})
    return names


def dismiss(ctx: StationSession, item_id: str, reason: str) -> dict:
    """A person decides a parked item will not be sent (e.g. a test record); the reason is required and audited."""
    ctx.require(Perm.SYNC_MANAGE)
    reason = nfc(reason or "")
    if len(reason) < 3:
        raise InvalidInput("Hãy ghi lý do bỏ qua mục này (ít nhất 3 ký tự).")
    with ctx.write() as s:
        row = sync_state.parked_row(s, item_id)
        hub_reason = row.last_error
        row.state = DISMISSED
        row.next_attempt_at = None
        ctx.audit(
            s,
            "sync.dismiss",
            "outbox",
            item_id,
            {"kind": row.kind, "entity_id": row.entity_id, "hub_reason": hub_reason, "reason": reason},
        )
    return {"item_id": item_id, "state": DISMISSED}
