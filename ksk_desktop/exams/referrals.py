"""Referrals of signed exams: recorded (and queued for the hub) when the exam is signed, read for printing."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ksk_desktop import outbox
from ksk_desktop.db.models import Referral
from ksk_desktop.exams.errors import ExamNotFound
from ksk_desktop.exams.plan_rules import URGENCY_LABELS
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession


def record(ctx: StationSession, s: Session, doc: dict) -> int:
    """Create the rows of the signed *doc*'s referrals that are new, each queued as a ``referral`` outbox item."""
    known = set(s.scalars(select(Referral.id).where(Referral.exam_id == doc["id"])))
    n = 0
    for r in doc["referrals"]:
        if r["id"] in known:
            continue
        s.add(
            Referral(
                id=r["id"],
                exam_id=doc["id"],
                exam_version=doc["version"],
                person_id=doc["person_id"],
                destination=r["destination"],
                reason=r["reason"],
                urgency=r["urgency"],
                created_by=ctx.user.username,
                created_at=ctx.clock.utcnow(),
            )
        )
        outbox.enqueue(
            s,
            "referral",
            r["id"],
            {
                **r,
                "exam_id": doc["id"],
                "exam_version": doc["version"],
                "person_id": doc["person_id"],
                "exam_date": doc["exam_date"],
                "signed_by": doc["signed_by"],
            },
        )
        n += 1
    return n


def to_json(r: Referral) -> dict:
    return {
        "id": r.id,
        "exam_id": r.exam_id,
        "exam_version": r.exam_version,
        "person_id": r.person_id,
        "destination": r.destination,
        "reason": r.reason,
        "urgency": r.urgency,
        "urgency_label": URGENCY_LABELS[r.urgency],
        "created_by": r.created_by,
        "created_at": r.created_at.isoformat(),
    }


def get_referral(ctx: StationSession, referral_id: str) -> dict:
    """One referral (audited as a read of its exam)."""
    ctx.require(Perm.HEALTH_READ)
    with ctx.write() as s:
        r = s.get(Referral, referral_id)
        if r is None:
            raise ExamNotFound(f"Không tìm thấy giấy chuyển tuyến có mã {referral_id}.")
        ctx.audit(s, "exam.read", "referral", r.id, {"exam": r.exam_id})
        return to_json(r)


def list_referrals(ctx: StationSession, person_id: str | None = None) -> list[dict]:
    ctx.require(Perm.HEALTH_READ)
    q = select(Referral).order_by(Referral.created_at.desc())
    if person_id:
        q = q.where(Referral.person_id == person_id)
    with ctx.write() as s:
        rows = [to_json(r) for r in s.scalars(q)]
        ctx.audit(s, "exam.read", "referral", None, {"list": len(rows)})
        return rows
