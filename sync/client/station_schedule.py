"""Applying campaigns, sites, exam days and appointments of another device of the station (docs/multi-device.md
§4): the records two devices may both change offline. One rule everywhere, whatever the arrival order: the
greater version wins (an appointment: the visit that went further first), and the loser is kept in
``sync_conflict`` to be shown, never dropped. Runs inside the caller's transaction, like ``station_kinds``.
"""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ksk_desktop.db.models import (
    Appointment,
    Campaign,
    ExamDay,
    OutboxItem,
    Site,
    Slot,
    SyncConflict,
    SyncReceivedItem,
)
from ksk_desktop.scheduling import status as st
from ksk_desktop.scheduling import sync_items, sync_payload
from ksk_desktop.station.audit import canonical_json
from ksk_desktop.station.session import StationSession
from sync.client.station_kinds import (
    APPLIED,
    OK,
    SUPERSEDED,
    WAITING,
    Incoming,
    Outcome,
    local_person,
    no_person,
    utc_of,
)

UNSENT = ("pending", "in_flight", "parked")
DOUBLE_BOOKED = "hai lịch hẹn cùng đợt cho một người: giữ lịch đi xa hơn, lịch kia hủy trên máy này"
#: ``Session.info`` key: {(kind, entity id, version): item id} of the items applied in the page being received.
PAGE_APPLIED = "ksk_station_page_applied"
#: How far along the visit an appointment state is: the greater wins a conflict (docs/multi-device.md §4).
STATUS_RANK = {
    st.SCHEDULED: 0,
    st.NOTIFIED: 1,
    st.CANCELLED: 2,
    st.NO_SHOW: 2,
    st.RESCHEDULED: 3,
    st.CHECKED_IN: 4,
    st.IN_EXAM: 5,
    st.EXAMINED: 6,
}


# -- appointments --------------------------------------------------------------------------------------------
def _key(status: str, version: int, item_id: str) -> tuple[int, int, str]:
    return (STATUS_RANK.get(status, 0), version, item_id)


def _local_item(s: Session, kind: str, entity_id: str, version: int) -> tuple[str, bool]:
    """The id of the item that made the row what it is here (this device's own or one received), and whether
    that change is still unsent."""
    own = s.execute(
        select(OutboxItem.item_id, OutboxItem.state)
        .where(
            OutboxItem.kind == kind, OutboxItem.entity_id == entity_id, OutboxItem.entity_version == version
        )
        .order_by(OutboxItem.seq.desc())
        .limit(1)
    ).first()
    if own is not None:
        return own[0], own[1] in UNSENT
    this_page = s.info.get(PAGE_APPLIED, {}).get((kind, entity_id, version))
    if this_page is not None:  # applied earlier in this page: its bookkeeping row is written with the page's
        return this_page, False
    got = s.scalar(
        select(SyncReceivedItem.item_id)
        .where(
            SyncReceivedItem.kind == kind,
            SyncReceivedItem.entity_id == entity_id,
            SyncReceivedItem.entity_version == version,
            SyncReceivedItem.state == APPLIED,
        )
        .order_by(SyncReceivedItem.received_at.desc())
        .limit(1)
    )
    return got or "", False


def _payload_of(s: Session, appt: Appointment) -> dict:
    (p,) = sync_payload.payloads(s, [appt.id])
    return p


def _conflict(
    s: Session, it: Incoming, kept: str, lost: str, lost_device: str | None, payload: dict, detail: str, now
) -> None:  # noqa: ANN001
    s.add(
        SyncConflict(
            kind=it.kind,
            entity_id=it.entity_id,
            kept_item_id=kept or None,
            lost_item_id=lost or None,
            lost_device_id=lost_device,
            lost_payload=canonical_json(payload),
            detail=detail,
            found_at=now,
        )
    )


def _order(checked_in: datetime | None) -> str:
    """A check-in moment as sortable text; none sorts last."""
    return checked_in.isoformat() if checked_in is not None else "~"


