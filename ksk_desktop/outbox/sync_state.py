"""The station side of sync, without HTTP: the hub link, the outbox state machine, and what the sync page shows.

Outbox items move ``pending → in_flight → sent | parked | elsewhere``. Items are marked ``in_flight`` (and persons
serialised as stored) in one transaction before they go out; only a complete, well-formed per-item answer
moves them on, in one transaction. Anything else puts them back to ``pending`` with the same ids, and an
``in_flight`` item found when a worker starts is an upload whose outcome was never learnt: it goes back to
``pending`` too (the hub answers "duplicate" if it had arrived). A rejected item is ``parked`` with the hub's
reason until a person re-queues it; it never blocks the others. A person the hub already holds for another
station is answered "known elsewhere": the item is ``elsewhere`` (delivered, and linked at the hub; the record
comes to this station if the hub administrator hands the person over).

The device credential is read and written only here, inside the encrypted station database.

``status()`` is a ``SyncStatus`` (a frozen dataclass, ``ksk_desktop.shapes``): the sync page, the status-bar
indicator and ``ksk sync status`` read its attributes; ``to_json()`` is the JSON of ``ksk sync status --json``.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal, overload

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ksk_desktop import outbox
from ksk_desktop.db import rowcount
from ksk_desktop.db.models import (
    OutboxItem,
    Person,
    PersonMerge,
    Station,
    SyncConflict,
    SyncDevice,
    SyncReceivedItem,
    SyncState,
)
from ksk_desktop.errors import InvalidInput, NotFound
from ksk_desktop.people import persons
from ksk_desktop.security.roles import Perm
from ksk_desktop.shapes import Shape, not_in_json
from ksk_desktop.station import audit
from ksk_desktop.station.session import StationSession

STATE_ID = 1
UNSENT = ("pending", "in_flight")
ELSEWHERE = "elsewhere"  # delivered; the hub holds the person for another station
AUDIT_HEAD_NS = uuid.UUID("6b1f5a8e-4c1d-4a57-9d0e-3f2a9c7e5b10")


#: Naive UTC now; the default (``None``) is the session's clock. The sync worker passes its own.
Now = Callable[[], datetime]


@dataclass(frozen=True)
class HubLink:
    """What the transport needs: the hub address, the device credential and the TLS trust settings."""

    hub_url: str
    device_id: str
    credential: str
    pin_sha256: str | None
    ca_file: str | None

    def __repr__(self) -> str:  # never print the credential
        return f"HubLink(hub_url={self.hub_url!r}, device_id={self.device_id!r}, credential=***)"


@dataclass(frozen=True)
class OutgoingItem:
    seq: int
    item_id: str
    kind: str
    entity_id: str
    entity_version: int
    payload: dict
    sent_version: int | None  # the version serialised for payload-less kinds (persons)

    def wire(self) -> dict:
        return {
            "item_id": self.item_id,
            "kind": self.kind,
            "entity_id": self.entity_id,
            "entity_version": self.entity_version,
            "payload": self.payload,
        }


# -- the link -------------------------------------------------------------------------------------
@overload
def _state(s: Session, create: Literal[True]) -> SyncState: ...
@overload
def _state(s: Session, create: bool = False) -> SyncState | None: ...
def _state(s: Session, create: bool = False) -> SyncState | None:
    row = s.get(SyncState, STATE_ID)
    if row is None and create:
        row = SyncState(id=STATE_ID, pull_cursor=0, consecutive_failures=0)
        s.add(row)
        s.flush()
    return row


def hub_link(ctx: StationSession) -> HubLink | None:
    with ctx.read() as s:
        row = _state(s)
        if row is None or not row.credential or not row.hub_url or not row.device_id:
            return None
        return HubLink(row.hub_url, row.device_id, row.credential, row.pin_sha256, row.ca_file)


def station_identity(ctx: StationSession) -> dict:
    with ctx.read() as s:
        st = s.scalars(select(Station)).one()
        return {"station_id": st.id, "station_code": st.code, "commune_code": st.commune_code}


def save_enrolment(
    ctx: StationSession,
    hub_url: str,
    device_id: str,
    credential: str,
    *,
    pin_sha256: str | None,
    ca_file: str | None,
    clock: Now | None = None,
) -> None:
    """Keep the device credential (in the encrypted database only); audited without the credential."""
    ctx.require(Perm.SYNC_MANAGE)
    with ctx.write() as s:
        row = _state(s, create=True)
        previous = row.device_id
        row.hub_url, row.device_id, row.credential = hub_url, device_id, credential
        row.pin_sha256, row.ca_file = pin_sha256, ca_file
        row.enrolled_at, row.enrolled_by = (clock or ctx.clock.utcnow)(), ctx.user.username
        row.pull_cursor = 0 if previous != device_id else row.pull_cursor
        row.item_cursor = 0 if previous != device_id else row.item_cursor
        row.last_error = row.last_error_at = row.next_attempt_at = None
        row.consecutive_failures = 0
        ctx.audit(
            s,
            "sync.enroll",
            "sync_state",
            device_id,
            {"hub": hub_url, "pinned": pin_sha256 is not None, "previous_device": previous},
        )


def check_manage(ctx: StationSession) -> None:
    ctx.require(Perm.SYNC_MANAGE)


# -- what the sync page and ``ksk sync status`` show ------------------------------------------------
def _iso(value: datetime | None) -> str | None:
    return value.isoformat() + "Z" if value else None


@dataclass(frozen=True)
class SyncStatus(Shape):
    """Where sync stands; moments are UTC ISO text ending in ``Z``."""

    enrolled: bool
    hub_url: str | None
    device_id: str | None
    pending: int  # not yet accepted by the hub, in flight included
    in_flight: int
    parked: int  # rejected by the hub, waiting for a person
    sent: int
    oldest_pending_at: str | None
    last_attempt_at: str | None
    last_success_at: str | None
    last_error: str | None
    last_error_at: str | None
    consecutive_failures: int
    next_attempt_at: str | None
    pull_cursor: int
    # The hub found this station's audit chain went backwards or changed; kept until acknowledged.
    hub_alert: str | None
    hub_alert_at: str | None
    elsewhere: int = 0  # people the hub holds for another station ("known elsewhere")
    # One station, several devices (docs/multi-device.md): the station feed's cursor, the station's devices with
    # the hub's last contact with each, items received from them waiting for what they refer to, conflicts kept.
    item_cursor: int = 0
    devices: tuple[dict, ...] = ()
    received_waiting: int = 0
    conflicts: int = 0
    running: bool = not_in_json(False)  # a run is under way in this process (the GUI's controller sets it)

    def with_running(self, running: bool) -> SyncStatus:
        return replace(self, running=running)


def status(ctx: StationSession) -> SyncStatus:
    """Pending and parked counts, the oldest unsent item's age, last success, last error, next attempt."""
    with ctx.read() as s:
        counts = outbox.counts(s)
        oldest = s.scalar(select(func.min(OutboxItem.created_at)).where(OutboxItem.state.in_(UNSENT)))
        row = _state(s)
        devices = tuple(
            {
                "device_id": d.device_id,
                "this_device": bool(row and d.device_id == row.device_id),
                "enrolled_at": d.enrolled_at,
                "last_seen_at": d.last_seen_at,
                "revoked": d.revoked,
            }
            for d in s.scalars(select(SyncDevice).order_by(SyncDevice.enrolled_at, SyncDevice.device_id))
        )
        waiting = s.scalar(
            select(func.count()).select_from(SyncReceivedItem).where(SyncReceivedItem.state == "waiting")
        )
        conflicts = s.scalar(
            select(func.count()).select_from(SyncConflict).where(SyncConflict.seen_at.is_(None))
        )
    return SyncStatus(
        enrolled=bool(row and row.credential),
        hub_url=row.hub_url if row else None,
        device_id=row.device_id if row else None,
        pending=counts["pending"] + counts["in_flight"],
        in_flight=counts["in_flight"],
        parked=counts["parked"],
        sent=counts["sent"],
        oldest_pending_at=_iso(oldest),
        last_attempt_at=_iso(row.last_attempt_at) if row else None,
        last_success_at=_iso(row.last_success_at) if row else None,
        last_error=row.last_error if row else None,
        last_error_at=_iso(row.last_error_at) if row else None,
        consecutive_failures=row.consecutive_failures if row else 0,
        next_attempt_at=_iso(row.next_attempt_at) if row else None,
        pull_cursor=row.pull_cursor if row else 0,
        elsewhere=counts.get(ELSEWHERE, 0),
        hub_alert=row.hub_alert if row else None,
        hub_alert_at=_iso(row.hub_alert_at) if row else None,
        item_cursor=row.item_cursor if row else 0,
        devices=devices,
        received_waiting=waiting or 0,
        conflicts=conflicts or 0,
    )


