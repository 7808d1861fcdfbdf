"""Exams at the hub: checking a pushed exam or amendment, and the durable queue that forwards it to FHIR.

A signed exam version is accepted once (like every item, by its item id) and queued once per (exam id,
version) in the same transaction: a crash after the answer can never lose the forward, and the same version
pushed again under another item id is not forwarded twice. The forwarder itself (HTTP, bundle) lives in
``sync.fhir.forward``; this module only reads and writes hub tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ksk_desktop.catalogs.communes import commune_by_code
from ksk_desktop.db import rowcount
from sync.hub import doctor_keys, people
from sync.hub.items import PERSON_ID_MAX, ItemRejected, fits
from sync.hub.models import Device, FhirForward, HubConsent, HubPerson, Item, PersonAlias

FORWARD_KINDS = ("exam", "amendment")
FORMS = ("adult", "child", "elderly")


def check_exam(entity_id: str, version: int, payload: dict) -> None:
    """A pushed exam/amendment must be a signed exam document matching the item's entity and version."""
    if payload.get("id") != entity_id or payload.get("version") != version:
        raise ItemRejected("bad_exam", "Mã hoặc phiên bản phiếu khám không khớp với mục gửi lên.")
    if payload.get("status") != "signed":
        raise ItemRejected("exam_not_signed", "Phiếu khám chưa được ký: chỉ phiếu đã ký mới được gửi lên.")
    if not fits(payload.get("person_id"), PERSON_ID_MAX) or payload.get("form") not in FORMS:
        raise ItemRejected("bad_exam", "Phiếu khám thiếu người được khám hoặc mẫu phiếu.")
    try:
        date.fromisoformat(str(payload.get("exam_date")))
    except ValueError:
        raise ItemRejected("bad_exam", "Ngày khám không hợp lệ.") from None
    if version > 1 and not isinstance(payload.get("amends_version"), int):
        raise ItemRejected("bad_exam", "Phiếu sửa đổi phải ghi rõ phiên bản được sửa.")


def _exam_of(item: Item) -> dict:
    """The exam document of an exam or amendment item (the hub stores no item without its payload)."""
    assert item.payload is not None
    return json.loads(item.payload)


