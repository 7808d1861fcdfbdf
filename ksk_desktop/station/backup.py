"""Encrypted backups: one file holding the encrypted database snapshot and the key slots.

The snapshot is made with ``VACUUM INTO`` on a keyed connection, so it is encrypted with the station key
and never exists in plaintext. The file is verified after it is written (integrity, cipher HMACs, audit
chain) and can be restored on another machine with the recovery key or an administrator's password.
Restoring never deletes the data it replaces: that is moved aside into a ``replaced-…`` folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select, text

from ksk_desktop import __version__
from ksk_desktop.clock import SYSTEM_CLOCK
from ksk_desktop.db import migrate
from ksk_desktop.db.database import Database
from ksk_desktop.db.engine import driver
from ksk_desktop.db.models import AppUser, Person, Station
from ksk_desktop.errors import AuthenticationFailed, BackupError, KskError, PermissionDenied
from ksk_desktop.fsio import disk_error, fsync_dir, open_private, sha256_file
from ksk_desktop.security.keystore import KeyStore
from ksk_desktop.security.roles import Perm, Role, allowed
from ksk_desktop.station import audit
from ksk_desktop.station.paths import StationPaths
from ksk_desktop.station.session import StationSession

MAGIC = "ksk-desktop-backup"
FORMAT = 1


@dataclass(frozen=True)
class BackupInfo:
    path: str
    size: int
    schema: str
    persons: int
    audit_head: int
    created: str

    def to_json(self) -> dict:
        return self.__dict__.copy()


def _check_snapshot(db_file: Path, key: bytes) -> dict:
    """Open a snapshot with the key and prove it whole; return its facts."""
    db = Database(db_file, key)
    try:
        with db.engine.connect() as conn:
            if conn.exec_driver_sql("PRAGMA integrity_check").scalar() != "ok":
                raise BackupError("Bản sao lưu không toàn vẹn (integrity_check).")
            bad = conn.exec_driver_sql("PRAGMA cipher_integrity_check").fetchall()
            if bad:
                raise BackupError(f"Bản sao lưu có trang hỏng: {bad[0][0]}")
            revision = migrate.check_not_newer(conn) or ""
        with db.read() as s:
            report = audit.verify(s)
            # An older schema (a snapshot taken before an upgrade) may not have the person table yet.
            has_person = s.scalar(
                text("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='person'")
            )
            persons = (s.scalar(select(func.count()).select_from(Person)) or 0) if has_person else 0
            station_id = s.scalar(select(Station.id))
        if not report.ok:
            raise BackupError(
                f"Nhật ký truy cập trong bản sao lưu bị lỗi tại sự kiện {report.first_bad_seq}: {report.problem}."
            )
        return {
            "schema": revision,
            "persons": persons,
            "audit_head": report.head_seq,
            "audit_hash": report.head_hash,
            "station_id": station_id,
        }
    finally:
        db.dispose()


def _write_backup(db: Database, keystore: KeyStore, key: bytes, dest: Path, now: datetime) -> BackupInfo:
    dest = dest.expanduser().resolve()
    if dest.exists():
        raise BackupError(f"Tệp {dest} đã tồn tại; không ghi đè.")
    if not dest.parent.is_dir():
        raise BackupError(f"Thư mục {dest.parent} không tồn tại.")
    stamp = SYSTEM_CLOCK.now().strftime(
        "%Y%m%dT%H%M%S%f"
    )  # staging names only: unique, not the session's time
    snap = dest.with_name(f".{dest.name}.{stamp}.snapshot")
    tmp = dest.with_name(f".{dest.name}.{stamp}.tmp")
    try:
        # Every file of the backup is created private (0600) whatever the umask: VACUUM INTO fills an empty
        # file made here, the container is written through a descriptor opened here.
        os.close(open_private(snap, exclusive=True))
        raw = db.engine.raw_connection()
        try:
            # VACUUM INTO writes through the keyed connection: the snapshot is encrypted with the same key.
            driver(raw).execute("VACUUM INTO ?", (str(snap),))
        finally:
            raw.close()
        facts = _check_snapshot(snap, key)
        manifest = {
            "magic": MAGIC,
            "format": FORMAT,
            "app_version": __version__,
            "created": now.astimezone(UTC).isoformat(timespec="seconds"),
            "station_id": keystore.station_id,
            "db_sha256": sha256_file(snap),
            **facts,
        }
        keys = dict(keystore.data, lockout={})
        with os.fdopen(open_private(tmp, exclusive=True), "wb") as fh:
            with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED) as zf:
                zf.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=1))
                zf.writestr("keys.json", json.dumps(keys, ensure_ascii=False, indent=1))
                zf.write(snap, "station.db")
            fh.flush()
            os.fsync(fh.fileno())
        verify_backup_file(tmp, key)
        os.replace(tmp, dest)
        fsync_dir(dest.parent)
    except OSError as exc:
        raise disk_error(exc, dest.name) from exc
    finally:
        for leftover in (snap, tmp):
            with contextlib.suppress(OSError):
                leftover.unlink()
    return BackupInfo(
        str(dest),
        dest.stat().st_size,
        facts["schema"],
        facts["persons"],
        facts["audit_head"],
        manifest["created"],
    )


def create_backup(ctx: StationSession, dest: Path) -> BackupInfo:
    """Write a verified, encrypted backup of the station to *dest*."""
    ctx.require(Perm.BACKUP_CREATE)
    info = _write_backup(ctx.db, ctx.keystore, ctx.key, dest, ctx.clock.now())
    with ctx.write() as s:
        ctx.audit(
            s, "backup.create", "station", None, {"file": Path(info.path).name, "persons": info.persons}
        )
    return info


def snapshot_before_upgrade(paths: StationPaths, db: Database, revision: str) -> Path:
    """Keep a backup of a file about to be migrated, so a failed upgrade can be undone."""
    keystore = KeyStore.load(paths.keys)
    paths.backups.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = SYSTEM_CLOCK.now()  # no session while opening the file
    dest = paths.backups / f"truoc-nang-cap-{revision}-{now:%Y%m%d-%H%M%S}.kskbak"
    _write_backup(db, keystore, db.key, dest, now)
    return dest


def _read_container(path: Path) -> tuple[dict, dict, zipfile.ZipFile]:
    try:
        zf = zipfile.ZipFile(path)
        manifest = json.loads(zf.read("manifest.json"))
        keys = json.loads(zf.read("keys.json"))
    except FileNotFoundError:
        raise BackupError(f"Không tìm thấy tệp sao lưu {path}.") from None
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise BackupError(f"Tệp {path.name} không phải bản sao lưu KSK Desktop hoặc đã bị hỏng.") from exc
    if manifest.get("magic") != MAGIC:
        raise BackupError(f"Tệp {path.name} không phải bản sao lưu KSK Desktop.")
    if int(manifest.get("format", 0)) > FORMAT:
        raise BackupError("Bản sao lưu được tạo bởi phiên bản mới hơn; hãy cập nhật KSK Desktop.")
    return manifest, keys, zf


def verify_backup_file(path: Path, key: bytes) -> dict:
    """Check the container, the snapshot's checksum and the snapshot itself. Returns the manifest."""
    manifest, _keys, zf = _read_container(path)
    try:
        with zf, zf.open("station.db") as src:
            h = hashlib.sha256()
            for chunk in iter(lambda: src.read(1 << 20), b""):
                h.update(chunk)
    except (KeyError, zipfile.BadZipFile, OSError) as exc:
        raise BackupError(f"Bản sao lưu {path.name} bị hỏng (không đọc được dữ liệu bên trong).") from exc
    if h.hexdigest() != manifest.get("db_sha256"):
        raise BackupError("Bản sao lưu bị hỏng: mã kiểm tra không khớp.")
    return manifest