def parked(ctx: StationSession, limit: int = 1000) -> list[dict]:
    """Items the hub rejected, with its reason, oldest first: a person decides what to do with each."""
    with ctx.read() as s:
        rows = s.scalars(
            select(OutboxItem).where(OutboxItem.state == "parked").order_by(OutboxItem.seq).limit(limit)
        ).all()
    return [
        {
            "item_id": r.item_id,
            "seq": r.seq,
            "kind": r.kind,
            "entity_id": r.entity_id,
            "entity_version": r.entity_version,
            "attempts": r.attempts,
            "reason": r.last_error,
            "created_at": _iso(r.created_at),
        }
        for r in rows
    ]


def parked_row(s: Session, item_id: str) -> OutboxItem:
    """The outbox row of a parked item, or a Vietnamese error if there is none or it is not parked."""
    row = s.scalar(select(OutboxItem).where(OutboxItem.item_id == item_id))
    if row is None:
        raise NotFound(f"Không có mục đồng bộ {item_id}.")
    if row.state != "parked":
        raise InvalidInput(f"Mục {item_id} không ở trạng thái bị từ chối (hiện tại: {row.state}).")
    return row


def retry(ctx: StationSession, item_id: str) -> dict:
    """A person re-queues a parked item (same id: the hub has never accepted it). Audited."""
    ctx.require(Perm.PERSON_WRITE)
    with ctx.write() as s:
        row = parked_row(s, item_id)
        reason = row.last_error
        row.state, row.last_error, row.next_attempt_at = "pending", None, None
        ctx.audit(
            s,
            "sync.retry",
            "outbox",
            item_id,
            {"kind": row.kind, "entity_id": row.entity_id, "reason": reason},
        )
    return {"item_id": item_id, "state": "pending"}


