"""Setting up a station and logging in to it (offline: the password unwraps the database key)."""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass

from sqlalchemy import select

from ksk_desktop.catalogs.communes import commune_by_code
from ksk_desktop.clock import SYSTEM_CLOCK, Clock
from ksk_desktop.db import migrate
from ksk_desktop.db.database import Database
from ksk_desktop.db.models import AppUser, Station
from ksk_desktop.errors import AuthenticationFailed, InvalidInput, Remedy, StationExists, StationNotFound
from ksk_desktop.fsio import sweep_pending
from ksk_desktop.ids import new_id
from ksk_desktop.security.kdf import KdfParams
from ksk_desktop.security.keystore import KeyStore, new_database_key, new_recovery_key
from ksk_desktop.security.roles import Role
from ksk_desktop.station import audit
from ksk_desktop.station.passwords import check_password, check_username
from ksk_desktop.station.paths import StationPaths
from ksk_desktop.station.session import CurrentUser, StationSession
from ksk_desktop.text import nfc


@dataclass(frozen=True)
class InitResult:
    station_id: str
    recovery_key: str


def _check_codes(station_code: str, commune_code: str) -> tuple[str, str]:
    station_code = station_code.strip()
    if not station_code or len(station_code) > 20 or not station_code.replace("-", "").isalnum():
        raise InvalidInput("Mã trạm không hợp lệ (tối đa 20 chữ và số).")
    commune_code = commune_code.strip()
    if commune_by_code(commune_code) is None:
        raise InvalidInput(
            f"Mã xã/phường {commune_code!r} không có trong danh mục đơn vị hành chính Hải Phòng."
        )
    return station_code, commune_code


