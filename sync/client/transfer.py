"""Transfer files (``.ksktx``): a station's items carried between its devices on a USB stick, with no hub
(docs/multi-device.md §6).

The file carries this device's own outbox items — the same ids, kinds, versions and payloads the hub receives
(people serialised as stored at export) — encrypted to the station (AES-256-GCM under the station's transfer
key, which only its enrolled devices hold) and signed by this device (Ed25519; the station's other devices
know its public key from the hub). Layout, all lengths big-endian::

    MAGIC (8) | header length (4) | header (canonical JSON) | nonce (12) | body length (8) | body | signature (64)

The header (station, sending device, key id, item count, range; nothing personal) is readable, and bound to
the body as associated data; the signature covers everything before it. Importing checks every byte before it
changes anything: a truncated, padded or altered file, a file of another station or from an unknown device is
refused with one line. The items are then applied exactly as pulled items (each once, by id) and queued for
the hub under their own ids, in one transaction.
"""

from __future__ import annotations

import base64
import json
import os
import struct
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import func, select, text

from ksk_desktop.db.models import AuditEvent, ExamVersion, OutboxItem, Person, SyncDevice
from ksk_desktop.errors import KskError
from ksk_desktop.fsio import write_private
from ksk_desktop.ids import new_id
from ksk_desktop.outbox import sync_state
from ksk_desktop.people import persons
from ksk_desktop.security.roles import Perm
from ksk_desktop.station.audit import canonical_json
from ksk_desktop.station.session import StationSession
from sync.client import device_keys, station_apply
from sync.client.station_kinds import local_person
from sync.protocol import KINDS

MAGIC = b"KSKTX\x00\x01\n"
FORMAT = "ksktx/1"
MAX_FILE = 1024 * 1024 * 1024  # 1 GiB: a whole station's history fits; anything larger is not ours
MAX_HEADER = 16 * 1024
#: What a transfer file carries: what the hub receives from a device, its audit-chain heads aside.
CARRIED = tuple(sorted(KINDS - {"audit_head"}))


class TransferError(KskError):
    """A transfer file cannot be written or is refused; nothing was changed."""

    exit_code = 2


@dataclass(frozen=True)
class Exported:
    path: str
    transfer_id: str
    items: int
    since: int
    until: int
    bytes: int

    def to_json(self) -> dict:
        return dict(self.__dict__)


def _keys(ctx: StationSession) -> device_keys.TransferKeys:
    ident = sync_state.station_identity(ctx)
    keys = device_keys.load(ctx, ident["station_code"])
    if keys is None:
        raise TransferError(
            "Máy này chưa có khóa trao đổi của trạm: đồng bộ với máy chủ một lần (khi có mạng) trước khi dùng tệp "
            "trao đổi."
        )
    return keys


def own_items(ctx: StationSession, since: int) -> tuple[list[dict], int]:
    """This device's own items after outbox seq *since*, in order, each with its payload; and the last seq."""
    out: list[dict] = []
    with ctx.read() as s:
        until = s.scalar(select(func.max(OutboxItem.seq))) or 0
        rows = s.scalars(
            select(OutboxItem)
            .where(OutboxItem.seq > since, OutboxItem.seq <= until, OutboxItem.kind.in_(CARRIED))
            .where(OutboxItem.state != "dismissed")
            .order_by(OutboxItem.seq)
        ).all()
        for r in rows:
            if r.payload is not None:
                payload = json.loads(r.payload)
            else:  # people: as stored now (a later edit goes with it, as it would to the hub)
                person = s.get(Person, r.entity_id)
                if person is None:
                    continue
                payload = persons.to_json(person)
            out.append(
                {
                    "item_id": r.item_id,
                    "kind": r.kind,
                    "entity_id": r.entity_id,
                    "entity_version": r.entity_version,
                    "payload": payload,
                }
            )
    return out, until


#: Namespace of the ids given to people a file carries from this device's roster (not items of its own).
ROSTER_NS = uuid.UUID("6f1d3c2a-58b4-4f0e-9a57-0d6c7e2b9a31")


def _person_ids(kind: str, payload: dict) -> list[str]:
    pid = payload.get("person_id")
    return (
        [pid]
        if isinstance(pid, str) and kind in ("consent", "appointment", "exam", "amendment", "referral")
        else []
    )


