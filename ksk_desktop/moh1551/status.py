"""At the station: what became of each exam's QĐ 1551 envelope, and its 24-hour deadline.

The station knows its own outbox (queued, at the hub, or refused by the hub) and what the hub last reported
about the Ministry's answer (``record_hub_status``, after each sync run). ``station_status`` joins the two:
per exam the state, the deadline, whether it is overdue, and the Ministry's message — what to fix.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ksk_desktop.db.models import Moh1551Unsent, MohPushStatus, OutboxItem
from ksk_desktop.moh1551.codes import ma_lk
from ksk_desktop.moh1551.envelope import DEADLINE
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession

HUB_STATES = ("pending", "waiting", "accepted", "duplicate", "parked", "stopped")
DONE = ("accepted", "duplicate")
#: What each state means for the person at the station (the Đồng bộ page and the CLI's text).
LABELS = {
    "queued": "Chờ gửi lên máy chủ thành phố",
    "hub_refused": "Máy chủ thành phố từ chối — cần xử lý",
    "pending": "Máy chủ đang gửi Bộ Y tế",
    "waiting": "Chờ người dân đồng ý chia sẻ",
    "accepted": "Bộ Y tế đã tiếp nhận",
    "duplicate": "Trùng số định danh trong 6 tháng",
    "parked": "Bộ Y tế trả lại — cần sửa dữ liệu",
    "stopped": "Dừng gửi: chữ ký số không hợp lệ — báo quản trị",
    # Signed but never queued (moh1551.sign_off): the station lacked its codes or certificates, or the data.
    "no_settings": "Chưa gửi Bộ Y tế (chưa đặt mã cơ sở)",
    "no_certificate": "Chưa gửi Bộ Y tế (thiếu chứng thư số)",
    "invalid": "Chưa gửi Bộ Y tế (dữ liệu chưa đủ)",
}
NOT_SENT = ("no_settings", "no_certificate", "invalid")
TO_FIX = ("hub_refused", "parked", "stopped", *NOT_SENT)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC).replace(tzinfo=None)


def record_hub_status(s: Session, answer: dict, now: datetime) -> int:
    """Keep what the hub's ``/moh-status`` reported (rows by ``msg_id``); how many rows changed."""
    changed = 0
    for r in answer.get("items") or []:
        if (
            not isinstance(r, dict)
            or not isinstance(r.get("msg_id"), str)
            or r.get("state") not in HUB_STATES
        ):
            continue
        row = s.get(MohPushStatus, r["msg_id"])
        values = {
            "exam_id": str(r.get("exam_id", ""))[:64],
            "exam_version": int(r.get("exam_version") or 1),
            "state": r["state"],
            "res_code": (str(r["res_code"])[:40] if r.get("res_code") else None),
            "message": (str(r["message"])[:2000] if r.get("message") else None),
            "deadline": _utc(r["deadline"]) if r.get("deadline") else None,
            "pushed_at": _utc(r["answered_at"]) if r.get("answered_at") else None,
        }
        if row is None:
            s.add(MohPushStatus(msg_id=r["msg_id"], updated_at=now, **values))
            changed += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            row.updated_at = now
            changed += 1
    return changed


def station_status(ctx: StationSession) -> dict:
    """Per exam: state, label, deadline, overdue, the Ministry's code and message (``ksk sync moh-status``)."""
    if not ctx.can(Perm.EXAM_SIGN):
        ctx.require(Perm.SYNC_MANAGE)
    now = ctx.clock.utcnow()
    with ctx.read() as s:
        hub = {r.msg_id: r for r in s.scalars(select(MohPushStatus))}
        items = []
        for o in s.scalars(select(OutboxItem).where(OutboxItem.kind == "moh_push").order_by(OutboxItem.seq)):
            payload = json.loads(o.payload or "{}")
            msg_id = payload.get("msg_id", "")
            known = hub.get(msg_id)
            deadline = _utc(payload["deadline"]) if payload.get("deadline") else None
            if known is not None:
                state, code, message = known.state, known.res_code, known.message
                answered = known.pushed_at
            elif o.state == "parked":
                state, code, message, answered = "hub_refused", None, o.last_error, None
            else:
                state, code, message, answered = (
                    ("pending" if o.state == "sent" else "queued"),
                    None,
                    None,
                    None,
                )
            done = state in DONE
            overdue = deadline is not None and ((answered or now) > deadline if done else now > deadline)
            items.append(
                {
                    "exam_id": o.entity_id,
                    "exam_version": o.entity_version,
                    "ma_lk": payload.get("ma_lk"),
                    "msg_id": msg_id,
                    "state": state,
                    "label": LABELS[state],
                    "res_code": code,
                    "message": message,
                    "deadline": deadline.isoformat() + "Z" if deadline else None,
                    "overdue": overdue,
                    "to_fix": state in TO_FIX,
                }
            )
        queued = {i["exam_id"] for i in items}
        for u in s.scalars(select(Moh1551Unsent).order_by(Moh1551Unsent.at)):
            if u.exam_id in queued or u.reason not in NOT_SENT:
                continue
            deadline = u.at + DEADLINE
            items.append(
                {
                    "exam_id": u.exam_id,
                    "exam_version": u.exam_version,
                    "ma_lk": ma_lk(u.exam_id),
                    "msg_id": None,
                    "state": u.reason,
                    "label": LABELS[u.reason],
                    "res_code": None,
                    "message": u.detail,
                    "deadline": deadline.isoformat() + "Z",
                    "overdue": now > deadline,
                    "to_fix": True,
                }
            )
    counts = {k: sum(1 for i in items if i["state"] == k) for k in LABELS}
    return {
        "items": items,
        "counts": counts,
        "overdue": sum(1 for i in items if i["overdue"]),
        "to_fix": sum(1 for i in items if i["to_fix"]),
    }


def record(ctx: StationSession, answer: dict) -> int:
    """``record_hub_status`` in its own transaction (the sync worker calls it after a run)."""
    with ctx.write() as s:
        return record_hub_status(s, answer, ctx.clock.utcnow())
