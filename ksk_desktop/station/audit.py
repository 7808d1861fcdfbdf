"""The audit trail: append-only events in a SHA-256 hash chain, and its verifier.

Each event's hash covers its own fields and the previous event's hash, so changing, deleting or inserting
a row breaks the chain at that row. Deleting the newest rows is caught by the anchor: the chain head
(sequence number and hash) is kept in ``audit-anchor.json`` with a MAC under a key derived from the database
key, and events appended behind the app's back are caught because the anchor does not cover them; the city
hub keeps a copy of the head at every sync.

The anchor and the database are two files, and no write reaches both at once, so each write moves the anchor
in two steps (see :class:`Anchor`): *pending* just before COMMIT (the new head, and the head it started from,
either of which may be what the database holds if the power fails now), then *confirmed* just after (the new
head only). Deleting the last transactions therefore shows against a confirmed anchor; only a crash in the
few milliseconds between COMMIT and the confirmation leaves a pending anchor, which accepts both heads until
the next write settles it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ksk_desktop.clock import SYSTEM_CLOCK
from ksk_desktop.db.models import AuditEvent
from ksk_desktop.fsio import atomic_write_bytes, atomic_write_json, file_lock
from ksk_desktop.text import fold

GENESIS = "0" * 64


def canonical_json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def event_hash(
    seq: int,
    at: str,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str | None,
    details: str,
    prev_hash: str,
) -> str:
    body = canonical_json([seq, at, actor, action, entity_type, entity_id, details, prev_hash])
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def append(
    session: Session,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str | None = None,
    details: dict | None = None,
    *,
    at: datetime | None = None,
) -> AuditEvent:
    """Append one event inside the caller's write transaction (BEGIN IMMEDIATE serialises writers). *at*: the
    session clock's now (the system clock's when there is no session)."""
    # The head is looked up once per transaction and then carried along, so bulk writes stay linear.
    last = session.info.get("audit_head")
    if last is None:
        last = session.info["audit_base"] = head(session)
    seq, prev = last[0] + 1, last[1]
    stamp = (at or SYSTEM_CLOCK.now()).astimezone(UTC).isoformat(timespec="microseconds")
    details_json = canonical_json(details or {})
    event = AuditEvent(
        seq=seq,
        at=stamp,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        details=details_json,
        prev_hash=prev,
        hash=event_hash(seq, stamp, actor, action, entity_type, entity_id, details_json, prev),
    )
    session.add(event)
    session.info["audit_head"] = (seq, event.hash)
    return event


def head(session: Session) -> tuple[int, str]:
    row = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    return (row[0], row[1]) if row else (0, GENESIS)


# -- the anchor -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Anchor:
    """The chain head the app last wrote (``seq``/``hash``) and the head it may still be at (``prev_…``).

    *Pending* (written just before COMMIT): ``prev`` is the head the transaction started from; if the power
    fails before the commit, the database still ends there, which is accepted. *Confirmed* (written once the
    commit is done): ``prev`` equals the head itself, so only that head is accepted, and deleting the last
    transaction shows. ``problem`` is set when the file is missing, damaged or forged.
    """

    seq: int
    hash: str
    prev_seq: int
    prev_hash: str
    problem: str | None = None

    def covers(self, head: tuple[int, str]) -> bool:
        """True if *head* is what the app itself left (the last commit, or, while the anchor is pending, the
        head before a commit that may have failed)."""
        return self.problem is None and head in ((self.seq, self.hash), (self.prev_seq, self.prev_hash))

    @property
    def pending(self) -> bool:
        return (self.seq, self.hash) != (self.prev_seq, self.prev_hash)


def _anchor_mac(key: bytes, seq: int, hash_: str, prev_seq: int, prev_hash: str) -> str:
    return hmac.new(key, f"{seq}|{hash_}|{prev_seq}|{prev_hash}".encode(), "sha256").hexdigest()


def write_anchor(
    path: Path, key: bytes, head: tuple[int, str], prev: tuple[int, str], *, durable: bool = True
) -> bytes | None:
    """Record the new chain head; return the previous anchor file's bytes (None if there was none).

    Called inside the write transaction, before COMMIT, so the database's write lock orders anchors
    written by several processes; if the commit then fails, the caller puts the previous bytes back.
    """
    try:
        previous = path.read_bytes()
    except FileNotFoundError:
        previous = None
    (seq, hash_), (prev_seq, prev_hash) = head, prev
    atomic_write_json(
        path,
        {
            "seq": seq,
            "hash": hash_,
            "prev_seq": prev_seq,
            "prev_hash": prev_hash,
            "mac": _anchor_mac(key, seq, hash_, prev_seq, prev_hash),
        },
        durable=durable,
    )
    return previous


def restore_anchor(path: Path, previous: bytes | None) -> None:
    if previous is None:
        path.unlink(missing_ok=True)
    else:
        atomic_write_bytes(path, previous)


def anchor_lock(path: Path):  # noqa: ANN201 - a context manager
    """The lock every process holds while it reads and moves the anchor (``audit-anchor.json.lock``)."""
    return file_lock(path.with_name(path.name + ".lock"))


def confirm_anchor(path: Path, key: bytes, head: tuple[int, str], prev: tuple[int, str]) -> bool:
    """After COMMIT: the pending anchor (*head*, *prev*) this write left becomes confirmed (*head* only). Does
    nothing if another write has moved the anchor since (its own pending anchor stands). Holds the anchor lock."""
    with anchor_lock(path):
        current = read_anchor(path, key)
        if current.problem or (current.seq, current.hash, current.prev_seq, current.prev_hash) != (
            *head,
            *prev,
        ):
            return False
        # Losing this write to a power cut only leaves the anchor pending (both heads accepted): no folder sync.
        write_anchor(path, key, head, head, durable=False)
        return True


def read_anchor(path: Path, key: bytes) -> Anchor:
    """The stored anchor; a missing, damaged or forged file gives an Anchor with ``problem`` set."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        fields = (int(data["seq"]), str(data["hash"]), int(data["prev_seq"]), str(data["prev_hash"]))
        mac = str(data["mac"])
    except FileNotFoundError:
        return Anchor(-1, "", -1, "", "thiếu tệp neo nhật ký (audit-anchor.json) — có thể đã bị xóa")
    except (OSError, ValueError, KeyError, TypeError):
        return Anchor(-1, "", -1, "", "tệp neo nhật ký bị hỏng")
    if not hmac.compare_digest(mac, _anchor_mac(key, *fields)):
        return Anchor(-1, "", -1, "", "tệp neo nhật ký bị giả mạo")
    return Anchor(*fields)