def enqueue(s: Session, item: Item, now: datetime) -> bool:
    """Queue the exam version of *item* for FHIR (once per exam version); True if a row was added."""
    exists = s.scalar(
        select(FhirForward.id).where(
            FhirForward.exam_id == item.entity_id, FhirForward.version == item.entity_version
        )
    )
    if exists is not None:
        return False
    exam = _exam_of(item)
    s.add(
        FhirForward(
            item_seq=item.seq,
            exam_id=item.entity_id,
            version=item.entity_version,
            person_id=exam.get("person_id"),
            state=doctor_keys.forward_state(s, item.station_code, exam),  # held while the key awaits approval
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    return True


def record_consent(s: Session, entity_id: str, version: int, payload: dict, now: datetime) -> bool:
    """Keep the newest version of a consent; True when it is an active EHR-sharing consent (exams waiting for it
    should be looked at again)."""
    row = s.get(HubConsent, entity_id)
    active = bool(payload.get("active", payload.get("withdrawn_at") is None))
    if row is None:
        s.add(
            HubConsent(
                id=entity_id,
                person_id=payload["person_id"],
                kind=payload["kind"],
                active=active,
                version=version,
                updated_at=now,
            )
        )
    elif version >= row.version:
        row.active, row.version, row.updated_at = active, version, now
    else:
        return False  # an older version arriving late changes nothing
    return active and payload["kind"] == "ehr_share"


def _same_person(s: Session, person_id: str) -> set[str]:
    """*person_id*, the person it resolves to and the ids merged into that one."""
    kept = people.resolve(s, person_id)
    return {person_id, kept, *s.scalars(select(PersonAlias.merged_id).where(PersonAlias.kept_id == kept))}


def has_ehr_consent(s: Session, person_id: str) -> bool:
    """Whether the person (or anyone merged into the same person) has an active consent to the health record."""
    return (
        s.scalar(
            select(HubConsent.id)
            .where(
                HubConsent.person_id.in_(_same_person(s, person_id)),
                HubConsent.kind == "ehr_share",
                HubConsent.active.is_(True),
            )
            .limit(1)
        )
        is not None
    )


def mark_waiting(s: Session, forward_id: int, reason: str) -> None:
    s.execute(
        update(FhirForward).where(FhirForward.id == forward_id).values(state="waiting", last_error=reason)
    )


def release_waiting(s: Session, person_id: str, now: datetime) -> int:
    """The person's exams waiting for their consent back to pending (the consent arrived)."""
    return (
        rowcount(
            s.execute(
                update(FhirForward)
                .where(FhirForward.state == "waiting", FhirForward.person_id.in_(_same_person(s, person_id)))
                .values(state="pending", next_attempt_at=now)
            )
        )
        or 0
    )


def counts(s: Session) -> dict:
    """``{"pending", "sent", "parked", "waiting", "held", "parked_items": [...]}`` for ``ksk hub stats``
    (``waiting``: exams of people who have not consented to sharing with the health record; ``held``: exams
    signed with a doctor's key the hub administrator has not approved yet)."""
    out: dict = {"pending": 0, "sent": 0, "parked": 0, "waiting": 0, doctor_keys.HELD: 0}
    out.update(dict(s.execute(select(FhirForward.state, func.count()).group_by(FhirForward.state)).all()))
    parked = s.scalars(
        select(FhirForward).where(FhirForward.state == "parked").order_by(FhirForward.id).limit(100)
    ).all()
    out["parked_items"] = [
        {
            "id": r.id,
            "exam_id": r.exam_id,
            "version": r.version,
            "reason": r.last_error,
            "attempts": r.attempts,
        }
        for r in parked
    ]
    return out


def due(s: Session, now: datetime, limit: int, after_id: int = 0) -> list[int]:
    """Ids (greater than *after_id*) of pending rows whose time has come, oldest first."""
    return list(
        s.scalars(
            select(FhirForward.id)
            .where(
                FhirForward.state == "pending", FhirForward.id > after_id, FhirForward.next_attempt_at <= now
            )
            .order_by(FhirForward.id)
            .limit(limit)
        ).all()
    )


def next_due(s: Session) -> datetime | None:
    return s.scalar(select(func.min(FhirForward.next_attempt_at)).where(FhirForward.state == "pending"))


@dataclass(frozen=True)
class ForwardWork:
    """Everything the bundle needs for one queued exam version."""

    id: int
    exam: dict
    person: dict | None  # None: the person has not reached the hub yet
    station: dict
    previous: dict | None  # the version an amendment amends, when the hub holds it
    superseded: bool  # a newer version of this exam is already at the FHIR server
    attempts: int
    consented: bool  # the person has an active consent to sharing with the health record
    doctor: dict | None = None  # the signing key's doctor as registered: full_name, licence_no


def load(s: Session, forward_id: int) -> ForwardWork | None:
    row = s.get(FhirForward, forward_id)
    if row is None or row.state != "pending":
        return None
    item = s.get_one(Item, row.item_seq)
    exam = _exam_of(item)
    person_row = s.get(HubPerson, people.resolve(s, str(exam["person_id"])))
    person = None
    if person_row is not None:
        merged = s.scalars(select(PersonAlias.merged_id).where(PersonAlias.kept_id == person_row.id)).all()
        person = json.loads(person_row.data) | {"id": person_row.id, "merged_ids": sorted(merged)}
    previous = None
    before = exam.get("amends_version")
    if isinstance(before, int):
        prev_payload = s.scalar(
            select(Item.payload)
            .where(Item.kind.in_(FORWARD_KINDS), Item.entity_id == row.exam_id, Item.entity_version == before)
            .limit(1)
        )
        previous = json.loads(prev_payload) if prev_payload else None
    newer = s.scalar(
        select(FhirForward.id)
        .where(
            FhirForward.exam_id == row.exam_id, FhirForward.version > row.version, FhirForward.state == "sent"
        )
        .limit(1)
    )
    return ForwardWork(
        row.id,
        exam,
        person,
        station(s, item.device_id, item.station_code),
        previous,
        newer is not None,
        row.attempts,
        has_ehr_consent(s, str(exam["person_id"])),
        doctor_keys.doctor_of(s, exam.get("signer_key_id")),
    )


def station(s: Session, device_id: str, station_code: str) -> dict:
    """The station as the bundle names it (custodian, service provider)."""
    commune_code = s.scalar(select(Device.commune_code).where(Device.id == device_id))
    commune = commune_by_code(commune_code) if commune_code else None
    name = (
        f"Trạm y tế {commune.name[:1].lower()}{commune.name[1:]}" if commune else f"Trạm y tế {station_code}"
    )
    return {
        "name": name,
        "station_code": station_code,
        "commune_code": commune_code,
        "commune_name": commune.name if commune else None,
    }


def mark_sent(s: Session, forward_id: int, now: datetime, note: str | None = None) -> None:
    s.execute(
        update(FhirForward)
        .where(FhirForward.id == forward_id)
        .values(state="sent", sent_at=now, last_error=note, attempts=FhirForward.attempts + 1)
    )


def mark_parked(s: Session, forward_id: int, reason: str) -> None:
    s.execute(
        update(FhirForward)
        .where(FhirForward.id == forward_id)
        .values(state="parked", last_error=reason[:2000], attempts=FhirForward.attempts + 1)
    )


def mark_retry(s: Session, forward_id: int, reason: str, at: datetime) -> None:
    s.execute(
        update(FhirForward)
        .where(FhirForward.id == forward_id)
        .values(last_error=reason[:2000], next_attempt_at=at, attempts=FhirForward.attempts + 1)
    )


def requeue(s: Session, forward_id: int | None, now: datetime) -> int:
    """Parked rows (one, or all when *forward_id* is None) back to pending; how many."""
    q = update(FhirForward).where(FhirForward.state == "parked")
    if forward_id is not None:
        q = q.where(FhirForward.id == forward_id)
    return rowcount(s.execute(q.values(state="pending", next_attempt_at=now))) or 0