def place_key(p: dict) -> str:
    """What an appointment waiting for its exam day waits for: its site, date and start time."""
    return f"{p.get('site_id')}|{p.get('date')}|{p.get('start')}"


def place_ready(s: Session, key: str) -> bool:
    site_id, _sep, rest = key.partition("|")
    day, _sep, start = rest.partition("|")
    try:
        when = date.fromisoformat(day)
    except ValueError:
        return False
    found = s.execute(
        select(Slot.id)
        .join(ExamDay, Slot.day_id == ExamDay.id)
        .where(ExamDay.site_id == site_id, ExamDay.exam_date == when, Slot.start_time == start)
        .limit(1)
    ).first()
    return found is not None


def _place(s: Session, p: dict) -> tuple[str, str] | None:
    """(day id, slot id) here for the appointment's site, date and start time; remembered for the transaction
    (a page places hundreds of appointments on a few days)."""
    key = (p.get("site_id"), p.get("date"), p.get("start"))
    places = s.info.setdefault("ksk_station_places", {})
    if key in places:
        return places[key]
    found = s.execute(
        select(ExamDay.id, Slot.id)
        .join(Slot, Slot.day_id == ExamDay.id)
        .where(
            ExamDay.site_id == key[0],
            ExamDay.exam_date == date.fromisoformat(p["date"]),
            Slot.start_time == key[2],
        )
        .limit(1)
    ).first()
    if found is None:
        return None
    places[key] = (found[0], found[1])
    return places[key]


def appointment(ctx: StationSession, s: Session, it: Incoming) -> Outcome:
    """The greatest (status rank, version, item id) wins on every device whatever the arrival order. The loser is
    kept as a conflict to be shown when the two were concurrent: a local version replaced by an incoming one that
    is not a later step of it (same or lower version, or the local change not sent yet), an incoming version that
    loses at the same or a newer version."""
    p, now = it.payload, ctx.clock.utcnow()
    pid = local_person(s, p.get("person_id"))
    if pid is None:
        return no_person(p.get("person_id"))
    if s.get(Campaign, p.get("campaign_id")) is None:
        return Outcome(
            WAITING, "chưa có đợt khám của lịch hẹn này trên máy", ("campaign", str(p.get("campaign_id")))
        )
    place = _place(s, p)
    if place is None:
        return Outcome(
            WAITING, "chưa có ngày khám hoặc ca khám của lịch hẹn này trên máy", ("place", place_key(p))
        )
    day_id, slot_id = place
    earlier = p.get("rescheduled_from")
    if earlier and s.scalar(select(Appointment.id).where(Appointment.id == earlier)) is None:
        return Outcome(WAITING, "chưa có lịch hẹn cũ mà lịch hẹn này thay thế", ("appointment", str(earlier)))
    appt = s.get(Appointment, it.entity_id)
    incoming = _key(p["status"], it.entity_version, it.item_id)
    if appt is not None:
        local_item, unsent = _local_item(s, "appointment", appt.id, appt.version)
        if incoming <= _key(appt.status, appt.version, local_item):
            if incoming[1:] != (appt.version, local_item) and it.entity_version >= appt.version:
                _conflict(
                    s, it, local_item, it.item_id, it.device_id, p, "lịch hẹn bị thay đổi song song", now
                )
            return Outcome(SUPERSEDED, "máy này có phiên bản mới hơn của lịch hẹn")
        if unsent or it.entity_version <= appt.version:  # not a later step of the local version: concurrent
            _conflict(
                s,
                it,
                it.item_id,
                local_item,
                None,
                _payload_of(s, appt),
                "lịch hẹn bị thay đổi song song",
                now,
            )
    status = _one_active(s, it, pid, now) if p["status"] in st.ACTIVE else p["status"]
    queue_no = p.get("queue_no")
    if queue_no is not None:
        holder = s.scalar(
            select(Appointment).where(
                Appointment.day_id == day_id, Appointment.queue_no == queue_no, Appointment.id != it.entity_id
            )
        )
        if holder is not None:
            # One number, two people: the one checked in first keeps it, on every device.
            theirs = (_order(holder.checked_in_at), holder.id)
            ours = (_order(utc_of(p.get("checked_in_at"))), it.entity_id)
            if theirs < ours:
                _conflict(s, it, "", it.item_id, it.device_id, p, "số thứ tự trùng: giữ người đến trước", now)
                queue_no = None
            else:
                _conflict(
                    s,
                    it,
                    it.item_id,
                    "",
                    None,
                    _payload_of(s, holder),
                    "số thứ tự trùng: giữ người đến trước",
                    now,
                )
                holder.queue_no = None
                s.flush()
    values = {
        "person_id": pid,
        "campaign_id": p["campaign_id"],
        "day_id": day_id,
        "slot_id": slot_id,
        "status": status,
        "queue_no": queue_no,
        "priority": 1 if p.get("priority") else 0,
        "walk_in": bool(p.get("walk_in")),
        "rescheduled_from": p.get("rescheduled_from"),
        "checked_in_at": utc_of(p.get("checked_in_at")),
        "updated_at": utc_of(p.get("updated_at")) or now,
        "version": it.entity_version,
    }
    if appt is None:
        s.add(Appointment(id=it.entity_id, created_by="sync", created_at=now, **values))
    else:
        for k, v in values.items():
            setattr(appt, k, v)
    s.flush()
    return OK