def init_station(
    paths: StationPaths,
    *,
    station_code: str,
    commune_code: str,
    admin_username: str,
    admin_password: str,
    admin_full_name: str = "",
    station_name: str = "",
    kdf: KdfParams | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> InitResult:
    """Create the encrypted database, the first administrator and the recovery key (returned once)."""
    if paths.exists():
        raise StationExists(f"Thư mục {paths.root} đã có dữ liệu trạm; không ghi đè.")
    station_code, commune_code = _check_codes(station_code, commune_code)
    username = check_username(admin_username)
    check_password(admin_password, username)
    commune = commune_by_code(commune_code)
    assert commune is not None  # _check_codes looked it up
    name = nfc(station_name) or f"Trạm Y tế {commune.name}"

    created_root = not paths.root.exists()
    try:
        paths.root.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        from ksk_desktop.fsio import disk_error

        raise disk_error(exc, str(paths.root)) from exc
    station_id = new_id()
    dek = new_database_key()
    recovery = new_recovery_key()
    keystore = KeyStore.create(paths.keys, station_id, station_code)
    keystore.set_password_slot(username, admin_password, dek, kdf)
    keystore.set_recovery_slot(recovery, dek, kdf)
    db = None
    try:
        db = Database.create(paths.db, dek)
        db.migrate()
        with db.write() as s:
            s.add(
                Station(
                    id=station_id,
                    code=station_code,
                    commune_code=commune_code,
                    name=name,
                    created_at=clock.utcnow(),
                )
            )
            admin = AppUser(
                id=new_id(),
                username=username,
                full_name=nfc(admin_full_name) or username,
                role=Role.ADMIN.value,
                active=True,
                created_at=clock.utcnow(),
                password_changed_at=clock.utcnow(),
            )
            s.add(admin)
            audit.append(
                s,
                username,
                "station.init",
                "station",
                station_id,
                {"code": station_code, "commune_code": commune_code, "schema": migrate.head_revision()},
                at=clock.now(),
            )
            audit.append(
                s,
                username,
                "user.create",
                "app_user",
                admin.id,
                {"username": username, "role": "admin"},
                at=clock.now(),
            )
            anchored = (s.info["audit_head"], s.info["audit_base"])
            audit.write_anchor(paths.anchor, keystore.anchor_key(dek), *anchored)
        audit.confirm_anchor(paths.anchor, keystore.anchor_key(dek), *anchored)
        keystore.save()
    except BaseException:
        # Nothing existed before: remove the half-made station so the next attempt starts clean.
        if db is not None:
            db.dispose()
        for path in [paths.db, *paths.sidecars(), paths.keys, paths.anchor]:
            with contextlib.suppress(OSError):
                path.unlink()
        if created_root:
            shutil.rmtree(paths.root, ignore_errors=True)
        raise
    db.dispose()
    return InitResult(station_id, recovery)


def load_keystore(paths: StationPaths) -> KeyStore:
    try:
        return KeyStore.load(paths.keys)
    except FileNotFoundError:
        if paths.db.exists():
            raise StationNotFound(
                f"Thiếu tệp khóa {paths.keys.name} trong {paths.root}: không mở được dữ liệu. "
                "Hãy khôi phục từ bản sao lưu bằng khóa khôi phục."
            ) from None
        raise StationNotFound(
            f"Chưa có trạm nào trong {paths.root}. Hãy thiết lập trạm mới hoặc tạo trạm mẫu.",
            remedy=Remedy.SET_UP_STATION,
        ) from None


def open_database(paths: StationPaths, key: bytes) -> Database:
    """Open and migrate the station file. An older schema is backed up before it is upgraded."""
    db = Database(paths.db, key)
    try:
        with db.engine.connect() as conn:
            before = migrate.check_not_newer(conn)
        if before is not None and before != migrate.head_revision():
            from ksk_desktop.station.backup import snapshot_before_upgrade

            snapshot_before_upgrade(paths, db, before)
        db.migrate()
    except BaseException:
        db.dispose()
        raise
    return db


def login(
    paths: StationPaths,
    username: str,
    password: str,
    *,
    record: bool = True,
    clock: Clock = SYSTEM_CLOCK,
) -> StationSession:
    """Offline login: the password unwraps the database key; failures count toward lock-out.

    ``record=False`` leaves the login itself out of the audit trail, for checks that must look at the
    trail before anything is added to it (they record their own event afterwards). *clock* is the session's
    clock (a test passes a ``FixedClock``).
    """
    keystore = load_keystore(paths)
    name = username.strip().lower()
    key = keystore.unwrap_with_password(name, password)
    sweep_pending(paths.pending)  # exports, reports, PDFs that a crash left half-written
    db = open_database(paths, key)
    try:
        with db.read() as s:
            row = s.scalar(select(AppUser).where(AppUser.username == name))
        if row is None or not row.active:
            raise AuthenticationFailed(
                "Tài khoản đã bị vô hiệu hóa. Hãy liên hệ trưởng trạm hoặc quản trị viên."
            )
        user = CurrentUser(row.id, row.username, row.full_name, Role(row.role))
        session = StationSession(paths, keystore, db, user, key, clock)
        if record:
            with session.write() as s:
                session.audit(s, "login", "app_user", user.id)
    except BaseException:
        db.dispose()
        raise
    return session


def station_info(session: StationSession) -> Station:
    with session.read() as s:
        return s.scalars(select(Station)).one()


def reset_password_with_recovery(
    paths: StationPaths, recovery_key: str, username: str, new_password: str
) -> None:
    """Give *username* a new password using the printed recovery key (every password forgotten). The user's
    signing key (a doctor's or the head's) is retired (nobody can open it without the old password); the next
    signing makes a new one."""
    from ksk_desktop.exams import keys

    keystore = load_keystore(paths)
    key = keystore.unwrap_with_recovery(recovery_key)
    name = username.strip().lower()
    check_password(new_password, name)
    db = open_database(paths, key)
    try:
        with db.read() as s:
            row = s.scalar(select(AppUser).where(AppUser.username == name))
        if row is None:
            raise AuthenticationFailed(f"Không có người dùng {name!r} trong trạm này.")
        user = CurrentUser(row.id, row.username, row.full_name, Role(row.role))
        session = StationSession(paths, keystore, db, user, key)
        with session.write() as s:
            row = s.get_one(AppUser, user.id)
            row.active = True
            row.password_changed_at = session.clock.utcnow()
            # The old password is unknown here, so the user's signing key cannot be opened: it is retired.
            retired = keys.retire(s, name, keys.RETIRED_RESET, session.clock.utcnow())
            details: dict[str, object] = {"username": name}
            if retired:
                details["signing_keys_retired"] = retired
            audit.append(s, "recovery-key", "user.password_reset", "app_user", user.id, details)
        with keystore.locked():
            keystore.set_password_slot(name, new_password, key)
            keystore.data["lockout"].pop(name, None)
    finally:
        db.dispose()