# -- verification ---------------------------------------------------------------------------------
@dataclass
class ChainReport:
    ok: bool
    events: int
    head_seq: int
    head_hash: str
    first_bad_seq: int | None = None
    problem: str | None = None
    #: The city hub's warning that this station's chain went backwards or changed (``ok`` is about the chain
    #: on this machine only; this is the evidence held elsewhere), until an administrator acknowledges it.
    hub_alert: str | None = None

    def to_json(self) -> dict:
        return {
            "ok": self.ok,
            "events": self.events,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "first_bad_seq": self.first_bad_seq,
            "problem": self.problem,
            "hub_alert": self.hub_alert,
        }


def verify(session: Session, anchor: Anchor | None = None) -> ChainReport:
    """Walk the whole chain; name the first event that was changed, deleted or inserted.

    Without an anchor (a backup being checked) only the chain's own links are checked.
    """
    expected_seq, prev, count = 1, GENESIS, 0
    seen: dict[int, str] = {}
    stmt = select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=2000)
    for ev in session.scalars(stmt):
        count += 1
        if ev.seq != expected_seq:
            if ev.seq > expected_seq:
                problem = f"thiếu sự kiện số {expected_seq}–{ev.seq - 1} (đã bị xóa)"
                return ChainReport(False, count, ev.seq, ev.hash, expected_seq, problem)
            return ChainReport(False, count, ev.seq, ev.hash, ev.seq, "số thứ tự sự kiện bị lặp hoặc sai")
        if ev.prev_hash != prev:
            return ChainReport(
                False,
                count,
                ev.seq,
                ev.hash,
                ev.seq,
                "liên kết với sự kiện trước bị đứt (có sự kiện bị xóa, chèn hoặc sửa)",
            )
        recomputed = event_hash(
            ev.seq, ev.at, ev.actor, ev.action, ev.entity_type, ev.entity_id, ev.details, ev.prev_hash
        )
        if recomputed != ev.hash:
            return ChainReport(False, count, ev.seq, ev.hash, ev.seq, "nội dung sự kiện đã bị sửa")
        if anchor is not None and ev.seq in (anchor.seq, anchor.prev_seq):
            seen[ev.seq] = ev.hash
        prev, expected_seq = ev.hash, expected_seq + 1
    head_seq = expected_seq - 1
    if anchor is None or anchor.covers((head_seq, prev)):
        return ChainReport(True, count, head_seq, prev)
    if anchor.problem:
        return ChainReport(False, count, head_seq, prev, None, anchor.problem)
    if head_seq < anchor.prev_seq or (head_seq < anchor.seq and head_seq != anchor.prev_seq):
        return ChainReport(
            False,
            count,
            head_seq,
            prev,
            head_seq + 1,
            f"các sự kiện từ số {head_seq + 1} đến {anchor.seq} đã bị xóa khỏi cuối nhật ký",
        )
    if seen.get(anchor.seq) != anchor.hash:
        return ChainReport(False, count, head_seq, prev, anchor.seq, "sự kiện tại điểm neo không khớp")
    return ChainReport(
        False,
        count,
        head_seq,
        prev,
        anchor.seq + 1,
        f"các sự kiện từ số {anchor.seq + 1} không do phần mềm ghi (được thêm vào sau điểm neo)",
    )