def restore_backup(
    paths: StationPaths,
    src: Path,
    *,
    recovery_key: str | None = None,
    username: str | None = None,
    password: str | None = None,
) -> dict:
    """Restore *src* into *paths*, unlocking it with the recovery key or an administrator's password."""
    src = src.expanduser().resolve()
    manifest, keys_data, zf = _read_container(src)
    # Failed attempts against a backup file are not counted anywhere: whoever holds the file could try
    # offline anyway, which is what Argon2id is for.
    keystore = KeyStore(None, keys_data)
    if recovery_key:
        key = keystore.unwrap_with_recovery(recovery_key)
        actor = "recovery-key"
    elif username and password is not None:
        key = keystore.unwrap_with_password(username.strip().lower(), password)
        actor = username.strip().lower()
    else:
        raise AuthenticationFailed("Cần khóa khôi phục hoặc mật khẩu quản trị viên để khôi phục.")
    verify_backup_file(src, key)
    paths.root.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = SYSTEM_CLOCK.now().strftime("%Y%m%d-%H%M%S")
    staged = paths.root / f".restore-{stamp}.db"
    try:
        with zf, zf.open("station.db") as fin, os.fdopen(open_private(staged), "wb") as fout:
            shutil.copyfileobj(fin, fout, 1 << 20)
            fout.flush()
            os.fsync(fout.fileno())
        facts = _check_snapshot(staged, key)
        if actor != "recovery-key":
            db = Database(staged, key)
            try:
                with db.read() as s:
                    role = s.scalar(select(AppUser.role).where(AppUser.username == actor))
            finally:
                db.dispose()
            if role is None or not allowed(Role(role), Perm.BACKUP_RESTORE):
                raise PermissionDenied(
                    "Chỉ quản trị viên (hoặc người có khóa khôi phục) mới được khôi phục dữ liệu."
                )
        replaced = None
        if paths.exists():
            replaced = paths.root / f"replaced-{stamp}"
            replaced.mkdir(mode=0o700)
            for path in [paths.db, *paths.sidecars(), paths.keys, paths.anchor]:
                if path.exists():
                    os.replace(path, replaced / path.name)
        os.chmod(staged, 0o600)
        os.replace(staged, paths.db)
        fsync_dir(paths.root)
        keystore.data["lockout"] = {}
        keystore.path = paths.keys
        keystore.save()
        db = Database(paths.db, key)
        try:
            db.migrate()
            with db.write() as s:
                audit.append(
                    s,
                    actor,
                    "backup.restore",
                    "station",
                    facts["station_id"],
                    {"file": src.name, "created": manifest.get("created")},
                )
                # The restored chain was verified above; the anchor starts afresh from it.
                anchored = (s.info["audit_head"], s.info["audit_base"])
                audit.write_anchor(paths.anchor, keystore.anchor_key(key), *anchored)
            audit.confirm_anchor(paths.anchor, keystore.anchor_key(key), *anchored)
        finally:
            db.dispose()
    except OSError as exc:
        raise disk_error(exc, paths.db.name) from exc
    except KskError:
        raise
    finally:
        with contextlib.suppress(OSError):
            staged.unlink()
    return {
        "restored": str(paths.db),
        "from": str(src),
        "persons": facts["persons"],
        "replaced": str(replaced) if replaced else None,
        "created": manifest.get("created"),
    }