# -- the worker's transitions ---------------------------------------------------------------------
def reset_in_flight(ctx: StationSession) -> int:
    """At start: uploads whose outcome was never learnt go back to pending (same ids; the hub de-duplicates)."""
    with ctx.write() as s:
        return rowcount(
            s.execute(update(OutboxItem).where(OutboxItem.state == "in_flight").values(state="pending"))
        )


def pending_count(ctx: StationSession) -> int:
    with ctx.read() as s:
        return s.scalar(select(func.count()).select_from(OutboxItem).where(OutboxItem.state.in_(UNSENT))) or 0


def _merged_payload(s: Session, entity_id: str) -> dict | None:
    """A person merged here since its item was queued: its update is an update of the one kept."""
    kept: str | None = entity_id
    for _ in range(20):
        kept = s.scalar(select(PersonMerge.kept_id).where(PersonMerge.merged_id == kept))
        if kept is None:
            return None
        person = s.get(Person, kept)
        if person is not None:
            return persons.to_json(person) | {"merged_into": person.id}
    return None


def take_batch(ctx: StationSession, limit: int) -> list[OutgoingItem]:
    """The oldest pending items, marked in flight in one transaction; persons serialised as stored now."""
    out: list[OutgoingItem] = []
    with ctx.write() as s:
        rows = s.scalars(
            select(OutboxItem).where(OutboxItem.state == "pending").order_by(OutboxItem.seq).limit(limit)
        ).all()
        wanted = sorted({r.entity_id for r in rows if r.payload is None and r.kind == "person"})
        people = {}
        for i in range(0, len(wanted), 500):  # one query per 500 people, flags loaded alongside
            people.update(
                {p.id: p for p in s.scalars(select(Person).where(Person.id.in_(wanted[i : i + 500])))}
            )
        for r in rows:
            sent_version = None
            if r.payload is not None:
                payload = json.loads(r.payload)
            elif r.kind == "person":
                person = people.get(r.entity_id)
                if person is not None:
                    payload = persons.to_json(person)
                    sent_version = payload["version"]
                    if person.hub_revision is not None:  # the hub keeps what this change overwrites
                        payload["base_revision"] = person.hub_revision
                else:
                    payload = _merged_payload(s, r.entity_id)
                if payload is None:
                    r.state, r.last_error = "parked", "local: hồ sơ không còn trong cơ sở dữ liệu của trạm"
                    continue
            else:
                r.state, r.last_error = "parked", "local: mục không có nội dung"
                continue
            r.state, r.attempts = "in_flight", r.attempts + 1
            out.append(
                OutgoingItem(r.seq, r.item_id, r.kind, r.entity_id, r.entity_version, payload, sent_version)
            )
    return out


