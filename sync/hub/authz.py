"""Per-item authorization at the hub: a device acts only for its own station.

- A person belongs to the station serving their commune; only its devices change the record, and only within
  the communes it serves (``sync.hub.people`` applies this to person items and merges).
- Every other item about a person (consent, appointment, exam, amendment, referral, follow-up) names the person in its
  ``person_id``: that person must be at the hub and belong to the device's station. A person another station
  holds is refused (``not_your_station``), a person the hub has never received is refused until it arrives
  (``unknown_person``: the station sends people before what concerns them, so this only follows a person the
  hub refused).
- An entity id belongs to the station that sent it first: the same consent, appointment, referral or exam id
  from another station is refused, so no station can overwrite another's record by reusing its id.

``check_item`` is called by ``HubStore._apply`` once an item's shape is known good and before it is applied;
kind-specific checks (an exam's signature) come after it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync.hub import people
from sync.hub.items import PERSON_ID_MAX, ItemRejected, fits
from sync.hub.models import HubPerson, Item, PersonAlias

#: Kinds that concern one person, named by ``payload["person_id"]``.
ABOUT_A_PERSON = frozenset(
    {"consent", "appointment", "exam", "amendment", "referral", "moh_push", "followup"}
)
#: Kinds sharing one entity id space (an amendment is a later version of an exam).
_SAME_ENTITY = {"amendment": ("exam", "amendment"), "exam": ("exam", "amendment")}
_CHECKED = frozenset({*ABOUT_A_PERSON, "person_merge"})  # kinds whose entity ids are checked here
_CHUNK = 500
_BATCH_KEY = "ksk_hub_authz_batch"


def _group(kind: str) -> tuple[str, ...]:
    return _SAME_ENTITY.get(kind, (kind,))


class _Batch:
    """What one push needs to authorize its items, read in a few queries instead of a few per item.

    Entity owners stay true for the whole push (writes are serialised; items of this push belong to this
    station). Owners of the people items talk about are read in advance only for a push that carries no person
    or merge item, since those can change who holds whom."""

    def __init__(self, s: Session, items: list[dict]) -> None:
        self.owners: dict[tuple[str, str], str] = {}
        by_group: dict[tuple[str, ...], set[str]] = {}
        for it in items:
            kind, entity_id = it.get("kind"), it.get("entity_id")
            if kind in _CHECKED and isinstance(entity_id, str):
                by_group.setdefault(_group(kind), set()).add(entity_id)
        for kinds, ids in by_group.items():
            wanted = sorted(ids)
            for i in range(0, len(wanted), _CHUNK):
                for station, entity_id in s.execute(
                    select(Item.station_code, Item.entity_id).where(
                        Item.kind.in_(kinds), Item.entity_id.in_(wanted[i : i + _CHUNK])
                    )
                ).all():
                    self.owners.setdefault((kinds[0], entity_id), station)
        self.subjects: dict[str, tuple[bool, str | None]] = {}  # person id -> (at the hub, commune)
        if any(it.get("kind") in ("person", "person_merge") for it in items):
            return
        pids = sorted(
            {
                pid
                for it in items
                if it.get("kind") in ABOUT_A_PERSON
                and isinstance(it.get("payload"), dict)
                and fits(pid := it["payload"].get("person_id"), PERSON_ID_MAX)
            }
        )
        for i in range(0, len(pids), _CHUNK):
            chunk = pids[i : i + _CHUNK]
            merged = select(PersonAlias.merged_id).where(PersonAlias.merged_id.in_(chunk)).limit(1)
            if s.scalar(merged) is not None:
                continue  # merged people: resolved one by one (chains, handovers waiting)
            found = dict(
                s.execute(select(HubPerson.id, HubPerson.commune_code).where(HubPerson.id.in_(chunk))).all()
            )
            for pid in chunk:
                self.subjects[pid] = (pid in found, found.get(pid))


def prepare(s: Session, items: list[dict]) -> None:
    """Read in advance what authorizing *items* needs (called by ``HubStore.push`` inside its transaction; it
    lives as long as that session); the checks below use it and ask the database for anything it lacks."""
    with s.no_autoflush:
        s.info[_BATCH_KEY] = _Batch(s, items)


def _batch(s: Session) -> _Batch | None:
    batch = s.info.get(_BATCH_KEY)
    return batch if isinstance(batch, _Batch) else None


def check_entity(s: Session, device, kind: str, entity_id: str) -> None:  # noqa: ANN001
    """Refuse an entity id another station sent first."""
    kinds = _group(kind)
    batch = _batch(s)
    if batch is not None and kind in _CHECKED:
        owner = batch.owners.get((kinds[0], entity_id))
    else:
        owner = s.scalar(
            select(Item.station_code).where(Item.kind.in_(kinds), Item.entity_id == entity_id).limit(1)
        )
    if owner is not None and owner != device.station_code:
        raise ItemRejected(people.NOT_YOURS, "Mã bản ghi này thuộc một trạm khác: máy chủ không nhận.")


def check_subject(s: Session, device, payload: dict) -> str:  # noqa: ANN001
    """The person an item is about must be at the hub and belong to the device's station; returns their id
    at the hub (after merges)."""
    person_id = payload.get("person_id")
    if not fits(person_id, PERSON_ID_MAX):
        raise ItemRejected("bad_person_id", "Mục thiếu mã người hoặc mã không hợp lệ.")
    batch = _batch(s)
    known = batch.subjects.get(person_id) if batch is not None else None
    if known is None:
        kept = people.resolve(s, person_id)
        person = s.get(HubPerson, kept)
        exists, commune = person is not None, person.commune_code if person is not None else None
    else:
        kept, (exists, commune) = person_id, known
    if not exists:
        raise ItemRejected(
            "unknown_person",
            "Máy chủ chưa có hồ sơ người này (hồ sơ chưa gửi được): gửi hồ sơ người trước rồi gửi lại mục này.",
        )
    if not device.serves(commune):
        raise people.not_yours(s, device, person_id)
    return kept


def check_item(s: Session, device, kind: str, entity_id: str, payload: dict) -> None:  # noqa: ANN001
    """Whether the device's station may send this item (its shape already checked). Read-only: the push has
    flushed every earlier item, so nothing needs flushing before these lookups."""
    with s.no_autoflush:
        check_entity(s, device, kind, entity_id)
        if kind in ABOUT_A_PERSON:
            check_subject(s, device, payload)
