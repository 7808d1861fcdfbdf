"""Per-item authorization at the hub: a device acts only for its own station.

- A person belongs to the station serving their commune; only its devices change the record, and only within
  the communes it serves (``sync.hub.people`` applies this to person items and merges).
- Every other item about a person (consent, appointment, exam, amendment, referral) names the person in its
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
from sync.hub.models import HubPerson, Item

#: Kinds that concern one person, named by ``payload["person_id"]``.
ABOUT_A_PERSON = frozenset({"consent", "appointment", "exam", "amendment", "referral"})
#: Kinds sharing one entity id space (an amendment is a later version of an exam).
_SAME_ENTITY = {"amendment": ("exam", "amendment"), "exam": ("exam", "amendment")}


def check_entity(s: Session, device, kind: str, entity_id: str) -> None:  # noqa: ANN001
    """Refuse an entity id another station sent first."""
    kinds = _SAME_ENTITY.get(kind, (kind,))
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
    kept = people.resolve(s, person_id)
    person = s.get(HubPerson, kept)
    if person is None:
        raise ItemRejected(
            "unknown_person",
            "Máy chủ chưa có hồ sơ người này (hồ sơ chưa gửi được): gửi hồ sơ người trước rồi gửi lại mục này.",
        )
    if not device.serves(person.commune_code):
        raise people.not_yours(s, device, person_id)
    return kept


def check_item(s: Session, device, kind: str, entity_id: str, payload: dict) -> None:  # noqa: ANN001
    """Whether the device's station may send this item (its shape already checked)."""
    check_entity(s, device, kind, entity_id)
    if kind in ABOUT_A_PERSON:
        check_subject(s, device, payload)
