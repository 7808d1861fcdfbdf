"""QĐ 1551 at the hub: the stations' facility certificates, checking a pushed ``moh_push`` item, and the
durable queue towards the Ministry's data hub (``hub_moh_push``, with every exchange in ``hub_moh_exchange``).

An envelope is accepted once (by item id) and queued once per ``msg_id`` in the push transaction. It is
accepted only from the station owning the person, only if its signature verifies against the station's
registered facility certificate. It goes to the Ministry only while the person consents to sharing (as the
FHIR path), and never while the station is stopped after a ``PS_SIGNATURE_INVALID``. The forwarder itself
(HTTP) lives in ``sync.moh.forward``; this module only reads and writes hub tables.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from ksk_desktop.db import rowcount
from ksk_desktop.errors import KskError
from ksk_desktop.moh1551 import envelope
from sync.hub import fhirqueue
from sync.hub.items import ENTITY_ID_MAX, PERSON_ID_MAX, ItemRejected, fits
from sync.hub.models import HubConsent, Item, MohCert, MohExchange, MohPush

FINAL = ("accepted", "duplicate")
RECENT = timedelta(days=14)
WAITING_FOR_CONSENT = "Người được khám chưa đồng ý chia sẻ dữ liệu; hồ sơ sẽ được gửi khi có sự đồng ý."
STOPPED = (
    "Bộ Y tế báo chữ ký không hợp lệ (PS_SIGNATURE_INVALID): đã dừng gửi, chờ quản trị kiểm tra chứng thư số."
)


def _naive_utc(text: str) -> datetime:
    """An aware ISO time as naive UTC (the hub's DateTime columns); a naive one is refused."""
    at = datetime.fromisoformat(text)
    if at.tzinfo is None:
        raise ValueError("naive")
    return at.astimezone(UTC).replace(tzinfo=None)


# -- certificates --------------------------------------------------------------------------------------------
def register_cert(s: Session, station_code: str, pem: bytes, now: datetime) -> dict:
    """Register (or replace) *station_code*'s facility certificate; a replacement also resumes pushing."""
    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError as exc:
        raise KskError("Tệp không phải chứng thư số PEM.") from exc
    sha = cert.fingerprint(hashes.SHA256()).hex()
    row = s.get(MohCert, station_code)
    text = pem.decode("ascii")
    if row is None:
        s.add(MohCert(station_code=station_code, certificate=text, sha256=sha, registered_at=now))
    else:
        row.certificate, row.sha256, row.registered_at = text, sha, now
        row.stopped_at, row.stop_reason = None, None
    return {"station_code": station_code, "sha256": sha, "subject": cert.subject.rfc4514_string()}


def cert_of(s: Session, station_code: str) -> x509.Certificate | None:
    row = s.get(MohCert, station_code)
    return x509.load_pem_x509_certificate(row.certificate.encode()) if row else None


def stop_station(s: Session, station_code: str, reason: str, now: datetime) -> None:
    s.execute(
        update(MohCert)
        .where(MohCert.station_code == station_code, MohCert.stopped_at.is_(None))
        .values(stopped_at=now, stop_reason=reason[:2000])
    )


def resume_station(s: Session, station_code: str, now: datetime) -> int:
    """Clear the stop: the station's envelopes held meanwhile go out again; how many wait. The envelope the
    Ministry refused stays refused (the same msg_id would get the same answer): the station signs it anew."""
    s.execute(
        update(MohCert).where(MohCert.station_code == station_code).values(stopped_at=None, stop_reason=None)
    )
    q = update(MohPush).where(MohPush.station_code == station_code, MohPush.state == "pending")
    return rowcount(s.execute(q.values(next_attempt_at=now))) or 0


# -- items ---------------------------------------------------------------------------------------------------
def check_item(s: Session, station_code: str, entity_id: str, payload: dict) -> None:
    """A ``moh_push`` item: its fields, and the envelope signed by the station's registered certificate."""
    env = payload.get("envelope")
    if payload.get("exam_id") != entity_id or not fits(payload.get("ma_lk"), 100):
        raise ItemRejected("bad_moh_push", "Mục gửi Bộ Y tế thiếu mã phiếu hoặc MA_LK.")
    if not fits(payload.get("person_id"), PERSON_ID_MAX) or not fits(entity_id, ENTITY_ID_MAX):
        raise ItemRejected("bad_moh_push", "Mục gửi Bộ Y tế thiếu người được khám.")
    try:
        _naive_utc(str(payload.get("exam_ended_at")))
    except ValueError:
        raise ItemRejected("bad_moh_push", "Thời điểm kết thúc khám không hợp lệ.") from None
    field = envelope.check_shape(env)
    if field is not None or not isinstance(env, dict) or payload.get("msg_id") != env["header"]["msg_id"]:
        raise ItemRejected("bad_moh_push", f"Gói dữ liệu gửi Bộ Y tế sai cấu trúc ({field or 'msg_id'}).")
    cert = cert_of(s, station_code)
    if cert is None:
        raise ItemRejected(
            "moh_cert_missing", "Máy chủ chưa đăng ký chứng thư số của cơ sở này: báo quản trị máy chủ."
        )
    try:
        envelope.verify(env, cert)
    except KskError:
        raise ItemRejected(
            "moh_bad_signature", "Chữ ký gói dữ liệu không khớp chứng thư số cơ sở đã đăng ký ở máy chủ."
        ) from None
    msg_id: str = env["header"]["msg_id"]
    if s.scalar(select(MohPush.id).where(MohPush.msg_id == msg_id)) is not None:
        raise ItemRejected("moh_duplicate_msg", "Gói dữ liệu này (msg_id) đã được nhận.")


def enqueue(s: Session, item: Item, now: datetime) -> None:
    assert item.payload is not None
    payload = json.loads(item.payload)
    ended = _naive_utc(payload["exam_ended_at"])
    s.add(
        MohPush(
            item_seq=item.seq,
            station_code=item.station_code,
            exam_id=item.entity_id,
            exam_version=item.entity_version,
            msg_id=payload["envelope"]["header"]["msg_id"],
            ma_lk=payload["ma_lk"],
            person_id=payload["person_id"],
            state="pending",
            exam_ended_at=ended,
            deadline=ended + envelope.DEADLINE,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )


def release_waiting(s: Session, person_id: str, now: datetime) -> int:
    """The person's envelopes waiting for consent back to pending (the consent arrived)."""
    q = update(MohPush).where(MohPush.state == "waiting", MohPush.person_id == person_id)
    return rowcount(s.execute(q.values(state="pending", next_attempt_at=now))) or 0


# -- the queue -----------------------------------------------------------------------------------------------
def due(s: Session, now: datetime, limit: int, after_id: int = 0) -> list[int]:
    stopped = select(MohCert.station_code).where(MohCert.stopped_at.is_not(None))
    return list(
        s.scalars(
            select(MohPush.id)
            .where(
                MohPush.state == "pending",
                MohPush.id > after_id,
                MohPush.next_attempt_at <= now,
                MohPush.station_code.not_in(stopped),
            )
            .order_by(MohPush.id)
            .limit(limit)
        ).all()
    )


def next_due(s: Session) -> datetime | None:
    return s.scalar(select(func.min(MohPush.next_attempt_at)).where(MohPush.state == "pending"))


@dataclass(frozen=True)
class PushWork:
    id: int
    station_code: str
    envelope: dict
    body: bytes  # exactly what is sent, every time (same msg_id, same bytes)
    attempts: int
    consented: bool


def load_many(s: Session, ids: list[int]) -> list[PushWork]:
    """The pending rows of *ids* whose station is not stopped, with what pushing them needs, in a few queries."""
    if not ids:
        return []
    stopped = set(s.scalars(select(MohCert.station_code).where(MohCert.stopped_at.is_not(None))))
    rows = s.execute(
        select(MohPush.id, MohPush.station_code, MohPush.person_id, MohPush.attempts, Item.payload)
        .join(Item, Item.seq == MohPush.item_seq)
        .where(MohPush.id.in_(ids), MohPush.state == "pending")
        .order_by(MohPush.id)
    ).all()
    people = {r.person_id for r in rows}
    consented = set(
        s.scalars(
            select(HubConsent.person_id).where(
                HubConsent.person_id.in_(people), HubConsent.kind == "ehr_share", HubConsent.active.is_(True)
            )
        )
    )
    out = []
    for r in rows:
        if r.station_code in stopped:
            continue
        env = json.loads(r.payload)["envelope"]
        body = json.dumps(env, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        # A person merged into another has the consent under either id: the careful lookup then.
        ok = r.person_id in consented or fhirqueue.has_ehr_consent(s, r.person_id)
        out.append(PushWork(r.id, r.station_code, env, body, r.attempts, ok))
    return out


def exchange_row(
    push_id: int,
    now: datetime,
    body: bytes,
    *,
    http_status: int | None = None,
    answer: dict | None = None,
    signature_ok: bool | None = None,
    error: str | None = None,
) -> dict:
    """One exchange with the Ministry as a ``hub_moh_exchange`` row (written by :func:`record_exchanges`)."""
    return {
        "push_id": push_id,
        "at": now,
        "request_sha256": hashlib.sha256(body).hexdigest(),
        "http_status": http_status,
        "res_code": (answer or {}).get("res_code"),
        "answer": json.dumps(answer, ensure_ascii=False) if answer is not None else None,
        "receiver_signature": (answer or {}).get("signature"),
        "signature_ok": signature_ok,
        "error": error[:2000] if error else None,
    }


def record_exchanges(s: Session, rows: list[dict]) -> None:
    if rows:
        s.execute(insert(MohExchange), rows)


def mark_many(
    s: Session, ids: list[int], state: str, now: datetime, *, res_code: str | None, message: str | None
) -> None:
    """Rows answered alike (same state, code and message) in one statement."""
    values: dict = {
        "state": state,
        "res_code": res_code,
        "message": message,
        "attempts": MohPush.attempts + 1,
    }
    if state in FINAL or state in ("parked", "stopped"):
        values["answered_at"] = now
    s.execute(update(MohPush).where(MohPush.id.in_(ids)).values(**values))


def mark_retry(s: Session, push_id: int, reason: str, at: datetime) -> None:
    s.execute(
        update(MohPush)
        .where(MohPush.id == push_id)
        .values(message=reason[:2000], next_attempt_at=at, attempts=MohPush.attempts + 1)
    )


def mark_waiting(s: Session, push_id: int) -> None:
    s.execute(
        update(MohPush).where(MohPush.id == push_id).values(state="waiting", message=WAITING_FOR_CONSENT)
    )


# -- status --------------------------------------------------------------------------------------------------
def _row(r: MohPush, now: datetime) -> dict:
    done = r.state in FINAL
    return {
        "exam_id": r.exam_id,
        "exam_version": r.exam_version,
        "msg_id": r.msg_id,
        "station_code": r.station_code,
        "state": r.state,
        "res_code": r.res_code,
        "message": r.message,
        "deadline": r.deadline.isoformat() + "Z",
        "answered_at": r.answered_at.isoformat() + "Z" if r.answered_at else None,
        "overdue": (r.answered_at or now) > r.deadline if done else now > r.deadline,
        "attempts": r.attempts,
    }


def status(s: Session, now: datetime, station_code: str | None = None, limit: int = 1000) -> dict:
    """Counts per state, the stopped stations, and the rows that need a person or are overdue."""
    q = select(MohPush.state, func.count())
    if station_code is not None:
        q = q.where(MohPush.station_code == station_code)
    counts = dict(s.execute(q.group_by(MohPush.state)).all())
    open_q = select(MohPush).where(MohPush.state.not_in(FINAL) | (MohPush.answered_at > MohPush.deadline))
    if station_code is not None:
        open_q = open_q.where(MohPush.station_code == station_code)
    rows = [_row(r, now) for r in s.scalars(open_q.order_by(MohPush.deadline).limit(limit))]
    stops = select(MohCert).where(MohCert.stopped_at.is_not(None))
    if station_code is not None:
        stops = stops.where(MohCert.station_code == station_code)
    return {
        "counts": {
            k: counts.get(k, 0) for k in ("pending", "waiting", "accepted", "duplicate", "parked", "stopped")
        },
        "overdue": sum(1 for r in rows if r["overdue"]),
        "stopped_stations": [
            {"station_code": c.station_code, "since": c.stopped_at.isoformat() + "Z", "reason": c.stop_reason}
            for c in s.scalars(stops)
            if c.stopped_at is not None
        ],
        "items": rows,
    }


def station_rows(s: Session, station_code: str, now: datetime) -> list[dict]:
    """The station's envelopes still open, and those answered in the last :data:`RECENT` (its devices keep what
    they were told, so an answer long settled need not travel again on every sync)."""
    recent = MohPush.state.not_in(FINAL) | (MohPush.answered_at >= now - RECENT)
    q = select(MohPush).where(MohPush.station_code == station_code, recent).order_by(MohPush.id)
    return [_row(r, now) for r in s.scalars(q)]
