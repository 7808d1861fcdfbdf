"""People at the hub: one record per person across all stations, merged by personal ID.

Two devices of one station that register the same personal ID offline send two ids. The first to arrive is
kept; the other id becomes an alias of it (FHIR ``replaced-by`` style), its non-empty fields fill the kept
record's gaps, and the merge is announced in the station's pull feed so every device can re-point its rows.
Aliases are permanent, so a replayed item, a late edit of the merged id or a station's own merge of the pair
all land on the kept record and change nothing twice.

A person belongs to the station that serves their commune (``sync.hub.stations``); only that station's devices
change the record (``device.serves``). A station that registers someone another station holds (same personal
ID) gets "known elsewhere": its record is linked to the existing one, nothing of the other station's record is
revealed or changed, and a handover request is written (``sync.hub.handover``); ``hand_over`` carries it out.
"""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from sync.hub import handover, person_conflicts, stations
from sync.hub.errors import Conflict, NotFound
from sync.hub.items import COMMUNE_CODE_MAX, PERSON_ID_MAX, ItemRejected, fits
from sync.hub.models import Change, HubPerson, PersonAlias
from sync.protocol import PERSONAL_ID_RE

NOT_YOURS = "not_your_station"
NOT_YOURS_REASON = "Người này thuộc trạm khác quản lý: máy chủ không nhận thay đổi của trạm này."
WAITING_REASON = (
    "Người này đang chờ chuyển giao từ trạm khác: gửi lại mục này sau khi quản trị máy chủ chuyển giao."
)
KNOWN_ELSEWHERE = {
    "status": "known_elsewhere",
    "reason": "Người này đã có hồ sơ ở trạm khác. Máy chủ đã ghi yêu cầu chuyển giao; hồ sơ về trạm khi quản trị "
    "máy chủ chuyển giao.",
}

_MERGE_FILL = tuple(f for f in person_conflicts.FIELDS if f != "flags")  # flags are united instead
_DEVICE_ONLY = (
    "version",
    "base_revision",
)  # device counters are not comparable across devices; the hub keeps its own revision


