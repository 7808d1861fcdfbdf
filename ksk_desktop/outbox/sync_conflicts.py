"""The conflicts to look at on the "Đồng bộ" page (docs/multi-device.md §4): two devices of the station changed the
same record offline; the version that lost is kept in ``sync_conflict`` and shown here in Vietnamese words (what
it was, from which device, when), until someone marks it seen ("Đã xem", audited).

Naming the person a conflict is about reads their record: only for users who may read people, and audited.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from ksk_desktop.dates import show_date, show_moment
from ksk_desktop.db.models import SyncConflict
from ksk_desktop.errors import InvalidInput, NotFound
from ksk_desktop.exams.plan_rules import FOLLOWUP_KINDS
from ksk_desktop.outbox.sync_review import kind_label, read_names
from ksk_desktop.scheduling import status as st
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession

#: A person's fields as the card names them (conflicts of people kept by the hub, docs/multi-device.md §4).
PERSON_FIELDS = {
    "full_name": "Họ tên",
    "personal_id": "Số định danh",
    "old_id": "Số CMND",
    "birth_date": "Ngày sinh",
    "birth_year": "Năm sinh",
    "sex": "Giới tính",
    "permanent_address": "Địa chỉ thường trú",
    "current_address": "Nơi ở hiện tại",
    "commune_code": "Mã xã",
    "hamlet": "Thôn/tổ",
    "phone": "Số điện thoại",
    "insurance_no": "Số thẻ BHYT",
    "target_group": "Nhóm đối tượng",
    "guardian_name": "Người giám hộ",
    "guardian_phone": "Điện thoại người giám hộ",
}


def _date(value: object) -> str:
    return show_date(value) if isinstance(value, str) and value else "?"


def _yes(value: object) -> str:
    return "có" if value else "không"


def describe(kind: str, payload: dict) -> str:
    """The kept losing version in Vietnamese words (no ids)."""
    p = payload
    if kind == "appointment":
        text = f"Lịch hẹn ngày {_date(p.get('date'))}, ca {p.get('start') or '?'}: {st.LABELS.get(str(p.get('status')), '?')}"
        if p.get("queue_no") is not None:
            text += f", số thứ tự {p['queue_no']}"
        return text + f" (phiên bản {p.get('version', '?')})"
    if kind == "exam_day":
        text = (
            f"Ngày khám {_date(p.get('date'))}: giờ {p.get('opening_hours') or '?'}, "
            f"{p.get('capacity_per_slot', '?')} người/ca, khóa lịch: {_yes(p.get('locked'))}"
        )
        if p.get("desk_device_id"):
            text += f", quầy do máy {p['desk_device_id']}"
        return text + f" (phiên bản {p.get('version', '?')})"
    if kind == "campaign":
        return f"Đợt khám “{p.get('name', '?')}” năm {p.get('year', '?')} (phiên bản {p.get('version', '?')})"
    if kind == "site":
        return (
            f"Điểm khám “{p.get('name', '?')}”, công suất {p.get('capacity_per_hour') or '?'} người/giờ, "
            f"đang hoạt động: {_yes(p.get('active', True))} (phiên bản {p.get('version', '?')})"
        )
    if kind == "followup":
        state = "đã xong" if p.get("status") == "done" else "đang theo dõi"
        text = f"Mục theo dõi: {state}"
        if p.get("done_by"):
            text += f" (ghi bởi {p['done_by']}, lúc {show_moment(p.get('done_at')) or '?'})"
        return text + f", phiên bản {p.get('version', '?')}"
    if kind == "person":
        fields = p.get("fields")
        if not isinstance(fields, dict):
            fields = {}
        kept = "; ".join(
            f"{PERSON_FIELDS.get(k, k)}: {v if v not in (None, '') else '(trống)'}" for k, v in fields.items()
        )
        return f"Giá trị bị ghi đè: {kept or '(không rõ)'}"
    return f"{kind_label(kind)}, phiên bản {p.get('version', '?')}"


def _about(kind: str, entity_id: str, payload: dict) -> str | None:
    """The person the conflict is about, if any."""
    if kind == "person":
        return entity_id
    pid = payload.get("person_id")
    return pid if isinstance(pid, str) else None


def review(ctx: StationSession, *, include_seen: bool = False, limit: int = 500) -> list[dict]:
    """Conflicts newest first: ``kind_label``, ``what`` (the person's name if this user may read people — an
    audited read — else the record id), ``device`` (the device whose version lost, None: this one), ``when``
    (dd/mm/yyyy HH:MM), ``lost_text`` (the kept version in words), ``detail``, ``seen_by``/``seen_at``."""
    q = select(SyncConflict).order_by(SyncConflict.id.desc()).limit(limit)
    if not include_seen:
        q = q.where(SyncConflict.seen_at.is_(None))
    with ctx.write() as s:
        rows = list(s.scalars(q))
        payloads = {c.id: _json(c.lost_payload) for c in rows}
        people = sorted({pid for c in rows if (pid := _about(c.kind, c.entity_id, payloads[c.id]))})
        names = read_names(ctx, s, people, "sync.conflict.read")
        out = []
        for c in rows:
            p = payloads[c.id]
            pid = _about(c.kind, c.entity_id, p)
            what = names.get(pid) if pid else None
            if c.kind == "followup" and p.get("kind") in FOLLOWUP_KINDS:
                what = f"{what or c.entity_id} — {FOLLOWUP_KINDS[p['kind']]}"
            out.append(
                {
                    "id": c.id,
                    "kind": c.kind,
                    "kind_label": kind_label(c.kind),
                    "entity_id": c.entity_id,
                    "what": what or c.entity_id,
                    "device": c.lost_device_id,
                    "when": show_moment(c.found_at),
                    "lost_text": describe(c.kind, p),
                    "detail": c.detail,
                    "seen_by": c.seen_by,
                    "seen_at": show_moment(c.seen_at) or None,
                }
            )
        return out


def _json(text: str | None) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def mark_seen(ctx: StationSession, conflict_id: int) -> dict:
    """Someone looked at a conflict: it leaves the list (kept in the database); audited."""
    ctx.require(Perm.SYNC_MANAGE)
    with ctx.write() as s:
        c = s.get(SyncConflict, conflict_id)
        if c is None:
            raise NotFound(f"Không tìm thấy thay đổi song song số {conflict_id}.")
        if c.seen_at is not None:
            raise InvalidInput(
                f"Thay đổi song song này đã được {c.seen_by} xem lúc {show_moment(c.seen_at)}."
            )
        c.seen_by, c.seen_at = ctx.user.username, ctx.clock.utcnow()
        ctx.audit(
            s, "sync.conflict.seen", "sync_conflict", str(c.id), {"kind": c.kind, "entity_id": c.entity_id}
        )
        return {"id": c.id, "seen_by": c.seen_by, "seen_at": show_moment(c.seen_at)}


def for_person(ctx: StationSession, person_id: str) -> list[dict]:
    """Concurrent changes of this person's record the hub kept (the card shows them: "Có thay đổi song song")."""
    with ctx.read() as s:
        rows = s.scalars(
            select(SyncConflict)
            .where(SyncConflict.kind == "person", SyncConflict.entity_id == person_id)
            .order_by(SyncConflict.id.desc())
        ).all()
        return [
            {
                "id": c.id,
                "when": show_moment(c.found_at),
                "device": c.lost_device_id,
                "lost_text": describe("person", _json(c.lost_payload)),
                "seen": c.seen_at is not None,
            }
            for c in rows
        ]