# -- what the user typed --------------------------------------------------------------------------
_NUMBER_GLUE = re.compile(r"[\s.\-+()]")


def typed_query(ctx, query: str) -> dict | None:  # noqa: ANN001 - a StationSession (no import cycle)
    """A search text the user typed, as the audit trail keeps it: whether it is a number or words, its length,
    and a fingerprint (a keyed hash of its folded form), never the text itself — it may be a name, a personal ID
    or a phone, and the trail must hold no personal data beyond ids. The same query typed again gives the same
    fingerprint (``ksk audit fingerprint QUERY``), so an investigation can still ask "who looked this up?"."""
    folded = fold(unicodedata.normalize("NFKC", query or ""))
    if not folded:
        return None
    glued = _NUMBER_GLUE.sub("", folded)
    number = glued.isascii() and glued.isdigit()
    canonical = glued if number else folded
    key = hmac.new(ctx.key, b"ksk-audit-query|" + ctx.keystore.station_id.encode(), "sha256").digest()
    return {
        "kind": "number" if number else "words",
        "chars": len(canonical),
        "fingerprint": hmac.new(key, canonical.encode("utf-8"), "sha256").hexdigest()[:16],
    }


def who_searched(ctx, query: str, limit: int = 200) -> dict:  # noqa: ANN001 - a StationSession
    """The audit events whose typed query has the fingerprint of *query* (newest first): who searched, listed or
    exported with it, and when. Needs the audit permission; the look-up is itself recorded."""
    from ksk_desktop.security.roles import Perm

    ctx.require(Perm.AUDIT_READ)
    typed = typed_query(ctx, query)
    if typed is None:
        from ksk_desktop.errors import InvalidInput

        raise InvalidInput("Cần nội dung tìm kiếm để tra cứu trong nhật ký.")
    mark = f'"fingerprint":"{typed["fingerprint"]}"'
    with ctx.read() as s:
        rows = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.details.contains(mark))
            .order_by(AuditEvent.seq.desc())
            .limit(limit)
        ).all()
        events = [{"seq": e.seq, "at": e.at, "actor": e.actor, "action": e.action} for e in rows]
    with ctx.write() as s:
        ctx.audit(s, "audit.query", "audit_event", None, {"query": typed, "found": len(events)})
    return {"query": typed, "events": events}


def count_events(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def verify_and_record(ctx) -> ChainReport:  # noqa: ANN001 - a StationSession (imported lazily: no cycle)
    """Verify the chain as it stands, with the hub's alert if there is one, then record that it was checked (and
    by whom, with the result)."""
    from ksk_desktop.db.models import SyncState
    from ksk_desktop.security.roles import Perm

    ctx.require(Perm.AUDIT_READ)
    with ctx.read() as s:
        report = verify(s, ctx.read_anchor())
        report.hub_alert = s.scalar(select(SyncState.hub_alert))
    with ctx.write() as s:
        ctx.audit(
            s,
            "audit.verify",
            "audit_event",
            None,
            {"ok": report.ok, "events": report.events, "first_bad_seq": report.first_bad_seq},
        )
    return report
