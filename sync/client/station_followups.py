"""Applying a follow-up status change of another device of the station (docs/multi-device.md §4): the follow-up
item itself comes with its signed exam (same id on every device); its status changes (marked done) come as
``followup`` items, newest (version, item id) wins and a concurrent loser is kept in ``sync_conflict``.
Runs inside the caller's transaction, like ``station_schedule``."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ksk_desktop.db.models import FollowUp
from ksk_desktop.exams import followups
from ksk_desktop.station.session import StationSession
from sync.client.station_kinds import OK, SUPERSEDED, WAITING, Incoming, Outcome, utc_of
from sync.client.station_schedule import newest_wins

STATUSES = frozenset(followups.STATUSES)


def followup(ctx: StationSession, s: Session, it: Incoming) -> Outcome:
    p, now = it.payload, ctx.clock.utcnow()
    if p.get("status") not in STATUSES:
        raise ValueError("unknown follow-up status")
    row = s.get(FollowUp, it.entity_id)
    if row is None:  # made here from its signed exam, which has not arrived yet
        return Outcome(WAITING, "chưa có phiếu khám của mục theo dõi này trên máy")
    if not newest_wins(s, it, row, followups.sync_payload(row), now):
        return Outcome(SUPERSEDED, "máy này có phiên bản mới hơn của mục theo dõi")
    row.status = p["status"]
    row.done_by = p.get("done_by") if isinstance(p.get("done_by"), str) else None
    row.done_at = utc_of(p.get("done_at"))
    row.version = it.entity_version
    return OK


APPLIERS = {"followup": followup}
