"""The audit trail: append-only events in a SHA-256 hash chain, and its verifier.

Each event's hash covers its own fields and the previous event's hash, so changing, deleting or inserting
a row breaks the chain at that row. Deleting the newest rows is caught by the anchor: after every write the
chain head (sequence number and hash) is kept in ``audit-anchor.json`` with a MAC under a key derived from
the database key; the city hub keeps a copy of the head at every sync.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .db.models import AuditEvent
from .fsio import atomic_write_json

GENESIS = "0" * 64


def canonical_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def event_hash(seq: int, at: str, actor: str, action: str, entity_type: str, entity_id: str | None,
               details: str, prev_hash: str) -> str:
    body = canonical_json([seq, at, actor, action, entity_type, entity_id, details, prev_hash])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def append(session: Session, actor: str, action: str, entity_type: str, entity_id: str | None = None,
           details: dict | None = None) -> AuditEvent:
    """Append one event inside the caller's write transaction (BEGIN IMMEDIATE serialises writers)."""
    # The head is looked up once per transaction and then carried along, so bulk writes stay linear.
    last = session.info.get("audit_head")
    if last is None:
        last = head(session)
    seq, prev = last[0] + 1, last[1]
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    details_json = canonical_json(details or {})
    event = AuditEvent(
        seq=seq, at=at, actor=actor, action=action, entity_type=entity_type, entity_id=entity_id,
        details=details_json, prev_hash=prev,
        hash=event_hash(seq, at, actor, action, entity_type, entity_id, details_json, prev),
    )
    session.add(event)
    session.info["audit_head"] = (seq, event.hash)
    return event


def head(session: Session) -> tuple[int, str]:
    row = session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).first()
    return (row[0], row[1]) if row else (0, GENESIS)


# -- the anchor -----------------------------------------------------------------------------------
def _anchor_mac(key: bytes, seq: int, hash_: str) -> str:
    return hmac.new(key, f"{seq}|{hash_}".encode(), "sha256").hexdigest()


def write_anchor(path: Path, key: bytes, seq: int, hash_: str) -> None:
    """Record the chain head; never moves the anchor backwards (another process may be ahead)."""
    current = read_anchor(path, key)
    if current is not None and current[0] >= seq:
        return
    atomic_write_json(path, {"seq": seq, "hash": hash_, "mac": _anchor_mac(key, seq, hash_)})


def read_anchor(path: Path, key: bytes) -> tuple[int, str] | None:
    """The stored head, or None if there is no anchor yet. A forged anchor reads as (-1, reason)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        seq, hash_, mac = int(data["seq"]), str(data["hash"]), str(data["mac"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return (-1, "tệp neo nhật ký bị hỏng")
    if not hmac.compare_digest(mac, _anchor_mac(key, seq, hash_)):
        return (-1, "tệp neo nhật ký bị giả mạo")
    return seq, hash_


# -- verification ---------------------------------------------------------------------------------
@dataclass
class ChainReport:
    ok: bool
    events: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None

    def to_json(self) -> dict:
        return {
            "ok": self.ok, "events": self.events, "head_seq": self.head_seq, "head_hash": self.head_hash,
            "first_bad_seq": self.first_bad_seq, "problem": self.problem,
        }


def verify(session: Session, anchor: tuple[int, str] | None = None) -> ChainReport:
    """Walk the whole chain; name the first event that was changed, deleted or inserted."""
    expected_seq, prev, count = 1, GENESIS, 0
    hashes_at_anchor: str | None = None
    stmt = select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=2000)
    for ev in session.scalars(stmt):
        count += 1
        if ev.seq != expected_seq:
            if ev.seq > expected_seq:
                problem = f"thiếu sự kiện số {expected_seq}–{ev.seq - 1} (đã bị xóa)"
                return ChainReport(False, count, ev.seq, ev.hash, expected_seq, problem)
            return ChainReport(False, count, ev.seq, ev.hash, ev.seq, "số thứ tự sự kiện bị lặp hoặc sai")
        if ev.prev_hash != prev:
            return ChainReport(False, count, ev.seq, ev.hash, ev.seq,
                               "liên kết với sự kiện trước bị đứt (có sự kiện bị xóa, chèn hoặc sửa)")
        recomputed = event_hash(ev.seq, ev.at, ev.actor, ev.action, ev.entity_type, ev.entity_id,
                                ev.details, ev.prev_hash)
        if recomputed != ev.hash:
            return ChainReport(False, count, ev.seq, ev.hash, ev.seq, "nội dung sự kiện đã bị sửa")
        if anchor is not None and ev.seq == anchor[0]:
            hashes_at_anchor = ev.hash
        prev, expected_seq = ev.hash, expected_seq + 1
    head_seq = expected_seq - 1
    if anchor is not None:
        if anchor[0] == -1:
            return ChainReport(False, count, head_seq, prev, None, str(anchor[1]))
        if anchor[0] > head_seq:
            return ChainReport(False, count, head_seq, prev, head_seq + 1,
                               f"các sự kiện từ số {head_seq + 1} đến {anchor[0]} đã bị xóa khỏi cuối nhật ký")
        if anchor[0] > 0 and hashes_at_anchor != anchor[1]:
            return ChainReport(False, count, head_seq, prev, anchor[0], "sự kiện tại điểm neo không khớp")
    return ChainReport(True, count, head_seq, prev)


def count_events(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent)) or 0