def received_items(
    ctx: StationSession, after: int, *, not_from: str | None, skip_people: set[str]
) -> tuple[list[dict], int]:
    """What this device received through the hub from the station's other devices after received position
    *after* (``sync_received_item``'s rowid), except *not_from*'s own items, with their own device ids, and the
    people they name (as this device holds them, unless *skip_people* already go in the file); and the last
    position. Carried as received, never queued for the hub again by the device that reads them (``relay``
    false): the hub has them. Exams and amendments come from the stored signed document; items applied before
    their payload was kept (older versions) cannot be carried."""
    items: list[dict] = []
    named: dict[str, None] = {}
    with ctx.read() as s:
        until = s.scalar(text("SELECT coalesce(max(rowid), 0) FROM sync_received_item")) or 0
        rows = s.execute(
            text(
                "SELECT item_id, kind, entity_id, entity_version, device_id, payload FROM sync_received_item "
                "WHERE rowid > :after AND rowid <= :until AND source = 'hub' "
                "AND state IN ('applied', 'waiting', 'superseded') ORDER BY rowid"
            ),
            {"after": after, "until": until},
        ).all()
        for item_id, kind, entity_id, version, device_id, payload in rows:
            if not_from is not None and device_id == not_from:
                continue
            if payload is None and kind in station_apply.REBUILT:
                exam = s.get(ExamVersion, (entity_id, version))
                payload = exam.document if exam is not None and exam.status == "signed" else None
            if payload is None:
                continue
            body = json.loads(payload)
            named.update(dict.fromkeys(_person_ids(kind, body)))
            items.append(
                {
                    "item_id": item_id,
                    "kind": kind,
                    "entity_id": entity_id,
                    "entity_version": version,
                    "device_id": device_id,
                    "payload": body,
                    "relay": False,
                }
            )
        people = []
        for pid in named:
            here = local_person(s, pid)
            person = s.get(Person, here) if here is not None and here not in skip_people else None
            if person is None:
                continue
            people.append(
                {
                    "item_id": str(uuid.uuid5(ROSTER_NS, f"{person.id}:{person.version}")),
                    "kind": "person",
                    "entity_id": person.id,
                    "entity_version": person.version,
                    "payload": persons.to_json(person),
                    "relay": False,
                }
            )
    return people + items, until


def _exports(ctx: StationSession) -> list[dict]:
    with ctx.read() as s:
        rows = s.scalars(
            select(AuditEvent.details).where(
                AuditEvent.action == "transfer.export", AuditEvent.entity_type == "transfer"
            )
        ).all()
    return [d for d in map(json.loads, rows) if isinstance(d, dict)]


def last_exported(ctx: StationSession, device_id: str) -> int:
    """Where the last file made for *device_id* ended (the audit trail keeps every export), else 0."""
    ends = [d.get("until", 0) for d in _exports(ctx) if d.get("for_device") == device_id]
    return max((e for e in ends if isinstance(e, int)), default=0)


def _received_since(ctx: StationSession, since: int, for_device: str | None) -> int:
    """The received position a file starts at: after the last file for *for_device*; with *since*, after the
    file that ended at that outbox position (0 from the start)."""
    if since == 0 and for_device is None:
        return 0
    marks = [
        d.get("received_until", 0)
        for d in _exports(ctx)
        if (d.get("for_device") == for_device if for_device else d.get("until") == since)
    ]
    return max((m for m in marks if isinstance(m, int)), default=0)


def export(
    ctx: StationSession, dest: Path, *, since: int | None = None, for_device: str | None = None
) -> Exported:
    """Write this device's items after outbox position *since* to *dest* (0600, atomically); for a device
    without *since*: what was not in the last file made for it. Audited."""
    ctx.require(Perm.SYNC_MANAGE)
    keys = _keys(ctx)
    by_device = since is None and for_device is not None
    if since is None:
        since = last_exported(ctx, for_device) if for_device else 0
    since = max(0, since)
    items, until = own_items(ctx, since)
    received_since = _received_since(ctx, since, for_device if by_device else None)
    mine = {i["entity_id"] for i in items if i["kind"] == "person"}
    relayed, received_until = received_items(ctx, received_since, not_from=for_device, skip_people=mine)
    items += relayed
    transfer_id = new_id()
    header = {
        "format": FORMAT,
        "transfer_id": transfer_id,
        "station_code": keys.station_code,
        "from_device": keys.device_id,
        "for_device": for_device,
        "station_key_id": keys.station_key_id,
        "since": since,
        "until": until,
        "count": len(items),
        "received_since": received_since,
        "received_until": received_until,
        "created_at": ctx.clock.utcnow().isoformat(timespec="seconds") + "Z",
    }
    head = canonical_json(header).encode("utf-8")
    nonce = os.urandom(12)
    body = AESGCM(keys.station_key).encrypt(
        nonce, zlib.compress(canonical_json(items).encode("utf-8"), 6), MAGIC + head
    )
    signed = MAGIC + struct.pack(">I", len(head)) + head + nonce + struct.pack(">Q", len(body)) + body
    data = signed + keys.signing_key.sign(signed)
    path = write_private(Path(dest), data)
    with ctx.write() as s:
        ctx.audit(
            s,
            "transfer.export",
            "transfer",
            transfer_id,
            {
                "items": len(items),
                "since": since,
                "until": until,
                "for_device": for_device,
                "received_since": received_since,
                "received_until": received_until,
            },
        )
    return Exported(str(path), transfer_id, len(items), since, until, len(data))


