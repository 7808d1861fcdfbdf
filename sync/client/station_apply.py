"""Receiving items from the station's other devices (docs/multi-device.md §5): the hub's station feed a page at
a time, or a transfer file. Each item is applied once, by the id its device gave it: an id already received or
one of this device's own outbox items is skipped. One transaction per page: the items, their bookkeeping in
``sync_received_item`` and the feed's cursor commit together, so a kill mid-pull resumes at the last page.

Items that refer to something not here yet (the person, the exam day, the doctor's key) wait, with what they
wait for, and are tried again once it has arrived, never dropped; refused and superseded items are kept with their content and reason.
Received items are never queued for sending again from here (no echo): the hub has them already.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace

from sqlalchemy import bindparam, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ksk_desktop.db.models import OutboxItem, SyncConflict, SyncDevice, SyncReceivedItem, SyncState
from ksk_desktop.outbox.sync_state import STATE_ID
from ksk_desktop.station.audit import canonical_json
from ksk_desktop.station.session import StationSession
from sync.client import station_followups, station_schedule
from sync.client import station_kinds as kinds

log = logging.getLogger("ksk.sync")

APPLIERS = {
    **kinds.APPLIERS,
    **station_schedule.APPLIERS,
    **station_followups.APPLIERS,
}  # waiting items tried again after a page (oldest first)


@dataclass
class ReceiveReport:
    received: int = 0
    applied: int = 0
    repeated: int = 0
    waiting: int = 0  # items here waiting for what they refer to (all of them, not only this run's)
    refused: int = 0
    superseded: int = 0
    conflicts: int = 0
    per_kind: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict:
        return asdict(self)


def _incoming(raw: dict) -> kinds.Incoming | None:
    try:
        item = kinds.Incoming(
            str(raw["item_id"]),
            str(raw["kind"]),
            str(raw["entity_id"]),
            int(raw["entity_version"]),
            raw.get("device_id"),
            raw["payload"],
        )
    except (KeyError, TypeError, ValueError):
        return None
    return item if isinstance(item.payload, dict) and item.kind in APPLIERS else None


def _known(s: Session, ids: list[str]) -> set[str]:
    known: set[str] = set()
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        known.update(s.scalars(select(SyncReceivedItem.item_id).where(SyncReceivedItem.item_id.in_(chunk))))
        known.update(s.scalars(select(OutboxItem.item_id).where(OutboxItem.item_id.in_(chunk))))
    return known


def _try(ctx: StationSession, s: Session, it: kinds.Incoming, *, careful: bool = True) -> kinds.Outcome:
    """Apply one item. *careful*: inside its own savepoint, flushed, so that an item that fails is refused alone
    and the rest of the page stands. Not careful (the page's first attempt, ``_receive``): no savepoint and no
    flush per item; a failure anywhere undoes the attempt and the page is applied again carefully. A waiting
    outcome writes nothing (the appliers check what an item refers to before they write)."""
    if not careful:
        return APPLIERS[it.kind](ctx, s, it)
    savepoint = s.begin_nested()
    try:
        outcome = APPLIERS[it.kind](ctx, s, it)
        s.flush()
    except (IntegrityError, KeyError, TypeError, ValueError) as exc:
        savepoint.rollback()
        log.warning("received item not applied (kind=%s, %s)", it.kind, type(exc).__name__)
        return kinds.Outcome(
            kinds.REFUSED, f"nội dung không áp dụng được trên máy này ({type(exc).__name__})"
        )
    if outcome.state == kinds.WAITING:
        savepoint.rollback()
    else:
        savepoint.commit()
    return outcome


def _count(report: ReceiveReport, kind: str, outcome: kinds.Outcome) -> None:
    if outcome.state == kinds.APPLIED:
        report.applied += 1
        report.per_kind[kind] = report.per_kind.get(kind, 0) + 1
    elif outcome.state == kinds.WAITING:
        report.waiting += 1
    elif outcome.state == kinds.REFUSED:
        report.refused += 1
    else:
        report.superseded += 1


def _relay_row(it: kinds.Incoming, now) -> dict:  # noqa: ANN001
    """An item that came by a transfer file, queued for the hub under its own id: the hub answers "duplicate" if
    its device delivers it too (docs/multi-device.md §6)."""
    return {
        "item_id": it.item_id,
        "kind": it.kind,
        "entity_id": it.entity_id,
        "entity_version": it.entity_version,
        "payload": canonical_json(it.payload),
        "created_at": now,
        "state": "pending",
        "attempts": 0,
    }


#: Kinds whose applied payload is not kept: rebuilt from the tables when a transfer file carries them on
#: (a signed exam's or amendment's payload is its document, stored whole in ``exam_version.document``).
REBUILT = ("exam", "amendment")


def _received_row(it: kinds.Incoming, outcome: kinds.Outcome, source: str, now) -> dict:  # noqa: ANN001
    applied = outcome.state == kinds.APPLIED
    wait = outcome.wait if outcome.state == kinds.WAITING else None
    return {
        "item_id": it.item_id,
        "kind": it.kind,
        "entity_id": it.entity_id,
        "entity_version": it.entity_version,
        "device_id": it.device_id,
        "source": source,
        "state": outcome.state,
        "payload": None if applied and it.kind in REBUILT else canonical_json(it.payload),
        "reason": outcome.reason,
        "received_at": now,
        "applied_at": now if applied else None,
        "wait_kind": wait[0] if wait else None,
        "wait_id": wait[1][:200] if wait else None,
    }


def _apply_page(
    ctx: StationSession,
    s: Session,
    raws: list,
    known: set[str],
    source: str,
    report: ReceiveReport,
    *,
    careful: bool,
    relay: bool,
) -> int:
    """One pass over a page's items; their bookkeeping (and relayed copies) written in bulk at the end."""
    now = ctx.clock.utcnow()
    s.info[station_schedule.PAGE_APPLIED] = page_applied = {}
    s.info[kinds.PEOPLE_HERE] = set()
    received: list[dict] = []
    relayed: list[dict] = []
    applied = 0
    for raw in raws:
        report.received += 1
        it = _incoming(raw) if isinstance(raw, dict) else None
        if it is None:
            report.refused += 1
            continue
        if it.item_id in known:
            report.repeated += 1
            continue
        known.add(it.item_id)
        outcome = _try(ctx, s, it, careful=careful)
        _count(report, it.kind, outcome)
        if outcome.state == kinds.APPLIED:
            applied += 1
            page_applied[(it.kind, it.entity_id, it.entity_version)] = it.item_id
        if relay and outcome.state != kinds.REFUSED and raw.get("relay", True) is not False:
            relayed.append(_relay_row(it, now))  # not what the sender had from the hub: the hub has it
        received.append(_received_row(it, outcome, source, now))
    s.flush()
    for i in range(0, len(received), 500):
        s.execute(insert(SyncReceivedItem), received[i : i + 500])
    for i in range(0, len(relayed), 500):
        s.execute(insert(OutboxItem), relayed[i : i + 500])
    s.info.pop(station_schedule.PAGE_APPLIED, None)
    s.info.pop(kinds.PEOPLE_HERE, None)
    return applied


def _receive(
    ctx: StationSession,
    s: Session,
    raw_items: Iterable[dict],
    source: str,
    report: ReceiveReport,
    *,
    last: bool,
    relay: bool = False,
) -> int:
    """Apply *raw_items* in order inside *s*; returns how many were applied. Waiting items whose record has
    arrived are tried again after a page that applied something, and after the *last* page (what they wait for
    may have come another way).

    The page is first applied in one go (no savepoint or flush per item); if any item fails, that attempt is
    undone and the page applied again item by item, each in its own savepoint, the failing one refused alone."""
    raws = list(raw_items)
    known = _known(s, [str(r.get("item_id")) for r in raws if isinstance(r, dict)])
    conflicts_before = s.scalar(select(func.count()).select_from(SyncConflict)) or 0
    attempt, before = s.begin_nested(), replace(report, per_kind=dict(report.per_kind))
    try:
        applied = _apply_page(ctx, s, raws, set(known), source, report, careful=False, relay=relay)
        attempt.commit()
    except (IntegrityError, KeyError, TypeError, ValueError):
        attempt.rollback()
        s.info.pop("ksk_station_places", None)  # places found in the undone attempt may be gone
        report.__dict__.update(replace(before, per_kind=dict(before.per_kind)).__dict__)
        applied = _apply_page(ctx, s, raws, set(known), source, report, careful=True, relay=relay)
    if applied or last:
        applied += _retry_waiting(ctx, s, report, everything=last)
    report.conflicts += (s.scalar(select(func.count()).select_from(SyncConflict)) or 0) - conflicts_before
    report.waiting = (
        s.scalar(
            select(func.count()).select_from(SyncReceivedItem).where(SyncReceivedItem.state == kinds.WAITING)
        )
        or 0
    )
    return applied


#: Waiting items whose record is here now, by what they wait for (``sync_received_item.wait_kind``).
_READY = {
    "person": "EXISTS (SELECT 1 FROM person p WHERE p.id = r.wait_id) "
    "OR EXISTS (SELECT 1 FROM person_merge m WHERE m.merged_id = r.wait_id) "
    "OR EXISTS (SELECT 1 FROM sync_remote_merge m WHERE m.merged_id = r.wait_id)",
    "campaign": "EXISTS (SELECT 1 FROM campaign c WHERE c.id = r.wait_id)",
    "site": "EXISTS (SELECT 1 FROM site x WHERE x.id = r.wait_id)",
    "appointment": "EXISTS (SELECT 1 FROM appointment a WHERE a.id = r.wait_id)",
    "key": "EXISTS (SELECT 1 FROM exam_signing_key k WHERE k.key_id = r.wait_id)",
}


def _ready(s: Session, *, everything: bool) -> list[str]:
    """Ids of the waiting items worth trying again, oldest first: those whose record has arrived (by the index on
    what they wait for), and with *everything* also those that do not say what they wait for."""
    ready = " OR ".join(f"(r.wait_kind = '{k}' AND ({cond}))" for k, cond in _READY.items())
    places = [
        key
        for key in s.scalars(
            text(
                "SELECT DISTINCT wait_id FROM sync_received_item "
                "WHERE state = 'waiting' AND wait_kind = 'place'"
            )
        )
        if station_schedule.place_ready(s, key)
    ]
    where = f"({ready})"
    params: dict[str, object] = {}
    if places:
        where += " OR (r.wait_kind = 'place' AND r.wait_id IN :places)"
        params["places"] = places
    if everything:
        where += " OR r.wait_kind IS NULL"
    stmt = text(
        f"SELECT r.item_id FROM sync_received_item r WHERE r.state = 'waiting' AND ({where}) "  # noqa: S608
        "ORDER BY r.received_at, r.item_id"
    )
    if places:
        stmt = stmt.bindparams(bindparam("places", expanding=True))
    return list(s.scalars(stmt, params))


def _retry_waiting(ctx: StationSession, s: Session, report: ReceiveReport, *, everything: bool) -> int:
    """Waiting items whose person, day, key or earlier appointment has arrived since: tried again until none
    moves. Only those are read (the index on what they wait for), not every waiting item."""
    total, first = 0, True
    while True:
        ids = _ready(s, everything=everything and first)
        first = False
        moved = 0
        for i in range(0, len(ids), 500):
            rows = s.scalars(
                select(SyncReceivedItem)
                .where(SyncReceivedItem.item_id.in_(ids[i : i + 500]))
                .order_by(SyncReceivedItem.received_at, SyncReceivedItem.item_id)
            ).all()
            for row in rows:
                it = kinds.Incoming(
                    row.item_id,
                    row.kind,
                    row.entity_id,
                    row.entity_version,
                    row.device_id,
                    json.loads(row.payload or "{}"),
                )
                outcome = _try(ctx, s, it)
                if outcome.state == kinds.WAITING:
                    wait = outcome.wait
                    row.wait_kind, row.wait_id = (wait[0], wait[1][:200]) if wait else (None, None)
                    continue
                _count(report, it.kind, outcome)
                row.state, row.reason, row.wait_kind, row.wait_id = outcome.state, outcome.reason, None, None
                if outcome.state == kinds.APPLIED:
                    row.applied_at = ctx.clock.utcnow()
                    if it.kind in REBUILT:
                        row.payload = None
                    moved += 1
        s.flush()
        total += moved
        if not moved:
            return total


def apply_feed_page(ctx: StationSession, page: dict, report: ReceiveReport) -> None:
    """One page of the hub's station feed: items, the station's devices and the cursor, in one transaction."""
    with ctx.write() as s:
        n = _receive(ctx, s, page["items"], "hub", report, last=not page["more"])
        save_devices(s, page.get("devices") or [], ctx.clock.utcnow())
        state = s.get(SyncState, STATE_ID)
        if state is not None:
            state.item_cursor = max(state.item_cursor or 0, int(page["next_cursor"]))
        if page["items"]:
            ctx.audit(
                s,
                "sync.receive",
                "station_items",
                None,
                {"source": "hub", "items": len(page["items"]), "applied": n},
            )


def apply_items(
    ctx: StationSession,
    items: list[dict],
    source: str,
    *,
    relay: bool = False,
    audit: tuple[str, str, str] = ("sync.receive", "station_items", ""),
) -> ReceiveReport:
    """Items from another route (a transfer file), in one transaction with its *audit* event (action, entity
    type, id); returns what happened to them. With *relay*, each new item is also queued for the hub under its
    own id."""
    report = ReceiveReport()
    with ctx.write() as s:
        _receive(ctx, s, items, source, report, last=True, relay=relay)
        action, entity_type, entity_id = audit
        ctx.audit(
            s,
            action,
            entity_type,
            entity_id or None,
            {"source": source, "items": len(items), **report.to_json()},
        )
    return report


def item_cursor(ctx: StationSession) -> int:
    with ctx.read() as s:
        state = s.get(SyncState, STATE_ID)
        return state.item_cursor if state is not None else 0


# -- the station's devices ----------------------------------------------------------------------------------
def save_devices(s: Session, devices: list[dict], now) -> None:  # noqa: ANN001
    for d in devices:
        if not isinstance(d, dict) or not isinstance(d.get("device_id"), str):
            continue
        row = s.get(SyncDevice, d["device_id"]) or SyncDevice(device_id=d["device_id"])
        row.enrolled_at = d.get("enrolled_at") if isinstance(d.get("enrolled_at"), str) else None
        row.last_seen_at = d.get("last_seen_at") if isinstance(d.get("last_seen_at"), str) else None
        row.revoked, row.updated_at = bool(d.get("revoked")), now
        if isinstance(d.get("public_key"), str):
            row.public_key = d["public_key"]
        s.merge(row)


def conflicts(ctx: StationSession, *, unseen_only: bool = True) -> list[dict]:
    """Versions that lost a conflict, kept to be shown (kind, record id, which device, why; no content)."""
    with ctx.read() as s:
        q = select(SyncConflict).order_by(SyncConflict.id)
        if unseen_only:
            q = q.where(SyncConflict.seen_at.is_(None))
        return [
            {
                "id": c.id,
                "kind": c.kind,
                "entity_id": c.entity_id,
                "kept_item_id": c.kept_item_id,
                "lost_item_id": c.lost_item_id,
                "lost_device_id": c.lost_device_id,
                "detail": c.detail,
                "found_at": c.found_at.isoformat() + "Z",
            }
            for c in s.scalars(q)
        ]


def received_counts(ctx: StationSession) -> dict[str, int]:
    with ctx.read() as s:
        rows = s.execute(select(SyncReceivedItem.state, func.count()).group_by(SyncReceivedItem.state)).all()
    out = {kinds.APPLIED: 0, kinds.WAITING: 0, kinds.REFUSED: 0, kinds.SUPERSEDED: 0}
    out.update({state: n for state, n in rows})
    return out