def _one_active(s: Session, it: Incoming, pid: str, now) -> str:  # noqa: ANN001
    """Two active appointments of one person in one campaign, made on two devices: the greater (status rank,
    version, item id) stays active, the other becomes cancelled here (not queued: every device does the same,
    whatever the arrival order) and is kept as a conflict. Returns the incoming appointment's status here."""
    p = it.payload
    incoming = _key(p["status"], it.entity_version, it.item_id)
    for other in s.scalars(
        select(Appointment).where(
            Appointment.campaign_id == p["campaign_id"],
            Appointment.person_id == pid,
            Appointment.status.in_(st.ACTIVE),
            Appointment.id != it.entity_id,
        )
    ).all():
        local_item, _unsent = _local_item(s, "appointment", other.id, other.version)
        if incoming < _key(other.status, other.version, local_item):
            _conflict(s, it, local_item, it.item_id, it.device_id, p, DOUBLE_BOOKED, now)
            return st.CANCELLED
        lost = _payload_of(s, other)
        lost_device = s.scalar(
            select(SyncReceivedItem.device_id).where(SyncReceivedItem.item_id == local_item)
        )
        s.add(
            SyncConflict(
                kind="appointment",
                entity_id=other.id,
                kept_item_id=it.item_id,
                lost_item_id=local_item or None,
                lost_device_id=lost_device,
                lost_payload=canonical_json(lost),
                detail=DOUBLE_BOOKED,
                found_at=now,
            )
        )
        other.status = st.CANCELLED
        s.flush()
    return str(p["status"])


# -- campaigns, sites, exam days: the newest version wins, the loser is kept ---------------------------------------
def newest_wins(s: Session, it: Incoming, row, payload_now: dict, now) -> bool:  # noqa: ANN001
    """Whether the incoming version replaces *row* ((version, item id) greater); a concurrent loser is kept."""
    local_item, unsent = _local_item(s, it.kind, it.entity_id, row.version)
    if (it.entity_version, it.item_id) <= (row.version, local_item):
        if it.entity_version >= row.version and it.item_id != local_item:
            _conflict(
                s, it, local_item, it.item_id, it.device_id, it.payload, "bản ghi bị thay đổi song song", now
            )
        return False
    if unsent or it.entity_version <= row.version:
        _conflict(s, it, it.item_id, local_item, None, payload_now, "bản ghi bị thay đổi song song", now)
    return True