# -- reading -----------------------------------------------------------------------------------------------
_BROKEN = "Tệp trao đổi bị hỏng, bị cắt hoặc đã bị sửa: không nhận gì."


def _read(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE:
            raise TransferError(_BROKEN)
        return path.read_bytes()
    except OSError:
        raise TransferError("Không đọc được tệp trao đổi (kiểm tra đường dẫn và USB).") from None


def parse(data: bytes) -> tuple[dict, bytes, bytes, bytes, bytes]:
    """(header, header bytes, nonce, body, signed part) of a well-formed file; raises TransferError otherwise."""
    try:
        if data[: len(MAGIC)] != MAGIC:
            raise ValueError
        at = len(MAGIC)
        (head_len,) = struct.unpack_from(">I", data, at)
        if head_len > MAX_HEADER:
            raise ValueError
        at += 4
        head = data[at : at + head_len]
        at += head_len
        nonce = data[at : at + 12]
        at += 12
        (body_len,) = struct.unpack_from(">Q", data, at)
        at += 8
        body = data[at : at + body_len]
        at += body_len
        if len(head) != head_len or len(nonce) != 12 or len(body) != body_len or len(data) != at + 64:
            raise ValueError
        header = json.loads(head.decode("utf-8"))
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ValueError
    except (ValueError, struct.error, UnicodeDecodeError):
        raise TransferError(_BROKEN) from None
    return header, head, nonce, body, data[:at]


def open_file(ctx: StationSession, path: Path) -> tuple[dict, list[dict]]:
    """The header and the items of a transfer file for this station, after every check; changes nothing."""
    data = _read(Path(path))
    header, head, nonce, body, signed = parse(data)
    keys = _keys(ctx)
    sender = header.get("from_device")
    if sender == keys.device_id:
        raise TransferError("Tệp trao đổi này do chính máy này tạo: không cần nhận.")
    with ctx.read() as s:
        known = s.get(SyncDevice, sender) if isinstance(sender, str) else None
        public = known.public_key if known is not None else None
    if public:  # every byte checked before anything the header says is believed
        try:
            Ed25519PublicKey.from_public_bytes(base64.b64decode(public)).verify(data[len(signed) :], signed)
        except (InvalidSignature, ValueError):
            raise TransferError(_BROKEN) from None
    if header.get("station_code") != keys.station_code:
        raise TransferError("Tệp trao đổi này của một trạm khác: không nhận.")
    if not public:
        raise TransferError(
            "Tệp trao đổi của một máy chưa biết: đồng bộ máy này với máy chủ (để biết các máy của trạm) rồi nhận lại."
        )
    if header.get("station_key_id") != keys.station_key_id:
        raise TransferError("Tệp trao đổi được mã hóa bằng khóa khác của trạm: không đọc được.")
    try:
        plain = zlib.decompress(AESGCM(keys.station_key).decrypt(nonce, body, MAGIC + head))
        items = json.loads(plain.decode("utf-8"))
    except (InvalidTag, zlib.error, ValueError, UnicodeDecodeError):
        raise TransferError(_BROKEN) from None
    if (
        not isinstance(items, list)
        or len(items) != header.get("count")
        or not all(isinstance(i, dict) for i in items)
    ):
        raise TransferError(_BROKEN)
    # An item another device of the station made, received here through the hub, keeps its own device id.
    return header, [dict(i, device_id=i.get("device_id") or sender) for i in items]


def import_file(ctx: StationSession, path: Path) -> dict:
    """Check, then apply a transfer file's items once each and queue them for the hub; one transaction."""
    ctx.require(Perm.SYNC_MANAGE)
    header, items = open_file(ctx, path)
    report = station_apply.apply_items(
        ctx, items, "file", relay=True, audit=("transfer.import", "transfer", header["transfer_id"])
    )
    return {"transfer_id": header["transfer_id"], "from_device": header["from_device"], **report.to_json()}
