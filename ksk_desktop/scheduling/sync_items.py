"""What a campaign, a site and an exam day send to the hub and from there to the station's other devices
(docs/multi-device.md §1): the row as stored at the version its outbox item names, an exam day with its slots.

Queued in the same transaction as the change, like appointments (``sync_payload``), so the station's other
devices can place the appointments that point at them.
"""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from ksk_desktop import outbox
from ksk_desktop.db.models import Campaign, ExamDay, Site, Slot


def campaign_payload(c: Campaign) -> dict:
    return {
        "id": c.id,
        "year": c.year,
        "name": c.name,
        "target_groups": json.loads(c.target_groups),
        "exam_forms": json.loads(c.exam_forms),
        "created_by": c.created_by,
        "version": c.version,
    }


def site_payload(site: Site) -> dict:
    return {
        "id": site.id,
        "name": site.name,
        "address": site.address,
        "kind": site.kind,
        "mobile": site.mobile,
        "capacity_per_hour": site.capacity_per_hour,
        "active": site.active,
        "version": site.version,
    }


def day_payload(s: Session, day: ExamDay) -> dict:
    slots = s.scalars(select(Slot).where(Slot.day_id == day.id).order_by(Slot.seq)).all()
    return {
        "id": day.id,
        "site_id": day.site_id,
        "date": day.exam_date.isoformat(),
        "opening_hours": day.opening_hours,
        "slot_minutes": day.slot_minutes,
        "capacity_per_slot": day.capacity_per_slot,
        "team_note": day.team_note,
        "locked": day.locked,
        "desk_device_id": day.desk_device_id,
        "version": day.version,
        "slots": [
            {"id": x.id, "seq": x.seq, "start": x.start_time, "end": x.end_time, "capacity": x.capacity}
            for x in slots
        ],
    }


def queue_campaign(s: Session, c: Campaign) -> None:
    outbox.enqueue(s, "campaign", c.id, campaign_payload(c), c.version)


def queue_site(s: Session, site: Site) -> None:
    outbox.enqueue(s, "site", site.id, site_payload(site), site.version)


def queue_day(s: Session, day: ExamDay) -> None:
    s.flush()  # the slots added with it, or just changed
    outbox.enqueue(s, "exam_day", day.id, day_payload(s, day), day.version)