def audit_head_item(ctx: StationSession, device_id: str) -> dict:
    """The station's audit-chain head as a push item; its id is fixed by (device, seq, hash), so resending the
    same head is a duplicate while every push still lets the hub compare it with what it has seen."""
    with ctx.read() as s:
        seq, hash_ = audit.head(s)
    item_id = str(uuid.uuid5(AUDIT_HEAD_NS, f"{device_id}:{seq}:{hash_}"))
    return {
        "item_id": item_id,
        "kind": "audit_head",
        "entity_id": device_id,
        "entity_version": seq,
        "payload": {"seq": seq, "hash": hash_},
    }


def release(ctx: StationSession, items: Iterable[OutgoingItem]) -> None:
    """The outcome is unknown (no complete answer): back to pending with the same ids."""
    seqs = [i.seq for i in items]
    if not seqs:
        return
    with ctx.write() as s:
        s.execute(
            update(OutboxItem)
            .where(OutboxItem.seq.in_(seqs), OutboxItem.state == "in_flight")
            .values(state="pending")
        )


def park(ctx: StationSession, item: OutgoingItem, reason: str) -> None:
    with ctx.write() as s:
        s.execute(
            update(OutboxItem).where(OutboxItem.seq == item.seq).values(state="parked", last_error=reason)
        )


@dataclass
class Applied:
    accepted: int = 0
    duplicate: int = 0
    rejected: int = 0
    requeued: int = 0  # edited while in flight: a follow-up item carries the newer version
    elsewhere: int = 0  # people the hub holds for another station


def apply_results(
    ctx: StationSession, items: list[OutgoingItem], results: list[dict], clock: Now | None = None
) -> Applied:
    """Commit the hub's per-item answers in one transaction (the caller has checked they match *items*)."""
    by_id = {i.item_id: i for i in items}
    done = Applied()
    now = (clock or ctx.clock.utcnow)()
    with ctx.write() as s:
        seqs = [i.seq for i in items]
        rows = {}
        for i in range(0, len(seqs), 500):
            rows.update(
                {r.seq: r for r in s.scalars(select(OutboxItem).where(OutboxItem.seq.in_(seqs[i : i + 500])))}
            )
        delivered: list[OutgoingItem] = []
        for res in results:
            item = by_id.get(res["item_id"])
            if item is None:  # the audit head rides along; it is not an outbox row
                if res.get("warning"):
                    _record_hub_alert(ctx, s, str(res["warning"]), now)
                continue
            row = rows.get(item.seq)
            if row is None or row.state == "sent":
                continue
            if res["status"] == "rejected":
                row.state = "parked"
                row.last_error = f"{res.get('code') or 'rejected'}: {res.get('reason') or ''}".strip()
                done.rejected += 1
                continue
            if res["status"] == "known_elsewhere":
                row.state, row.sent_at = ELSEWHERE, now
                row.last_error = f"known_elsewhere: {res.get('reason') or ''}".strip()
                done.elsewhere += 1
                continue
            row.state, row.sent_at, row.last_error = "sent", now, None
            if res["status"] == "accepted":
                done.accepted += 1
            else:
                done.duplicate += 1
            if item.kind == "person" and item.sent_version is not None:
                delivered.append(item)
                if isinstance(res.get("revision"), int):  # the hub now holds exactly what was sent
                    s.execute(
                        update(Person)
                        .where(Person.id == item.entity_id, Person.version == item.sent_version)
                        .values(hub_revision=res["revision"])
                    )
        for entity_id, version in _edited_meanwhile(s, delivered):
            outbox.enqueue(s, "person", entity_id, None, version)
            done.requeued += 1
    return done


