"""Applying one item of another device of the station to this device's database, kind by kind
(docs/multi-device.md §4). Each function runs inside the caller's transaction and returns an ``Outcome``:

- ``applied``: the record is here now (or already was, the same: a repeat changes nothing);
- ``waiting``: something it refers to (the person, the exam day, the doctor's key) has not arrived yet; the
  item is kept and tried again after later items;
- ``refused``: it can never be applied here (a signature that does not verify, a signed version that
  differs from the one already here); kept with the reason, shown;
- ``superseded``: a newer version is here; kept.

Campaigns, sites, exam days and appointments, which can conflict, are in ``sync.client.station_schedule``.

Nothing here queues anything in this device's outbox: items received are never sent back (no echo).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from ksk_desktop.db.models import (
    Consent,
    ExamSigningKey,
    ExamVersion,
    Person,
    Referral,
    SyncRemoteMerge,
)
from ksk_desktop.exams import document, followups, key_registration, signing
from ksk_desktop.security.signer import HOLDER_NONE, key_id_of
from ksk_desktop.station.session import StationSession

APPLIED, WAITING, REFUSED, SUPERSEDED = "applied", "waiting", "refused", "superseded"
REMOTE_KEY = "other_device"  # ExamSigningKey.retired_reason of a doctor's key learnt from another device
#: ``Session.info`` key: ids of people found here while a page is applied (a page names the same people often;
#: a person is not deleted while items are received).
PEOPLE_HERE = "ksk_station_people_here"


@dataclass(frozen=True)
class Outcome:
    state: str
    reason: str | None = None
    #: What a waiting item waits for: (person | campaign | site | place | appointment | key, its id here).
    wait: tuple[str, str] | None = None


OK = Outcome(APPLIED)


@dataclass(frozen=True)
class Incoming:
    item_id: str
    kind: str
    entity_id: str
    entity_version: int
    device_id: str | None
    payload: dict


def utc_of(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.removesuffix("Z")).replace(tzinfo=None)


def local_person(s: Session, person_id: object) -> str | None:
    """The id under which *person_id* lives here (after this device's merges and those the hub announced)."""
    if not isinstance(person_id, str):
        return None
    present = s.info.get(PEOPLE_HERE)
    if present is not None and person_id in present:
        return person_id
    pid = person_id
    for _ in range(20):
        if s.scalar(select(Person.id).where(Person.id == pid)) is not None:  # no flags loaded: many per page
            if present is not None and pid == person_id:
                present.add(pid)
            return pid
        kept = s.execute(
            text(
                "SELECT kept_id FROM person_merge WHERE merged_id = :i "
                "UNION ALL SELECT kept_id FROM sync_remote_merge WHERE merged_id = :i LIMIT 1"
            ),
            {"i": pid},
        ).scalar()
        if kept is None or kept == pid:
            return None
        pid = kept
    return None


def no_person(person_id: object) -> Outcome:
    return Outcome(WAITING, "chưa có hồ sơ người này trên máy", ("person", str(person_id)))


# -- consents ----------------------------------------------------------------------------------------------
def consent(ctx: StationSession, s: Session, it: Incoming) -> Outcome:
    p = it.payload
    pid = local_person(s, p.get("person_id"))
    if pid is None:
        return no_person(p.get("person_id"))
    row = s.get(Consent, it.entity_id)
    if row is None:
        row = Consent(
            id=it.entity_id,
            person_id=pid,
            kind=p["kind"],
            given_by=p.get("given_by") or "self",
            recorded_by=p.get("recorded_by") or "?",
            recorded_at=utc_of(p.get("recorded_at")) or ctx.clock.utcnow(),
            note=p.get("note"),
        )
        s.add(row)
    if p.get("withdrawn_at") and row.withdrawn_at is None:  # withdrawn stays withdrawn
        row.withdrawn_by, row.withdrawn_at = p.get("withdrawn_by"), utc_of(p["withdrawn_at"])
    return OK


# -- doctors' keys, signed exams and amendments, referrals ---------------------------------------------------
def doctor_key(ctx: StationSession, s: Session, it: Incoming) -> Outcome:
    """The public half of a doctor's key of another device, so that its exams verify here; never usable to
    sign (no private key) and never this device's active key for that user."""
    p = it.payload
    try:
        public_raw = base64.b64decode(p["public_key"], validate=True)
        valid = key_id_of(public_raw) == it.entity_id and key_registration.proof_holds(p, public_raw)
    except (KeyError, TypeError, ValueError):
        valid = False
    if not valid:
        return Outcome(REFUSED, "khóa của bác sĩ không hợp lệ (không tự ký đúng)")
    if s.get(ExamSigningKey, it.entity_id) is None:
        s.add(
            ExamSigningKey(
                key_id=it.entity_id,
                username=p["username"],
                full_name=p.get("full_name") or p["username"],
                licence_no=p.get("licence_no"),
                public_key=p["public_key"],
                holder=HOLDER_NONE,
                wrapped_private_key=None,
                created_at=utc_of(p.get("created_at")) or ctx.clock.utcnow(),
                active=False,
                retired_at=None,
                retired_reason=REMOTE_KEY,
            )
        )
    return OK


def exam(ctx: StationSession, s: Session, it: Incoming) -> Outcome:
    """A signed exam or amendment: written once, verified here before it is kept; never changed afterwards."""
    doc = it.payload
    if (
        doc.get("status") != "signed"
        or doc.get("id") != it.entity_id
        or doc.get("version") != it.entity_version
    ):
        return Outcome(REFUSED, "phiếu khám chưa ký hoặc không khớp với mục đồng bộ")
    here = s.get(ExamVersion, (it.entity_id, it.entity_version))
    if here is not None:
        if here.status == "signed" and here.signature == doc.get("signature"):
            return OK  # the same signed version (a repeat through another route)
        return Outcome(REFUSED, "máy này đã có phiên bản phiếu khám này với nội dung khác")
    pid = local_person(s, doc.get("person_id"))
    if pid is None:
        return no_person(doc.get("person_id"))
    if s.get(ExamSigningKey, doc.get("signer_key_id") or "") is None:
        return Outcome(WAITING, "chưa có khóa của bác sĩ đã ký", ("key", str(doc.get("signer_key_id"))))
    problem = signing.check_document(s, doc)
    if problem is not None:
        return Outcome(REFUSED, problem)
    now = ctx.clock.utcnow()
    s.add(
        ExamVersion(
            exam_id=doc["id"],
            version=doc["version"],
            person_id=pid,
            appointment_id=doc.get("appointment_id"),
            form=doc["form"],
            form_version=doc["form_version"],
            exam_date=date.fromisoformat(doc["exam_date"]),
            status="signed",
            edit_seq=1,
            section_versions="{}",
            health_class=doc.get("health_class"),
            document=document.dumps(doc),
            amends_version=doc.get("amends_version"),
            amendment_reason=doc.get("amendment_reason"),
            signed_by=doc.get("signed_by"),
            signed_at=doc.get("signed_at"),
            signer_key_id=doc.get("signer_key_id"),
            signature=doc.get("signature"),
            created_by=doc.get("signed_by") or "?",
            created_at=now,
            updated_by=doc.get("signed_by") or "?",
            updated_at=now,
        )
    )
    s.flush()
    followups.record(ctx, s, doc | {"person_id": pid})  # derived from the document, ids included
    return OK


def referral(ctx: StationSession, s: Session, it: Incoming) -> Outcome:
    p = it.payload
    if s.get(Referral, it.entity_id) is not None:
        return OK
    pid = local_person(s, p.get("person_id"))
    if pid is None:
        return no_person(p.get("person_id"))
    s.add(
        Referral(
            id=it.entity_id,
            exam_id=p["exam_id"],
            exam_version=p["exam_version"],
            person_id=pid,
            destination=p["destination"],
            reason=p["reason"],
            urgency=p["urgency"],
            created_by=p.get("signed_by") or "?",
            created_at=ctx.clock.utcnow(),
        )
    )
    return OK


# -- people (transfer files only: through the hub, people come by /changes) -----------------------------------
def person(ctx: StationSession, s: Session, it: Incoming) -> Outcome:
    """A person recorded on the other device. Someone this device already holds under another id with the same
    personal ID (a walk-in scanned on both laptops) stays one person here: the other id is remembered as theirs
    (as a merge the hub announced would be), so what the other device recorded about them lands on them."""
    from sync.client import apply

    p = dict(it.payload, id=it.entity_id)
    holder = None
    if isinstance(p.get("personal_id"), str) and s.get(Person, it.entity_id) is None:
        holder = s.scalar(select(Person.id).where(Person.personal_id == p["personal_id"]))
    if holder is not None:
        if s.get(SyncRemoteMerge, it.entity_id) is None:
            s.add(
                SyncRemoteMerge(
                    merged_id=it.entity_id,
                    kept_id=holder,
                    reason="same_personal_id",
                    received_at=ctx.clock.utcnow(),
                )
            )
        return OK
    report = apply.PullReport()
    apply.apply_roster(s, p, report, ctx.clock.utcnow())
    if report.skipped.get("invalid"):
        return Outcome(REFUSED, "hồ sơ người không hợp lệ")
    return OK


def person_merge(ctx: StationSession, s: Session, it: Incoming) -> Outcome:
    """A merge made on the other device: remembered (the merged id resolves to the kept one here), carried out
    when the hub announces it, as every hub merge is (``sync.client.apply``)."""
    merged, kept = it.payload.get("merged_id"), it.payload.get("kept_id")
    if not isinstance(merged, str) or not isinstance(kept, str) or merged == kept:
        return Outcome(REFUSED, "bản ghi gộp hồ sơ không hợp lệ")
    if s.get(SyncRemoteMerge, merged) is None:
        s.add(
            SyncRemoteMerge(
                merged_id=merged, kept_id=kept, reason="station_merge", received_at=ctx.clock.utcnow()
            )
        )
    return OK


APPLIERS = {
    "person": person,
    "person_merge": person_merge,
    "consent": consent,
    "doctor_key": doctor_key,
    "exam": exam,
    "amendment": exam,
    "referral": referral,
}
