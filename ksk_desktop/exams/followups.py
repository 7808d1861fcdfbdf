"""Follow-up items the station manages after an exam (hypertension, diabetes…): recorded when the exam is signed,
listed by due date, marked done."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ksk_desktop import outbox
from ksk_desktop.db.models import FollowUp, Person
from ksk_desktop.errors import InvalidInput
from ksk_desktop.exams.errors import ExamNotFound
from ksk_desktop.exams.plan_rules import FOLLOWUP_KINDS
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession

STATUSES = ("open", "done")


def record(ctx: StationSession, s: Session, doc: dict) -> int:
    known = set(s.scalars(select(FollowUp.id).where(FollowUp.exam_id == doc["id"])))
    n = 0
    for f in doc["followups"]:
        if f["id"] in known:
            continue
        s.add(
            FollowUp(
                id=f["id"],
                exam_id=doc["id"],
                exam_version=doc["version"],
                person_id=doc["person_id"],
                kind=f["kind"],
                due_date=date.fromisoformat(f["due_date"]),
                note=f["note"],
                status="open",
                created_by=ctx.user.username,
                created_at=ctx.clock.utcnow(),
            )
        )
        n += 1
    return n


def _json(f: FollowUp, name: str | None) -> dict:
    return {
        "id": f.id,
        "person_id": f.person_id,
        "full_name": name,
        "exam_id": f.exam_id,
        "kind": f.kind,
        "kind_label": FOLLOWUP_KINDS.get(f.kind, f.kind),
        "due_date": f.due_date.isoformat(),
        "note": f.note,
        "status": f.status,
        "done_by": f.done_by,
        "done_at": f.done_at.isoformat() if f.done_at else None,
    }


def sync_payload(f: FollowUp) -> dict:
    """What a status change sends to the station's other devices (docs/multi-device.md §1): the item's state at
    its version; the item itself comes to them with the signed exam (same id)."""
    return {
        "id": f.id,
        "exam_id": f.exam_id,
        "person_id": f.person_id,
        "status": f.status,
        "done_by": f.done_by,
        "done_at": f.done_at.isoformat() + "Z" if f.done_at else None,
        "version": f.version,
    }


def list_followups(
    ctx: StationSession,
    *,
    due_before: date | None = None,
    status: str | None = "open",
    person_id: str | None = None,
) -> list[dict]:
    """Follow-up items by due date (open ones by default); audited."""
    ctx.require(Perm.HEALTH_READ)
    if status is not None and status not in STATUSES:
        raise InvalidInput("Trạng thái theo dõi phải là open (đang theo dõi) hoặc done (đã xong).")
    q = select(FollowUp, Person.full_name).join(Person, Person.id == FollowUp.person_id)
    if status:
        q = q.where(FollowUp.status == status)
    if due_before:
        q = q.where(FollowUp.due_date < due_before)
    if person_id:
        q = q.where(FollowUp.person_id == person_id)
    with ctx.write() as s:
        rows = [_json(f, name) for f, name in s.execute(q.order_by(FollowUp.due_date, Person.sort_key))]
        ctx.audit(s, "exam.read", "followup", None, {"list": len(rows)})
        return rows


def mark_done(ctx: StationSession, followup_id: str) -> dict:
    ctx.require(Perm.EXAM_WRITE)
    with ctx.write() as s:
        f = s.get(FollowUp, followup_id)
        if f is None:
            raise ExamNotFound(f"Không tìm thấy mục theo dõi có mã {followup_id}.")
        if f.status == "done":
            raise InvalidInput("Mục theo dõi này đã được đánh dấu xong.")
        f.status, f.done_by, f.done_at = "done", ctx.user.username, ctx.clock.utcnow()
        f.version = (f.version or 1) + 1
        outbox.enqueue(s, "followup", f.id, sync_payload(f), f.version)
        ctx.audit(s, "exam.save", "followup", f.id, {"exam": f.exam_id, "status": "done"})
        return _json(f, s.get_one(Person, f.person_id).full_name)