def _record_hub_alert(ctx: StationSession, s: Session, warning: str, now: datetime) -> None:
    """Keep the hub's tamper warning about this station's audit chain (shown until acknowledged) and record it
    in the trail. The hub repeats it at every sync while the head it has seen stays ahead."""
    row = _state(s, create=True)
    warning = warning[:500]
    if row.hub_alert != warning:
        ctx.audit(s, "sync.hub_alert", "sync_state", row.device_id, {"warning": warning})
    row.hub_alert, row.hub_alert_at = warning, now


def acknowledge_hub_alert(ctx: StationSession, reason: str) -> dict:
    """An administrator has looked into the hub's audit alert (a restore from an old backup explains it, or
    the matter is reported): it stops being shown. Audited with the reason."""
    ctx.require(Perm.SYNC_MANAGE)
    reason = " ".join((reason or "").split())
    if len(reason) < 3:
        raise InvalidInput("Cần ghi lý do (ít nhất 3 ký tự).")
    with ctx.write() as s:
        row = _state(s)
        if row is None or not row.hub_alert:
            raise InvalidInput("Không có cảnh báo nào của máy chủ về nhật ký truy cập.")
        ctx.audit(
            s,
            "sync.hub_alert.acknowledge",
            "sync_state",
            row.device_id,
            {"warning": row.hub_alert, "reason": reason},
        )
        row.hub_alert = row.hub_alert_at = None
    return {"acknowledged": True, "reason": reason}


def _edited_meanwhile(s: Session, delivered: list[OutgoingItem]) -> list[tuple[str, int]]:
    """People changed after they were serialised, with no unsent item left to carry the change: (id, version)."""
    if not delivered:
        return []
    ids = sorted({i.entity_id for i in delivered})
    current: dict[str, int] = {}
    carried: set[str] = set()
    sent_seqs = [i.seq for i in delivered]
    for k in range(0, len(ids), 500):
        chunk = ids[k : k + 500]
        current.update(s.execute(select(Person.id, Person.version).where(Person.id.in_(chunk))).all())
        carried.update(
            s.scalars(
                select(OutboxItem.entity_id).where(
                    OutboxItem.kind == "person",
                    OutboxItem.entity_id.in_(chunk),
                    OutboxItem.state.in_(UNSENT),
                    OutboxItem.seq.not_in(sent_seqs),
                )
            ).all()
        )
    stale = {}
    for item in delivered:
        version = current.get(item.entity_id)
        if version is not None and version > (item.sent_version or 0) and item.entity_id not in carried:
            stale[item.entity_id] = version
    return sorted(stale.items())


def record_attempt(ctx: StationSession, clock: Now | None = None) -> None:
    with ctx.write() as s:
        _state(s, create=True).last_attempt_at = (clock or ctx.clock.utcnow)()


def record_success(ctx: StationSession, clock: Now | None = None) -> None:
    with ctx.write() as s:
        row = _state(s, create=True)
        row.last_success_at = (clock or ctx.clock.utcnow)()
        row.consecutive_failures, row.next_attempt_at = 0, None
        row.last_error = row.last_error_at = None


def record_failure(ctx: StationSession, error: str, delay_s: float, clock: Now | None = None) -> int:
    """Remember the error (no personal data: transport messages only) and when to try next; returns the count."""
    with ctx.write() as s:
        row = _state(s, create=True)
        now = (clock or ctx.clock.utcnow)()
        row.consecutive_failures = (row.consecutive_failures or 0) + 1
        row.last_error, row.last_error_at = error[:500], now
        row.next_attempt_at = now + timedelta(seconds=delay_s)
        return row.consecutive_failures


def next_attempt_due(ctx: StationSession, cap_s: float, clock: Now | None = None) -> float:
    """Seconds until the next attempt is due (0 if due). A time further away than the backoff cap can only
    come from a clock that jumped, and is ignored rather than stalling sync for days."""
    with ctx.read() as s:
        row = _state(s)
        when = row.next_attempt_at if row else None
    if when is None:
        return 0.0
    wait = (when - (clock or ctx.clock.utcnow)()).total_seconds()
    return wait if 0 < wait <= cap_s else 0.0


def pull_cursor(ctx: StationSession) -> int:
    with ctx.read() as s:
        row = _state(s)
        return row.pull_cursor if row else 0


def set_cursor(s: Session, cursor: int) -> None:
    """Move the pull cursor inside the transaction that applied the changes it covers."""
    row = _state(s, create=True)
    if cursor > (row.pull_cursor or 0):
        row.pull_cursor = cursor
