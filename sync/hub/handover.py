"""Handing a person over from one station to another (a person who moved between communes).

A station that registers someone the hub already holds for another station (same personal ID) gets the answer
"known elsewhere" and nothing of the other station's record. Its record is linked to the existing one and a
**handover request** is written here: "station B asks for this person". Nothing moves until the hub
administrator decides (``ksk hub handover list|release|refuse``; ``move`` hands a person over directly, e.g.
when the owning station asks for it). Releasing moves the person into a commune of the receiving station: from
then on that station reads and writes the record (its own linked record is merged into it through the pull
feed), and the former station can no longer change it. The person-level work is in ``sync.hub.people``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from sync.hub.models import HubBase, SeqType

PENDING, RELEASED, REFUSED = "pending", "released", "refused"


class HubHandover(HubBase):
    """A request to hand *person_id* (the hub's record) over to *to_station*; *linked_id* is the requesting
    station's own record of the same person (merged into *person_id* when the request is released)."""

    __tablename__ = "hub_handover"
    id: Mapped[int] = mapped_column(SeqType, primary_key=True, autoincrement=True)
    person_id: Mapped[str] = mapped_column(String(36), index=True)
    linked_id: Mapped[str] = mapped_column(String(36), index=True)
    from_station: Mapped[str | None] = mapped_column(String(20))
    to_station: Mapped[str] = mapped_column(String(20))
    to_commune: Mapped[str | None] = mapped_column(String(5))
    state: Mapped[str] = mapped_column(String(10))  # pending | released | refused
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    requested_by: Mapped[str] = mapped_column(String(36))  # a device id, or "admin"
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    __table_args__ = (UniqueConstraint("person_id", "linked_id", "to_station", name="uq_hub_handover"),)


def request(
    s: Session,
    *,
    person_id: str,
    linked_id: str,
    from_station: str | None,
    to_station: str,
    to_commune: str | None,
    requested_by: str,
    now: datetime,
    reopen: bool = False,
) -> HubHandover:
    """Record (once) that *to_station* asks for *person_id*. A decided request stays decided (a station pushing
    its linked record again does not undo a refusal) unless *reopen* (the administrator asks again)."""
    row = s.scalar(
        select(HubHandover).where(
            HubHandover.person_id == person_id,
            HubHandover.linked_id == linked_id,
            HubHandover.to_station == to_station,
        )
    )
    if row is None:
        row = HubHandover(
            person_id=person_id,
            linked_id=linked_id,
            from_station=from_station,
            to_station=to_station,
            to_commune=to_commune,
            state=PENDING,
            requested_at=now,
            requested_by=requested_by,
        )
        s.add(row)
        s.flush()
    elif reopen and row.state != PENDING:
        row.state, row.decided_at = PENDING, None
        row.from_station, row.to_commune = from_station, to_commune
        row.requested_at, row.requested_by = now, requested_by
        s.flush()
    return row


def pending_for(s: Session, linked_id: str, station_code: str) -> HubHandover | None:
    """The pending request of *station_code* whose own record is *linked_id*, if any."""
    return s.scalar(
        select(HubHandover)
        .where(
            HubHandover.linked_id == linked_id,
            HubHandover.to_station == station_code,
            HubHandover.state == PENDING,
        )
        .limit(1)
    )


def pending_of_person(s: Session, person_id: str, station_code: str) -> list[HubHandover]:
    return list(
        s.scalars(
            select(HubHandover)
            .where(
                HubHandover.person_id == person_id,
                HubHandover.to_station == station_code,
                HubHandover.state == PENDING,
            )
            .order_by(HubHandover.id)
        ).all()
    )


def to_json(row: HubHandover) -> dict:
    """A request as the administrator sees it: ids and station codes only, no personal data."""
    return {
        "id": row.id,
        "person_id": row.person_id,
        "linked_id": row.linked_id,
        "from_station": row.from_station,
        "to_station": row.to_station,
        "to_commune": row.to_commune,
        "state": row.state,
        "requested_at": row.requested_at.isoformat(),
        "requested_by": row.requested_by,
        "decided_at": row.decided_at.isoformat() if row.decided_at else None,
    }


def listing(s: Session, *, everything: bool = False) -> list[dict]:
    q = select(HubHandover).order_by(HubHandover.id)
    if not everything:
        q = q.where(HubHandover.state == PENDING)
    return [to_json(r) for r in s.scalars(q).all()]
