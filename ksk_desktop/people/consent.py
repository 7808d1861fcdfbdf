"""Consent to the exam and to sending results to the electronic health record (Luật 91/2025/QH15).

A consent is recorded with the operator and the time; withdrawing it records who withdrew it and when, and
never erases the record. Both are audited and queued for sync.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ksk_desktop import outbox
from ksk_desktop.db.models import Consent, Person
from ksk_desktop.errors import InvalidInput, NotFound
from ksk_desktop.ids import new_id
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.session import StationSession

KINDS = {"exam": "Đồng ý khám sức khỏe", "ehr_share": "Đồng ý gửi kết quả lên hồ sơ sức khỏe điện tử"}
GIVERS = {"self": "Người được khám", "guardian": "Người giám hộ"}


@dataclass(frozen=True)
class ConsentRow:
    id: str
    person_id: str
    kind: str
    given_by: str
    recorded_by: str
    recorded_at: datetime
    withdrawn_by: str | None
    withdrawn_at: datetime | None
    note: str | None

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None

    def to_json(self) -> dict:
        d = dict(self.__dict__)
        d["recorded_at"] = self.recorded_at.isoformat() + "Z"
        d["withdrawn_at"] = self.withdrawn_at.isoformat() + "Z" if self.withdrawn_at else None
        d["active"] = self.active
        return d


def _row(c: Consent) -> ConsentRow:
    return ConsentRow(
        c.id,
        c.person_id,
        c.kind,
        c.given_by,
        c.recorded_by,
        c.recorded_at,
        c.withdrawn_by,
        c.withdrawn_at,
        c.note,
    )


def record(
    ctx: StationSession, person_id: str, kind: str, given_by: str = "self", note: str | None = None
) -> ConsentRow:
    ctx.require(Perm.PERSON_WRITE)
    if kind not in KINDS:
        raise InvalidInput(f"Loại đồng ý không hợp lệ: {kind!r} ({', '.join(KINDS)}).")
    if given_by not in GIVERS:
        raise InvalidInput("Người đồng ý phải là người được khám (self) hoặc người giám hộ (guardian).")
    with ctx.write() as s:
        if s.get(Person, person_id) is None:
            raise NotFound(f"Không tìm thấy người có mã {person_id}.")
        active = s.scalar(
            select(Consent).where(
                Consent.person_id == person_id, Consent.kind == kind, Consent.withdrawn_at.is_(None)
            )
        )
        if active is not None:
            return _row(active)  # already given: recording it twice changes nothing
        return add(ctx, s, person_id, kind, given_by, note)


def add(
    ctx: StationSession,
    s: Session,
    person_id: str,
    kind: str,
    given_by: str = "self",
    note: str | None = None,
) -> ConsentRow:
    """Record a new consent inside the caller's transaction *s* (audited, queued for sync); ``record`` checks
    first that the person exists and has no such consent already."""
    c = Consent(
        id=new_id(),
        person_id=person_id,
        kind=kind,
        given_by=given_by,
        recorded_by=ctx.user.username,
        recorded_at=ctx.clock.utcnow(),
        note=note,
    )
    s.add(c)
    s.flush()
    row = _row(c)
    ctx.audit(
        s, "consent.record", "consent", c.id, {"person_id": person_id, "kind": kind, "given_by": given_by}
    )
    outbox.enqueue(s, "consent", c.id, row.to_json())
    return row


def withdraw(ctx: StationSession, consent_id: str) -> ConsentRow:
    ctx.require(Perm.PERSON_WRITE)
    with ctx.write() as s:
        c = s.get(Consent, consent_id)
        if c is None:
            raise NotFound(f"Không tìm thấy bản ghi đồng ý {consent_id}.")
        if c.withdrawn_at is not None:
            raise InvalidInput("Sự đồng ý này đã được rút trước đó.")
        c.withdrawn_by, c.withdrawn_at = ctx.user.username, ctx.clock.utcnow()
        s.flush()
        row = _row(c)
        ctx.audit(s, "consent.withdraw", "consent", c.id, {"person_id": c.person_id, "kind": c.kind})
        outbox.enqueue(s, "consent", c.id, row.to_json(), 2)
    return row


def of_person(ctx: StationSession, person_id: str) -> list[ConsentRow]:
    ctx.require(Perm.PERSON_READ)
    with ctx.read() as s:
        rows = s.scalars(
            select(Consent).where(Consent.person_id == person_id).order_by(Consent.recorded_at)
        ).all()
    return [_row(c) for c in rows]


def has_consent(ctx: StationSession, person_id: str, kind: str) -> bool:
    return any(c.kind == kind and c.active for c in of_person(ctx, person_id))