def campaign(ctx: StationSession, s: Session, it: Incoming) -> Outcome:
    p, now = it.payload, ctx.clock.utcnow()
    row = s.get(Campaign, it.entity_id)
    if row is None:
        row = Campaign(id=it.entity_id, created_by=p.get("created_by") or "?", created_at=now)
        s.add(row)
    elif not newest_wins(s, it, row, sync_items.campaign_payload(row), now):
        return Outcome(SUPERSEDED, "máy này có phiên bản mới hơn")
    row.year, row.name = int(p["year"]), str(p["name"])
    row.target_groups = json.dumps(p["target_groups"], ensure_ascii=False)
    row.exam_forms = json.dumps(p["exam_forms"], ensure_ascii=False)
    row.version, row.updated_at = it.entity_version, now
    return OK


def site(ctx: StationSession, s: Session, it: Incoming) -> Outcome:
    p, now = it.payload, ctx.clock.utcnow()
    row = s.get(Site, it.entity_id)
    if row is None:
        row = Site(id=it.entity_id, created_at=now)
        s.add(row)
    elif not newest_wins(s, it, row, sync_items.site_payload(row), now):
        return Outcome(SUPERSEDED, "máy này có phiên bản mới hơn")
    row.name, row.address, row.kind = str(p["name"]), p.get("address"), str(p["kind"])
    row.mobile, row.active = bool(p.get("mobile")), bool(p.get("active", True))
    row.capacity_per_hour = p.get("capacity_per_hour")
    row.version, row.updated_at = it.entity_version, now
    return OK


def exam_day(ctx: StationSession, s: Session, it: Incoming) -> Outcome:
    """A day with its slots (same ids). Another day at the same site and date made on this device offline stays
    the day here (the loser is kept as a conflict): appointments find their place by site, date and time."""
    p, now = it.payload, ctx.clock.utcnow()
    if s.get(Site, p.get("site_id")) is None:
        return Outcome(
            WAITING, "chưa có điểm khám của ngày khám này trên máy", ("site", str(p.get("site_id")))
        )
    day_date = date.fromisoformat(p["date"])
    row = s.get(ExamDay, it.entity_id)
    if row is None:
        twin = s.scalar(select(ExamDay).where(ExamDay.site_id == p["site_id"], ExamDay.exam_date == day_date))
        if twin is not None:
            _conflict(s, it, "", it.item_id, it.device_id, p, "hai ngày khám cùng điểm, cùng ngày", now)
            return Outcome(SUPERSEDED, "máy này đã có ngày khám khác cùng điểm, cùng ngày")
        row = ExamDay(id=it.entity_id, site_id=p["site_id"], exam_date=day_date, created_at=now)
        s.add(row)
        for x in p["slots"]:
            s.add(
                Slot(
                    id=x["id"],
                    day_id=it.entity_id,
                    seq=x["seq"],
                    start_time=x["start"],
                    end_time=x["end"],
                    capacity=x["capacity"],
                )
            )
    elif not newest_wins(s, it, row, sync_items.day_payload(s, row), now):
        return Outcome(SUPERSEDED, "máy này có phiên bản mới hơn")
    else:
        for x in p["slots"]:
            slot = s.get(Slot, x["id"])
            if slot is not None:
                slot.capacity = x["capacity"]
    row.opening_hours, row.slot_minutes = str(p["opening_hours"]), int(p["slot_minutes"])
    row.capacity_per_slot, row.team_note, row.locked = (
        int(p["capacity_per_slot"]),
        p.get("team_note"),
        bool(p.get("locked")),
    )
    row.desk_device_id = p.get("desk_device_id") if isinstance(p.get("desk_device_id"), str) else None
    row.version, row.updated_at = it.entity_version, now
    return OK


APPLIERS = {"campaign": campaign, "site": site, "exam_day": exam_day, "appointment": appointment}
