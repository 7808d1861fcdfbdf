"""The hub's store: the station registry, enrolment, per-item idempotent and authorized push, the pull feed,
handovers, statistics.

A push is one database transaction: every item's effect and its id in the permanent table of seen ids are
committed together, so an answer lost on the way back is harmless (the retry is answered "duplicate").
Each item is applied inside its own savepoint: a bug or bad data in one item rejects that item only.
Writes are serialised (a lock for SQLite, an advisory lock for PostgreSQL) so the pull feed's sequence
numbers become visible in order and a cursor can never skip a change.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import create_engine, event, func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ksk_desktop.clock import SYSTEM_CLOCK
from ksk_desktop.ids import new_id
from sync.hub import (
    authz,
    doctor_keys,
    feed,
    fhirqueue,
    handover,
    limits,
    people,
    reports,
    stations,
    transfer_keys,
)
from sync.hub import viewers as _viewers  # noqa: F401 - its tables are part of the hub's schema
from sync.hub.admin import HubAdministration
from sync.hub.dbfile import private_sqlite_file, schema_lock
from sync.hub.errors import (
    BadEnrollCode,
    Conflict,
    HubError,
    NotFound,
    Revoked,
    TooLarge,
    Unauthorized,
)
from sync.hub.items import (
    COMMUNE_CODE_MAX,
    ENTITY_ID_MAX,
    INT32_MAX,
    INT64_MAX,
    PERSON_ID_MAX,
    ItemRejected,
    fits,
    int_in_range,
)
from sync.hub.models import (
    AuditAlert,
    AuditHead,
    Change,
    Device,
    EnrollCode,
    HubBase,
    HubPerson,
    Item,
    PersonAlias,
)
from sync.protocol import KINDS, MAX_PULL_LIMIT, MAX_PUSH_ITEMS, SHA256_HEX_RE, UUID_RE

log = logging.getLogger("ksk.hub")

ENROLL_CODE_DAYS = 7
MAX_CODE_DAYS = 90
_WRITE_LOCK, _SCHEMA_LOCK = 7007, 7008  # PostgreSQL advisory lock keys
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def canonical(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class DeviceInfo:
    """An authenticated device; its station's communes come from the hub's registry (``sync.hub.stations``)."""

    id: str
    station_code: str
    station_id: str
    commune_code: str | None  # the station's own (first) commune
    communes: tuple[str, ...] = ()

    def serves(self, commune_code: str | None) -> bool:
        """Whether the device's station serves *commune_code* (a person there is the station's)."""
        return commune_code is not None and commune_code in self.communes


def default_url() -> str:
    return "sqlite:///hub.db"


def make_engine(url: str) -> Engine:
    """An engine for *url*; SQLite gets WAL with full fsync and explicit (IMMEDIATE for writes) transactions."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn, _record) -> None:  # noqa: ANN001
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            for pragma in (
                "journal_mode = WAL",
                "synchronous = FULL",
                "foreign_keys = ON",
                "busy_timeout = 30000",
            ):
                cur.execute(f"PRAGMA {pragma}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn) -> None:  # noqa: ANN001
            conn.exec_driver_sql(
                "BEGIN IMMEDIATE" if conn.get_execution_options().get("hub_write") else "BEGIN"
            )

        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


class HubStore(HubAdministration):
    """All hub state behind one object; the web app and the ``ksk hub`` commands both use it (the
    administrator's registry and handover operations come from ``sync.hub.admin``)."""

    def __init__(
        self, url: str | None = None, *, clock: Callable[[], datetime] = SYSTEM_CLOCK.utcnow
    ) -> None:
        self.url = url or default_url()
        private_sqlite_file(self.url)
        self.engine = make_engine(self.url)
        self.clock = clock
        self._sqlite = self.engine.dialect.name == "sqlite"
        self._lock = threading.Lock()
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.forward_wake = threading.Event()  # set when an exam is queued for the FHIR forwarder
        with schema_lock(self.url):
            self._create_schema()

    def _create_schema(self) -> None:
        """The hub's tables, created by whichever process opens an empty database first. Hubs and ``ksk hub``
        commands starting together take turns (a write transaction on SQLite, an advisory lock on
        PostgreSQL): without that, the loser of the race fails on a table the winner just created."""
        with self.engine.connect().execution_options(hub_write=True) as conn, conn.begin():
            if self.engine.dialect.name == "postgresql":
                conn.execute(select(func.pg_advisory_xact_lock(_SCHEMA_LOCK)))
            HubBase.metadata.create_all(conn)
            feed.ensure_index(conn)

    def close(self) -> None:
        self.engine.dispose()

    # -- units of work ----------------------------------------------------------------------------
    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self._sessions() as s:
            yield s

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with self._lock:
            conn = self.engine.connect().execution_options(hub_write=True)
            try:
                with Session(bind=conn, expire_on_commit=False) as s, s.begin():
                    if self.engine.dialect.name == "postgresql":
                        # One writer at a time: the change feed's sequence numbers then commit in order.
                        s.execute(select(func.pg_advisory_xact_lock(_WRITE_LOCK)))
                    yield s
            finally:
                conn.close()

    def session(self, *, write: bool = False) -> contextlib.AbstractContextManager[Session]:
        """A unit of work for hub modules outside the store (the FHIR forwarder): serialised when *write*."""
        return self._write() if write else self._read()

    # -- enrolment --------------------------------------------------------------------------------
    def new_enroll_code(self, station_code: str, valid_days: int = ENROLL_CODE_DAYS) -> str:
        """A one-time code for a registered station (one per device); only its hash is stored. Shown once to
        the hub administrator."""
        station_code = stations.check_station_code(station_code)
        if (
            isinstance(valid_days, bool)
            or not isinstance(valid_days, int)
            or not 1 <= valid_days <= MAX_CODE_DAYS
        ):
            raise HubError(f"Số ngày hiệu lực phải từ 1 đến {MAX_CODE_DAYS}.")
        raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))
        code = "-".join(raw[i : i + 4] for i in range(0, 16, 4))
        now = self.clock()
        with self._write() as s:
            if stations.get(s, station_code) is None:
                raise NotFound(f"Trạm {station_code} chưa được đăng ký ở máy chủ: đăng ký trạm trước.")
            s.add(
                EnrollCode(
                    code_hash=sha256_hex(_norm_code(code)),
                    station_code=station_code,
                    created_at=now,
                    expires_at=now + timedelta(days=valid_days),
                )
            )
        return code

    def enroll(
        self, code: str, station_code: str, station_id: str, commune_code: str | None
    ) -> tuple[str, str]:
        """Trade a one-time code for a device credential. Returns (device_id, token); only the hash is kept.

        The device's station is the one the code was issued for, and its communes are the registry's: the
        *commune_code* a device sends is only compared with them (a mismatch is refused, the code stays
        unused), never taken."""
        if not (
            fits(code, 64)
            and code.isascii()
            and fits(station_code, 20)
            and fits(station_id[:36], PERSON_ID_MAX)
            and (commune_code is None or fits(commune_code, COMMUNE_CODE_MAX, required=False))
        ):
            raise HubError("Mã đăng ký, mã trạm, mã cài đặt hoặc mã xã không hợp lệ.")
        now = self.clock()
        with self._write() as s:
            row = s.get(EnrollCode, sha256_hex(_norm_code(code)))
            if row is None or row.used_at is not None or row.expires_at < now:
                raise BadEnrollCode("Mã đăng ký không đúng, đã dùng hoặc đã hết hạn.")
            if row.station_code != station_code:
                raise BadEnrollCode("Mã đăng ký này cấp cho một trạm khác.")
            station = stations.get(s, row.station_code)
            if station is None:
                raise BadEnrollCode("Trạm của mã đăng ký này không còn được đăng ký ở máy chủ.")
            if commune_code and commune_code not in station.communes:
                raise Conflict(
                    "Mã xã của trạm không khớp với đăng ký của trạm ở máy chủ: kiểm tra lại mã trạm, mã xã "
                    "với quản trị máy chủ (mã đăng ký vẫn dùng được)."
                )
            token = secrets.token_urlsafe(32)
            device_id = new_id()
            s.add(
                Device(
                    id=device_id,
                    token_hash=sha256_hex(token),
                    station_code=station_code,
                    station_id=station_id[:36],
                    commune_code=station.communes[0] if station.communes else None,
                    enrolled_at=now,
                )
            )
            row.used_at, row.device_id = now, device_id
        log.info("device enrolled: station=%s device=%s", station_code, device_id)
        return device_id, token

    def authenticate(self, token: str | None) -> DeviceInfo:
        if not token:
            raise Unauthorized("Thiết bị chưa đăng ký với máy chủ.")
        if len(token) > 256 or not token.isascii():
            raise Unauthorized("Thiết bị chưa đăng ký với máy chủ.")
        with self._read() as s:
            dev = s.scalar(select(Device).where(Device.token_hash == sha256_hex(token)))
            if dev is None:
                raise Unauthorized("Thiết bị chưa đăng ký với máy chủ.")
            if dev.revoked_at is not None:
                raise Revoked("Thiết bị đã bị thu hồi quyền đồng bộ.")
            station = stations.get(s, dev.station_code)
        if station is None or not station.communes:
            raise Revoked("Trạm của thiết bị chưa được đăng ký ở máy chủ: liên hệ quản trị máy chủ.")
        return DeviceInfo(dev.id, dev.station_code, dev.station_id, station.communes[0], station.communes)

    def revoke(self, device_id: str) -> bool:
        with self._write() as s:
            dev = s.get(Device, device_id)
            if dev is None:
                return False
            dev.revoked_at = dev.revoked_at or self.clock()
        return True

    def devices(self) -> list[dict]:
        with self._read() as s:
            rows = s.scalars(select(Device).order_by(Device.enrolled_at)).all()
        return [
            {
                "device_id": d.id,
                "station_code": d.station_code,
                "commune_code": d.commune_code,
                "enrolled_at": d.enrolled_at.isoformat(),
                "revoked": d.revoked_at is not None,
                "last_seen_at": d.last_seen_at.isoformat() if d.last_seen_at else None,
            }
            for d in rows
        ]

    # -- push -------------------------------------------------------------------------------------
    def push(self, device: DeviceInfo, items: list[dict]) -> list[dict]:
        """Apply a batch; one answer per item, in order: accepted | duplicate | rejected (with a reason)."""
        if len(items) > MAX_PUSH_ITEMS:
            raise TooLarge(f"Tối đa {MAX_PUSH_ITEMS} mục mỗi lần gửi.")
        now = self.clock()
        results: list[dict] = []
        queued = False
        with self._write() as s:
            ids = [i for i in (str(it.get("item_id", "")) for it in items) if UUID_RE.match(i)]
            seen: set[str] = set()
            for i in range(0, len(ids), 500):
                seen.update(s.scalars(select(Item.item_id).where(Item.item_id.in_(ids[i : i + 500]))).all())
            authz.prepare(s, items)
            for it in items:
                item_id = str(it.get("item_id", ""))
                if item_id in seen:
                    result = {"item_id": item_id, "status": "duplicate"}
                    if it.get("kind") == "person" and isinstance(it.get("entity_id"), str):
                        if handover.pending_for(s, it["entity_id"], device.station_code) is not None:
                            result = {
                                "item_id": item_id,
                                **people.KNOWN_ELSEWHERE,
                            }  # same answer as the first
                    if it.get("kind") == "audit_head":  # a head seen again is still compared with the newest
                        with contextlib.suppress(ItemRejected):
                            warning = self._check_head(s, device, it.get("payload"), now, store=False)
                            if warning:
                                result["warning"] = warning
                    results.append(result)
                    continue
                savepoint = s.begin_nested()
                try:
                    extra = self._apply(s, device, it, now)
                    row = Item(
                        item_id=item_id,
                        device_id=device.id,
                        station_code=device.station_code,
                        kind=it["kind"],
                        entity_id=str(it["entity_id"]),
                        entity_version=int(it["entity_version"]),
                        payload=canonical(it.get("payload")) if it.get("payload") is not None else None,
                        received_at=now,
                    )
                    s.add(row)
                    s.flush()
                    if row.kind in fhirqueue.FORWARD_KINDS:
                        queued = fhirqueue.enqueue(s, row, now) or queued
                    elif row.kind == "consent" and fhirqueue.record_consent(
                        s, row.entity_id, row.entity_version, it["payload"], now
                    ):
                        queued = fhirqueue.release_waiting(s, it["payload"]["person_id"], now) > 0 or queued
                    savepoint.commit()
                except ItemRejected as exc:
                    savepoint.rollback()
                    results.append(
                        {"item_id": item_id, "status": "rejected", "code": exc.code, "reason": exc.reason}
                    )
                    continue
                except (
                    Exception
                ) as exc:  # a hub bug must reject one item, not block the station's whole queue
                    savepoint.rollback()
                    log.exception("item could not be applied (kind=%s)", it.get("kind"))
                    results.append(
                        {
                            "item_id": item_id,
                            "status": "rejected",
                            "code": "hub_error",
                            "reason": f"Lỗi máy chủ khi xử lý mục ({type(exc).__name__}); hãy báo quản trị.",
                        }
                    )
                    continue
                seen.add(item_id)
                results.append(
                    {"item_id": item_id, "status": "accepted", **extra}
                )  # extra may say known_elsewhere
            s.execute(update(Device).where(Device.id == device.id).values(last_seen_at=now))
        if queued:
            self.forward_wake.set()
        return results

    def _apply(self, s: Session, device: DeviceInfo, it: dict, now: datetime) -> dict:
        item_id, kind = str(it.get("item_id", "")), it.get("kind")
        if not UUID_RE.match(item_id):
            raise ItemRejected("bad_item_id", "Mã mục không phải UUID.")
        if kind not in KINDS:
            raise ItemRejected("unknown_kind", "Máy chủ không nhận loại dữ liệu này.")  # not echoed back
        entity_id = it.get("entity_id")
        if not fits(entity_id, ENTITY_ID_MAX):
            raise ItemRejected("bad_entity_id", "Thiếu mã bản ghi hoặc mã không hợp lệ.")
        version = it.get("entity_version")
        if not int_in_range(version, INT32_MAX):
            raise ItemRejected("bad_version", "Phiên bản bản ghi không hợp lệ.")
        payload = it.get("payload")
        if not isinstance(payload, dict):
            raise ItemRejected("bad_payload", "Thiếu nội dung bản ghi.")
        limits.check_payload(kind, payload)
        if kind == "person":  # authorized inside: a person belongs to the station serving their commune
            return people.apply_person(s, device, entity_id, payload, now)
        if kind == "person_merge":
            return people.apply_station_merge(s, device, payload, now)
        if kind == "consent":
            if not fits(payload.get("person_id"), PERSON_ID_MAX) or payload.get("kind") not in (
                "exam",
                "ehr_share",
            ):
                raise ItemRejected("bad_consent", "Bản ghi đồng ý thiếu người hoặc loại đồng ý.")
            if len(entity_id) > PERSON_ID_MAX:
                raise ItemRejected("bad_entity_id", f"Mã bản ghi đồng ý dài quá {PERSON_ID_MAX} ký tự.")
            authz.check_item(s, device, kind, entity_id, payload)
            return {}
        if kind == "audit_head":
            warning = self._check_head(s, device, payload, now, store=True)
            return {"warning": warning} if warning else {}
        if kind == "doctor_key":
            return doctor_keys.register(s, device.station_code, device.id, entity_id, payload, now)
        if kind == "report":  # authorized inside: only the device's own station's reports
            return reports.apply(s, device, entity_id, version, payload, now)
        if kind in fhirqueue.FORWARD_KINDS:
            fhirqueue.check_exam(entity_id, version, payload)  # queued for FHIR once stored (push)
            authz.check_item(s, device, kind, entity_id, payload)
            return doctor_keys.check_exam(s, device.station_code, payload)  # the doctor's signature
        authz.check_item(s, device, kind, entity_id, payload)
        return {}  # appointment, referral: stored as received until their domain lands

    def _check_head(
        self, s: Session, device: DeviceInfo, payload: object, now: datetime, *, store: bool
    ) -> str | None:
        """Compare a pushed audit-chain head with every head seen from this device; record tamper evidence."""
        if not isinstance(payload, dict):
            raise ItemRejected("bad_audit_head", "Đỉnh chuỗi nhật ký không hợp lệ.")
        seq, hash_ = payload.get("seq"), payload.get("hash")
        if not int_in_range(seq, INT64_MAX) or not isinstance(hash_, str) or not SHA256_HEX_RE.match(hash_):
            raise ItemRejected("bad_audit_head", "Đỉnh chuỗi nhật ký không hợp lệ.")
        alerts = []
        known = s.get(AuditHead, (device.id, seq))
        if known is not None and known.hash != hash_:
            alerts.append(("changed_at_seq", f"đỉnh #{seq} khác với lần đồng bộ trước"))
        newest = s.scalar(select(func.max(AuditHead.seq)).where(AuditHead.device_id == device.id))
        if newest is not None and seq < newest:
            alerts.append(("went_backwards", f"đỉnh lùi từ #{newest} về #{seq}"))
        for kind, detail in alerts:
            s.add(
                AuditAlert(
                    device_id=device.id,
                    station_code=device.station_code,
                    kind=kind,
                    seq=seq,
                    detail=detail,
                    created_at=now,
                )
            )
            log.warning("audit head alert: station=%s device=%s %s", device.station_code, device.id, kind)
        if store and known is None:
            s.add(AuditHead(device_id=device.id, seq=seq, hash=hash_, received_at=now))
        if alerts:
            return (
                "Nhật ký truy cập của trạm không khớp với bản máy chủ đã lưu: "
                + "; ".join(d for _k, d in alerts)
                + "."
            )
        return None

    # -- pull -------------------------------------------------------------------------------------
    def changes(self, device: DeviceInfo, cursor: int, limit: int = 500) -> dict:
        """Changes after *cursor* for this device's station only: roster updates of the communes it serves made
        elsewhere (its other devices, a handover), and merges there or sent by one of its devices (the kept
        record's data only when it is the station's)."""
        limit = max(1, min(limit, MAX_PULL_LIMIT))
        cursor = max(0, min(cursor, INT64_MAX))
        communes = list(device.communes)
        with self._read() as s:
            newest = s.scalar(select(func.max(Change.seq))) or 0
            own_devices = select(Device.id).where(Device.station_code == device.station_code)
            q = (
                select(Change)
                .where(Change.seq > cursor, Change.seq <= newest)
                .where(
                    (
                        (Change.type == "merge")
                        & (Change.commune_code.in_(communes) | Change.origin_device_id.in_(own_devices))
                    )
                    | (
                        (Change.type == "roster")
                        & Change.commune_code.in_(communes)
                        & ((Change.origin_device_id.is_(None)) | (Change.origin_device_id != device.id))
                    )
                )
                .order_by(Change.seq)
                .limit(limit)
            )
            rows = s.scalars(q).all()
            changes = [
                {"seq": r.seq, "type": r.type, "entity_id": r.entity_id, "data": json.loads(r.payload)}
                for r in rows
            ]
            for ch, r in zip(changes, rows, strict=True):
                if r.type == "merge" and not device.serves(r.commune_code) and ch["data"].get("kept"):
                    ch["data"]["kept"] = None  # another station's record: the ids only
        more = len(rows) == limit
        next_cursor = rows[-1].seq if more else max(newest, cursor)
        return {"changes": changes, "catalogue": [], "next_cursor": next_cursor, "more": more}

    def station_items(self, device: DeviceInfo, cursor: int, limit: int = 500) -> dict:
        """The station feed (``sync.hub.feed``): items the station's other devices delivered after *cursor*."""
        with self._read() as s:
            return feed.station_items(s, device, cursor, limit)

    def register_device_key(self, device: DeviceInfo, public_key: str) -> dict:
        """The device's public key for transfer files (once), answered with its station's transfer key."""
        with self._write() as s:
            return transfer_keys.register(s, device, public_key, self.clock())

    # -- reporting --------------------------------------------------------------------------------
    def stats(self) -> dict:
        with self._read() as s:
            per_kind = dict(s.execute(select(Item.kind, func.count()).group_by(Item.kind)).all())
            per_station: dict[str, dict[str, int]] = {}
            for station, kind, n in s.execute(
                select(Item.station_code, Item.kind, func.count()).group_by(Item.station_code, Item.kind)
            ).all():
                per_station.setdefault(station, {})[kind] = n
            persons = s.scalar(select(func.count()).select_from(HubPerson)) or 0
            merges = s.scalar(select(func.count()).select_from(PersonAlias)) or 0
            devices = s.scalar(select(func.count()).select_from(Device)) or 0
            n_stations = s.scalar(select(func.count()).select_from(stations.HubStation)) or 0
            waiting = (
                s.scalar(
                    select(func.count())
                    .select_from(handover.HubHandover)
                    .where(handover.HubHandover.state == handover.PENDING)
                )
                or 0
            )
            alerts = s.execute(select(AuditAlert).order_by(AuditAlert.id)).scalars().all()
            fhir = fhirqueue.counts(s)
        return {
            "items": sum(per_kind.values()),
            "items_per_kind": per_kind,
            "items_per_station": per_station,
            "persons": persons,
            "merges": merges,
            "devices": devices,
            "stations": n_stations,
            "handovers_pending": waiting,
            "audit_alerts": [
                {
                    "station_code": a.station_code,
                    "device_id": a.device_id,
                    "kind": a.kind,
                    "seq": a.seq,
                    "detail": a.detail,
                    "at": a.created_at.isoformat(),
                }
                for a in alerts
            ],
            "fhir": fhir,
        }

    def fhir_requeue(self, forward_id: int | None = None) -> int:
        """Parked FHIR forwards (one, or all) back to the queue after a person fixed the cause; how many."""
        with self._write() as s:
            n = fhirqueue.requeue(s, forward_id, self.clock())
        if n:
            self.forward_wake.set()
        return n

    def item_ids(self, station_code: str | None = None) -> list[tuple[str, str, str, int]]:
        """(item_id, kind, entity_id, entity_version) of every stored item: what the set checker reads."""
        with self._read() as s:
            q = select(Item.item_id, Item.kind, Item.entity_id, Item.entity_version).order_by(Item.seq)
            if station_code:
                q = q.where(Item.station_code == station_code)
            return [(item_id, kind, entity_id, version) for item_id, kind, entity_id, version in s.execute(q)]

    def person(self, person_id: str) -> dict | None:
        """A person as the hub holds it (following merges), or None."""
        with self._read() as s:
            kept = people.resolve(s, person_id)
            row = s.get(HubPerson, kept)
            return json.loads(row.data) | {"revision": row.revision} if row else None

    def resolve(self, person_id: str) -> str:
        with self._read() as s:
            return people.resolve(s, person_id)


def _norm_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())