def _canonical(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def resolve(s: Session, person_id: str) -> str:
    """*person_id*, or the person it was merged into (following chains)."""
    for _ in range(32):
        kept = s.scalar(select(PersonAlias.kept_id).where(PersonAlias.merged_id == person_id))
        if kept is None:
            return person_id
        person_id = kept
    return person_id


def clean_person(entity_id: str, payload: dict) -> dict:
    """The person payload checked and reduced to the fields the hub keeps; raises ItemRejected."""
    name = payload.get("name")
    if not isinstance(name, str) or len(name.strip()) < 2:
        raise ItemRejected("bad_person", "Họ và tên trống hoặc không hợp lệ.")
    pid = payload.get("personal_id")
    if pid is not None and (not isinstance(pid, str) or not PERSONAL_ID_RE.match(pid)):
        raise ItemRejected("bad_personal_id", "Số định danh cá nhân phải gồm đúng 12 chữ số.")
    dob = payload.get("dob")
    if dob is not None:
        try:
            date.fromisoformat(str(dob))
        except ValueError:
            raise ItemRejected("bad_person", "Ngày sinh không hợp lệ.") from None
    if payload.get("commune_code") is not None and not fits(
        payload["commune_code"], COMMUNE_CODE_MAX, required=False
    ):
        raise ItemRejected("bad_person", "Mã xã không hợp lệ.")
    if payload.get("sex") not in (None, "M", "F"):
        raise ItemRejected("bad_person", "Giới tính không hợp lệ.")
    flags = payload.get("flags") or []
    if not isinstance(flags, list) or not all(isinstance(f, str) for f in flags):
        raise ItemRejected("bad_person", "Diện ưu tiên không hợp lệ.")
    data = {k: v for k, v in payload.items() if k not in _DEVICE_ONLY}
    data["id"] = entity_id
    data["flags"] = sorted(set(flags))
    return data


def _emit(
    s: Session,
    type_: str,
    entity_id: str,
    commune: str | None,
    origin: str | None,
    payload: dict,
    now: datetime,
) -> None:
    s.add(
        Change(
            type=type_,
            entity_id=entity_id,
            commune_code=commune,
            origin_device_id=origin,
            payload=_canonical(payload),
            created_at=now,
        )
    )


def _roster(
    s: Session, person: HubPerson, origin: str | None, now: datetime, conflict: dict | None = None
) -> None:
    """Announce the person as stored now (with a concurrent change it overwrote, if any)."""
    _emit(
        s,
        "roster",
        person.id,
        person.commune_code,
        origin,
        json.loads(person.data)
        | {"revision": person.revision}
        | ({"conflict": conflict} if conflict else {}),
        now,
    )


def _same(a: dict, b: dict) -> bool:
    return _canonical(a) == _canonical(b)


def _fill(kept: dict, other: dict) -> dict:
    """Kept values win; its empty fields are filled from *other*; flags are united (as the station's merge does)."""
    out = dict(kept)
    for field in _MERGE_FILL:
        if out.get(field) in (None, "") and other.get(field) not in (None, ""):
            out[field] = other[field]
    out["flags"] = sorted(set(kept.get("flags") or []) | set(other.get("flags") or []))
    return out


def _merge_into(
    s: Session, kept: HubPerson, drop_id: str, drop_data: dict, reason: str, origin: str | None, now: datetime
) -> None:
    """Link *drop_id* to *kept* for good, fill the kept record, announce both (one transaction with the item)."""
    dropped = s.get(HubPerson, drop_id)
    if dropped is not None:
        s.delete(dropped)
        s.flush()  # frees its personal ID before the kept record may take it
    s.execute(update(PersonAlias).where(PersonAlias.kept_id == drop_id).values(kept_id=kept.id))
    if s.get(PersonAlias, drop_id) is None:
        s.add(
            PersonAlias(
                merged_id=drop_id,
                kept_id=kept.id,
                reason=reason,
                snapshot=_canonical(drop_data),
                created_at=now,
            )
        )
    merged = _fill(json.loads(kept.data), drop_data)
    merged["id"] = kept.id
    _store(s, kept, merged, now)
    _roster(s, kept, origin, now)
    _emit(
        s,
        "merge",
        drop_id,
        kept.commune_code,
        origin,
        {
            "merged_id": drop_id,
            "kept_id": kept.id,
            "reason": reason,
            "kept": json.loads(kept.data) | {"revision": kept.revision},
        },
        now,
    )


def _store(s: Session, person: HubPerson, data: dict, now: datetime) -> None:
    person.data = _canonical(data)
    person.personal_id = data.get("personal_id")
    person.commune_code = data.get("commune_code")
    person.revision += 1
    person.updated_at = now
    s.flush()


def _by_personal_id(s: Session, personal_id: str | None) -> HubPerson | None:
    if not personal_id:
        return None
    return s.scalar(select(HubPerson).where(HubPerson.personal_id == personal_id))


def not_yours(s: Session, device, person_id: str) -> ItemRejected:  # noqa: ANN001
    """The refusal of an item about a person another station holds (saying so when a handover is pending)."""
    waiting = handover.pending_for(s, person_id, device.station_code) is not None
    return ItemRejected(NOT_YOURS, WAITING_REASON if waiting else NOT_YOURS_REASON)


def _commune_for(device, data: dict, person: HubPerson | None) -> str:  # noqa: ANN001
    """The commune a person write lands in: the one sent, else the record's, else the station's own; it must be
    one the device's station serves (moving a person to another commune is a handover, not an edit)."""
    commune = data.get("commune_code") or (person.commune_code if person is not None else None)
    commune = commune or (device.communes[0] if device.communes else None)
    if not isinstance(commune, str) or not device.serves(commune):
        raise ItemRejected(
            "commune_not_served",
            "Xã/phường của người này không do trạm phục vụ. Người chuyển đến từ xã khác: nhờ quản trị máy chủ "
            "chuyển giao hồ sơ.",
        )
    return commune


def _known_elsewhere(
    s: Session,
    device,  # noqa: ANN001
    holder: HubPerson,
    linked_id: str,
    person: HubPerson | None,
    data: dict,
    now: datetime,
) -> dict:
    """Link the station's record to the one another station holds, without changing or revealing it; ask for a
    handover. A new record becomes an alias (its data kept aside for the handover); an edit is held back."""
    if person is None and s.get(PersonAlias, linked_id) is None:
        s.execute(update(PersonAlias).where(PersonAlias.kept_id == linked_id).values(kept_id=holder.id))
        s.add(
            PersonAlias(
                merged_id=linked_id,
                kept_id=holder.id,
                reason="known_elsewhere",
                snapshot=_canonical(data),
                created_at=now,
            )
        )
    handover.request(
        s,
        person_id=holder.id,
        linked_id=linked_id,
        from_station=stations.station_of_commune(s, holder.commune_code),
        to_station=device.station_code,
        to_commune=data.get("commune_code"),
        requested_by=device.id,
        now=now,
    )
    return dict(KNOWN_ELSEWHERE)


def apply_person(s: Session, device, entity_id: str, payload: dict, now: datetime) -> dict:  # noqa: ANN001
    """Create or update one person of the device's station; merge when another record of the station holds the
    personal ID; link (known elsewhere) when another station holds it."""
    if len(entity_id) > PERSON_ID_MAX:
        raise ItemRejected("bad_entity_id", f"Mã người dài quá {PERSON_ID_MAX} ký tự.")
    pid_target = resolve(s, entity_id)
    base = payload.get("base_revision")  # the hub revision the device last saw (person_conflicts)
    data = clean_person(pid_target, payload)
    person = s.get(HubPerson, pid_target)
    if person is not None and not device.serves(person.commune_code):
        if handover.pending_for(s, entity_id, device.station_code) is not None:
            return dict(KNOWN_ELSEWHERE)  # the station's linked record: its edits wait for the handover
        raise not_yours(s, device, entity_id)
    data["commune_code"] = _commune_for(device, data, person)
    holder = _by_personal_id(s, data.get("personal_id"))
    if holder is not None and holder.id != pid_target and not device.serves(holder.commune_code):
        return _known_elsewhere(s, device, holder, pid_target, person, data, now)
    if person is None:
        if holder is not None:  # registered elsewhere first: this id becomes an alias of the earlier record
            _merge_into(s, holder, pid_target, data, "same_personal_id", device.id, now)
            return {"merged_into": holder.id}
        person = HubPerson(
            id=pid_target,
            personal_id=data.get("personal_id"),
            commune_code=data.get("commune_code"),
            data=_canonical(data),
            revision=1,
            first_device_id=device.id,
            created_at=now,
            updated_at=now,
        )
        s.add(person)
        s.flush()
        _roster(s, person, device.id, now)
        return {"revision": person.revision} if pid_target == entity_id else {"merged_into": pid_target}
    if holder is not None and holder.id != person.id:
        # An edit gave this person an ID another record holds: the older record is kept.
        keep, drop = (holder, person) if holder.created_at <= person.created_at else (person, holder)
        drop_data = data if drop is person else json.loads(drop.data)
        if keep is person:
            person_data = data
            s.delete(holder)
            s.flush()
            _store(s, person, person_data, now)
            _merge_into(s, person, holder.id, json.loads(holder.data), "same_personal_id", device.id, now)
        else:
            _merge_into(s, keep, drop.id, drop_data, "same_personal_id", device.id, now)
        return {"merged_into": keep.id} if keep.id != entity_id else {}
    # Field by field: what the device changed since the revision it saw; a field another device changed meanwhile
    # takes this later arrival's value (the hub's order, never device clocks) and the overwritten one is kept.
    stored, lost, lost_device = person_conflicts.merge(s, person, data, base, device.id)
    as_sent = _same(stored, data)  # else the device gets the merged record back through the pull feed
    result = {} if pid_target == entity_id else {"merged_into": pid_target}
    if not _same(json.loads(person.data), stored):
        _store(s, person, stored, now)
        conflict = person_conflicts.record(s, person, lost, lost_device, device.id, now) if lost else None
        _roster(s, person, device.id if as_sent else None, now, conflict)
    return result | ({"revision": person.revision} if as_sent and pid_target == entity_id else {})


def apply_station_merge(s: Session, device, payload: dict, now: datetime) -> dict:  # noqa: ANN001
    """A station merged two of its records: make the hub agree (replay-safe: an existing link is a no-op)."""
    merged_id, kept_id = payload.get("merged_id"), payload.get("kept_id")
    if not fits(merged_id, PERSON_ID_MAX) or not fits(kept_id, PERSON_ID_MAX) or merged_id == kept_id:
        raise ItemRejected("bad_merge", "Bản ghi gộp hồ sơ thiếu mã hoặc hai mã trùng nhau.")
    m, k = resolve(s, merged_id), resolve(s, kept_id)
    if m == k:
        return {"merged_into": k}
    kept, dropped = s.get(HubPerson, k), s.get(HubPerson, m)
    for sent_id, row in ((kept_id, kept), (merged_id, dropped)):
        if row is not None and not device.serves(row.commune_code):
            raise not_yours(s, device, sent_id)
    if (
        kept is not None
        and dropped is not None
        and kept.personal_id
        and dropped.personal_id
        and kept.personal_id != dropped.personal_id
    ):
        raise ItemRejected("merge_conflict", "Hai hồ sơ có hai số định danh khác nhau ở máy chủ: không gộp.")
    if kept is None:
        if dropped is None:  # neither has arrived yet: the link alone makes their items land on the kept id
            s.add(PersonAlias(merged_id=m, kept_id=k, reason="station_merge", snapshot=None, created_at=now))
            s.execute(update(PersonAlias).where(PersonAlias.kept_id == m).values(kept_id=k))
            _emit(
                s,
                "merge",
                m,
                None,
                device.id,
                {"merged_id": m, "kept_id": k, "reason": "station_merge", "kept": None},
                now,
            )
            return {"merged_into": k}
        # Only the merged record is here: it carries on under the kept id.
        data = json.loads(dropped.data) | {"id": k}
        s.execute(delete(HubPerson).where(HubPerson.id == m))
        s.flush()
        kept = HubPerson(
            id=k,
            personal_id=data.get("personal_id"),
            commune_code=data.get("commune_code"),
            data=_canonical(data),
            revision=0,
            first_device_id=dropped.first_device_id,
            created_at=dropped.created_at,
            updated_at=now,
        )
        s.add(kept)
        s.flush()
        _merge_into(s, kept, m, json.loads(dropped.data), "station_merge", device.id, now)
        return {"merged_into": k}
    _merge_into(
        s, kept, m, json.loads(dropped.data) if dropped is not None else {}, "station_merge", device.id, now
    )
    return {"merged_into": k}


def hand_over(s: Session, request: handover.HubHandover, now: datetime) -> dict:
    """Carry out a handover request: the person moves into a commune of the receiving station, and that
    station's own records of the person (linked when it was told "known elsewhere") are merged into it and
    announced in its pull feed. Returns what was done (ids only)."""
    if request.state != handover.PENDING:
        raise Conflict("Yêu cầu chuyển giao này đã được xử lý.")
    person = s.get(HubPerson, resolve(s, request.person_id))
    if person is None:
        raise NotFound("Máy chủ không còn hồ sơ của người này.")
    station = stations.get(s, request.to_station)
    if station is None or not station.communes:
        raise NotFound("Trạm nhận chưa được đăng ký ở máy chủ.")
    commune = request.to_commune if request.to_commune in station.communes else station.communes[0]
    _store(s, person, json.loads(person.data) | {"commune_code": commune}, now)
    merged: list[str] = []
    for req in handover.pending_of_person(s, request.person_id, request.to_station):
        linked = req.linked_id
        req.state, req.decided_at = handover.RELEASED, now
        if linked == person.id:
            continue
        own = s.get(HubPerson, linked)
        alias = s.get(PersonAlias, linked)
        if own is not None:  # an edit held back: the station's record carries on as the moved one
            if own.personal_id not in (None, person.personal_id) or own.commune_code not in station.communes:
                continue  # changed since (another personal ID, another station): not the same person any more
            _merge_into(s, person, linked, json.loads(own.data), "handover", None, now)
            merged.append(linked)
        elif alias is not None and resolve(s, linked) == person.id:
            alias.reason = "handover"
            _merge_into(s, person, linked, json.loads(alias.snapshot or "{}"), "handover", None, now)
            merged.append(linked)
    if not merged:
        _roster(s, person, None, now)
    s.flush()
    return {"person_id": person.id, "to_station": station.code, "commune_code": commune, "merged": merged}
