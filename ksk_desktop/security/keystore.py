"""Key slots: the station's random 256-bit database key, wrapped once per user and once for recovery.

Each slot holds the database key encrypted with AES-256-GCM under a key derived from a password (or the
recovery key) with Argon2id (``security.sealing``). Only wrapped keys, salts and KDF parameters are stored;
the keystore file holds nothing that opens the database without a password. Changing a password re-wraps one slot only.
The file also keeps the login lock-out counters, which must work before the database is unlocked.

Several processes change the file (the app, the ``ksk`` command line, an attacker's twelve parallel guesses),
so every change is a read-modify-write under a lock file beside it (``keys.json.lock``, :meth:`KeyStore.locked`):
re-read under the lock, change, write, release. A login attempt is counted *before* its password is tried
(and the count cleared if it was right): however many guesses run at once, no more than the policy's number
are ever tried, and killing the process in the middle of one does not take it back.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ksk_desktop.clock import SYSTEM_CLOCK
from ksk_desktop.errors import AccountLocked, AuthenticationFailed, InvalidInput, NotAKskDatabase
from ksk_desktop.fsio import atomic_write_json, file_lock
from ksk_desktop.security import kdf, sealing
from ksk_desktop.security.kdf import KdfParams

FORMAT = 1
RECOVERY_SLOT = "recovery"
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1: easy to read off paper


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    lockout_minutes: int = 15
    idle_lock_minutes: int = 10

    def to_json(self) -> dict[str, int]:
        return {
            "max_failures": self.max_failures,
            "lockout_minutes": self.lockout_minutes,
            "idle_lock_minutes": self.idle_lock_minutes,
        }


def new_database_key() -> bytes:
    return secrets.token_bytes(32)


def new_recovery_key() -> str:
    """A 30-character recovery key (150 bits) in six groups, meant to be printed once and kept in a safe."""
    chars = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(30))
    return "-".join(chars[i : i + 5] for i in range(0, 30, 5))


def normalise_recovery_key(text: str) -> str:
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum())
    if len(cleaned) != 30 or any(ch not in _RECOVERY_ALPHABET for ch in cleaned):
        raise AuthenticationFailed("Khóa khôi phục không đúng định dạng (30 ký tự, 6 nhóm).")
    return cleaned


class KeyStore:
    """The station's key-slot file (``keys.json`` beside the database)."""

    def __init__(self, path: Path | None, data: dict) -> None:
        self.path = path
        self.data = data

    # -- creation and persistence -------------------------------------------------------------
    @classmethod
    def create(cls, path: Path, station_id: str, station_code: str) -> KeyStore:
        data = {
            "format": FORMAT,
            "kind": "ksk-desktop-keystore",
            "station_id": station_id,
            "station_code": station_code,
            "slots": {},
            "lockout": {},
            "policy": LockoutPolicy().to_json(),
        }
        return cls(path, data)

    @classmethod
    def load(cls, path: Path) -> KeyStore:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise
        except (OSError, ValueError) as exc:
            raise NotAKskDatabase(f"Tệp khóa {path.name} bị hỏng hoặc không phải của KSK Desktop.") from exc
        if not isinstance(data, dict) or data.get("kind") != "ksk-desktop-keystore":
            raise NotAKskDatabase(f"Tệp {path.name} không phải tệp khóa của KSK Desktop.")
        if int(data.get("format", 0)) > FORMAT:
            from ksk_desktop.errors import DatabaseTooNew

            raise DatabaseTooNew(
                "Tệp khóa được tạo bởi phiên bản KSK Desktop mới hơn. Hãy cập nhật phần mềm."
            )
        return cls(path, data)

    def reload(self) -> None:
        """Re-read the file before changing it: another process (the CLI, a second login) may have written it."""
        if self.path is not None:
            self.data = KeyStore.load(self.path).data

    def save(self) -> None:
        """Write the file atomically. A keystore read from a backup (no path) is never written."""
        if self.path is not None:
            atomic_write_json(self.path, self.data)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Change the file safely against other processes: hold its lock, re-read it, let the block change
        ``data``, and write it when the block ends without an error (nothing is written otherwise)."""
        if self.path is None:
            yield
            return
        with file_lock(self.path.with_name(self.path.name + ".lock")):
            self.reload()
            yield
            self.save()

    @property
    def station_id(self) -> str:
        return self.data["station_id"]

    @property
    def policy(self) -> LockoutPolicy:
        p = self.data.get("policy", {})
        d = LockoutPolicy()
        return LockoutPolicy(
            int(p.get("max_failures", d.max_failures)),
            int(p.get("lockout_minutes", d.lockout_minutes)),
            int(p.get("idle_lock_minutes", d.idle_lock_minutes)),
        )

    def set_policy(self, policy: LockoutPolicy) -> None:
        if policy.max_failures < 1 or policy.lockout_minutes < 0 or policy.idle_lock_minutes < 1:
            raise InvalidInput("Thông số khóa tài khoản không hợp lệ.")
        with self.locked():
            self.data["policy"] = policy.to_json()

    # -- slots -------------------------------------------------------------------------------
    def _aad(self, slot_id: str) -> bytes:
        return f"ksk-slot|{self.station_id}|{slot_id}".encode()

    def _wrap(self, slot_id: str, secret: bytes, dek: bytes, params: KdfParams | None) -> dict:
        return sealing.seal(secret, dek, self._aad(slot_id), params)

    def _unwrap(self, slot_id: str, secret: bytes) -> bytes | None:
        slot = self.data["slots"].get(slot_id)
        return None if slot is None else sealing.unseal(slot, secret, self._aad(slot_id))

    def has_user(self, username: str) -> bool:
        return f"user:{username}" in self.data["slots"]

    def usernames(self) -> list[str]:
        return sorted(k[5:] for k in self.data["slots"] if k.startswith("user:"))

    def set_password_slot(
        self, username: str, password: str, dek: bytes, params: KdfParams | None = None
    ) -> None:
        """Create or re-wrap the slot of *username* (does not save)."""
        self.data["slots"][f"user:{username}"] = self._wrap(
            f"user:{username}", password.encode(), dek, params
        )

    def remove_password_slot(self, username: str) -> None:
        self.data["slots"].pop(f"user:{username}", None)
        self.data["lockout"].pop(username, None)

    def set_recovery_slot(self, recovery_key: str, dek: bytes, params: KdfParams | None = None) -> None:
        secret = normalise_recovery_key(recovery_key).encode()
        self.data["slots"][RECOVERY_SLOT] = self._wrap(RECOVERY_SLOT, secret, dek, params)

    # -- unlocking, with lock-out -------------------------------------------------------------
    def _check_locked(self, who: str, now: datetime) -> None:
        state = self.data["lockout"].get(who)
        if not state or not state.get("locked_until"):
            return
        until = datetime.fromisoformat(state["locked_until"])
        if now < until:
            minutes = max(1, int((until - now).total_seconds() + 59) // 60)
            raise AccountLocked(
                f"Tài khoản tạm khóa do nhập sai mật khẩu nhiều lần. Thử lại sau {minutes} phút "
                "hoặc nhờ quản trị viên mở khóa."
            )

    def _count_attempt(self, who: str, now: datetime) -> None:
        """Before a password is tried: refuse if the account is locked, else count the attempt as a failure
        (locking the account when it is the last one allowed), atomically. :meth:`_record_success` takes it
        back if the password was right."""
        with self.locked():
            self._check_locked(who, now)
            policy = self.policy
            state = self.data["lockout"].setdefault(who, {"failures": 0, "locked_until": None})
            if state.get("locked_until") and now >= datetime.fromisoformat(state["locked_until"]):
                state["failures"], state["locked_until"] = 0, None
            state["failures"] = int(state.get("failures", 0)) + 1
            state["last_failure"] = now.isoformat(timespec="seconds")
            if state["failures"] >= policy.max_failures:
                state["locked_until"] = (now + timedelta(minutes=policy.lockout_minutes)).isoformat(
                    timespec="seconds"
                )

    def _record_success(self, who: str) -> None:
        with self.locked():
            self.data["lockout"].pop(who, None)

    def check_not_locked(self, username: str) -> None:
        """Raise AccountLocked while *username* is locked out (as on disk now: another process may have locked it).
        For a password asked again inside a session, e.g. a doctor's signing password."""
        self.reload()
        self._check_locked(username, SYSTEM_CLOCK.now())  # lock-out counts real time, like logging in

    def failures(self, who: str) -> int:
        return int(self.data["lockout"].get(who, {}).get("failures", 0))

    def unlock_account(self, username: str) -> None:
        """Clear the lock-out of *username* (an administrator's action)."""
        with self.locked():
            self.data["lockout"].pop(username, None)

    def unwrap_with_password(self, username: str, password: str, now: datetime | None = None) -> bytes:
        """Return the database key, or raise AuthenticationFailed / AccountLocked. The attempt is counted
        before the password is tried (see the module's docstring); the Argon2id work runs outside the lock, so
        several people logging in at once do not wait for each other."""
        now = now or SYSTEM_CLOCK.now()  # lock-out counts real time: there is no session yet
        self._count_attempt(username, now)
        slot_id = f"user:{username}"
        if slot_id in self.data["slots"]:
            dek = self._unwrap(slot_id, password.encode())
        else:
            # Spend the same time as a real attempt so that timing does not reveal which names exist.
            kdf.default_params().derive(password.encode(), b"\0" * 16)
            dek = None
        if dek is None:
            self._check_locked(username, now)  # this attempt was the last one allowed
            left = self.policy.max_failures - self.failures(username)
            raise AuthenticationFailed(
                f"Sai tên đăng nhập hoặc mật khẩu. Còn {left} lần thử trước khi tài khoản bị tạm khóa."
            )
        self._record_success(username)
        return dek

    def unwrap_with_recovery(self, recovery_key: str, now: datetime | None = None) -> bytes:
        now = now or SYSTEM_CLOCK.now()  # lock-out counts real time: there is no session yet
        secret = normalise_recovery_key(recovery_key).encode()
        self._count_attempt(RECOVERY_SLOT, now)
        dek = self._unwrap(RECOVERY_SLOT, secret)
        if dek is None:
            raise AuthenticationFailed("Khóa khôi phục không đúng.")
        self._record_success(RECOVERY_SLOT)
        return dek

    def anchor_key(self, dek: bytes) -> bytes:
        """A key derived from the database key for the audit-chain anchor's MAC."""
        return hmac.new(dek, b"ksk-audit-anchor|" + self.station_id.encode(), "sha256").digest()
